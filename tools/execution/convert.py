"""MySQL row -> DynamoDB item (wire JSON), without silent loss. STANDARD LIBRARY ONLY: this file is
shipped as is to AWS Glue (mysql2ddb_convert.py) and runs inside Spark executors.

`build_converter(spec)` generates one function per spec, unrolled per view column, with an inline
fast path for the value type the column usually yields; converting a row has no per-value
dispatch in the common case. The rules are the README's table ("How the contract becomes items"):
exact canonical numbers (rejected beyond 38 digits or DynamoDB's range, unless the column overflows
to S), ISO text for dates and times, BOOL for TINYINT(1)/BIT(1), SS for SET (the empty set omitted),
M/L or S for JSON, B for binary; NULL is omitted, and a NULL or empty key, or an item over 400 KB by
DynamoDB's size rules, rejects the row with the reason.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Sequence

MAX_ITEM_BYTES = 400 * 1024
MAX_DIGITS = 38
_TEN38 = 10 ** MAX_DIGITS
_B64 = base64.b64encode
_DATETIME, _DATE, _TIMEDELTA = _dt.datetime, _dt.date, _dt.timedelta
_BINARY = (bytes, bytearray, memoryview)
_INTEGER = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year", "serial"}
_SMALL_TYPES = _INTEGER | {"decimal", "numeric", "float", "double", "real", "bit", "bool", "boolean", "date",
                           "datetime", "timestamp", "time", "enum"}
_GEOMETRY = {"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
             "geometrycollection", "geomcollection"}
_LENGTH = re.compile(r"\((\d+)")


class RowRejected(Exception):
    """A row that cannot become an item without loss; `reason` goes to the reject file."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# ---- numbers --------------------------------------------------------------------------------------

def _decimal_text(d: Decimal) -> str:
    if not d.is_finite():
        raise RowRejected(f"number {d} is not finite (DynamoDB has no NaN or Infinity)")
    text = str(d)
    if len(text) <= MAX_DIGITS and "E" not in text:  # common case: short plain text
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    sign, digits, exponent = d.as_tuple()
    digits = list(digits)
    while len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exponent += 1
    if digits == [0]:
        return "0"
    if len(digits) > MAX_DIGITS:
        raise RowRejected(f"number {text} has {len(digits)} significant digits (DynamoDB keeps at most 38)")
    if not -130 <= exponent + len(digits) - 1 <= 125:
        raise RowRejected(f"number {text} is outside DynamoDB's range (1E-130 to 9.99E+125)")
    ds, point = "".join(map(str, digits)), len(digits) + exponent
    out = ds + "0" * exponent if exponent >= 0 else (ds[:point] + "." + ds[point:] if point > 0 else
                                                     "0." + "0" * -point + ds)
    return "-" + out if sign else out


def canonical_number(value: Any) -> str:
    """Decimal-exact canonical N text: no exponent, no trailing fractional zeros (117.70 -> 117.7,
    0.00 -> 0). Raises RowRejected for NaN/Infinity, > 38 significant digits, or out of range."""
    kind = type(value)
    if kind is int:
        return str(value) if -_TEN38 < value < _TEN38 else _decimal_text(Decimal(value))
    if kind is Decimal:
        return _decimal_text(value)
    if kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise RowRejected(f"number {value} is not finite (DynamoDB has no NaN or Infinity)")
        return _decimal_text(Decimal(repr(value)))
    if kind is bool:
        return "1" if value else "0"
    if kind in (bytes, bytearray):  # BIT(n)
        return str(int.from_bytes(value, "big"))
    if kind is str:
        try:
            return _decimal_text(Decimal(value.strip()))
        except InvalidOperation:
            raise RowRejected(f"{value[:60]!r} is not a number") from None
    if isinstance(value, (int, float)):  # subclasses (IntEnum...)
        return canonical_number(float(value) if isinstance(value, float) else int(value))
    raise RowRejected(f"a {kind.__name__} value cannot be stored as a number")


# ---- temporal text --------------------------------------------------------------------

def _fsp(column: dict) -> int | None:
    """Fractional-second digits of a temporal column (None: unknown, e.g. a computed column)."""
    if (column.get("mysql_type") or "").lower() not in ("datetime", "timestamp", "time"):
        return None
    found = _LENGTH.search(column.get("column_type") or "")
    return int(found.group(1)) if found else 0


def _datetime_text(v: _dt.datetime, fsp: int | None) -> str:
    if fsp is None or (fsp == 0 and not v.microsecond):
        return v.isoformat()
    return v.isoformat(timespec="microseconds")[:20 + fsp] if fsp else v.isoformat(timespec="seconds")


def _time_text(v: _dt.timedelta, fsp: int | None) -> str:
    total = v.days * 86400_000000 + v.seconds * 1000000 + v.microseconds
    seconds, micro = divmod(abs(total), 1000000)
    hours, rest = divmod(seconds, 3600)
    text = f"{'-' if total < 0 else ''}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    if fsp is None:
        return text + (f".{micro:06d}" if micro else "")
    return text + (f".{micro:06d}"[:fsp + 1] if fsp else "")


# ---- JSON -----------------------------------------------------------------------------------------

def _bad_constant(name: str) -> Any:
    raise RowRejected(f"JSON holds {name}, which DynamoDB cannot store")


def parse_json(text: Any) -> Any:
    """JSON text -> Python with every number exact (int/Decimal, never float)."""
    try:
        return json.loads(bytes(text).decode("utf-8") if isinstance(text, _BINARY) else text,
                          parse_float=Decimal, parse_constant=_bad_constant)
    except ValueError as exc:
        raise RowRejected(f"unparseable JSON ({exc})") from None


def _json_value(value: Any) -> dict:
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is dict:
        return {"M": {k: _json_value(v) for k, v in value.items()}}
    if kind is int:
        return {"N": str(value) if -_TEN38 < value < _TEN38 else canonical_number(value)}
    if kind is list:
        return {"L": [_json_value(v) for v in value]}
    if kind is bool:
        return {"BOOL": value}
    if kind is Decimal:
        return {"N": _decimal_text(value)}
    if value is None:
        return {"NULL": True}
    raise RowRejected(f"unexpected JSON value {value!r}")


# ---- per-column converters ------------------------------------------------------------------------

def _text(value: Any, column: dict, fsp: int | None) -> str:
    kind = type(value)
    if kind is str:
        return value
    if kind is _DATETIME:
        return _datetime_text(value, fsp)
    if kind is _DATE:
        return value.isoformat()
    if kind is _TIMEDELTA:
        return _time_text(value, fsp)
    if kind is bool:
        return "true" if value else "false"
    if kind in (int, Decimal, float):
        return canonical_number(value)
    if kind in _BINARY:
        mysql_type = (column.get("mysql_type") or "").lower()
        if mysql_type in _GEOMETRY:  # the view compiler selects ST_AsText/ST_AsGeoJSON instead
            raise RowRejected(f"{column['name']} holds raw geometry bytes; select ST_AsText(column) for WKT")
        if mysql_type == "bit":
            return str(int.from_bytes(value, "big"))
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise RowRejected(f"binary value of {column['name']} is not UTF-8 text; declare the attribute B") from None
    if kind in (set, frozenset):
        return ",".join(sorted(value))
    raise RowRejected(f"a {kind.__name__} value cannot be stored as a string")


_TRUE, _FALSE = {"1", "true", "yes", "y", "t", "on"}, {"0", "false", "no", "n", "f", "off", ""}


def _bool(value: Any) -> bool:
    if isinstance(value, (int, float, Decimal)):
        return value != 0
    if isinstance(value, _BINARY):  # BIT(1)
        return any(bytes(value))
    lowered = value.strip().lower() if isinstance(value, str) else None
    if lowered in _TRUE or lowered in _FALSE:
        return lowered in _TRUE
    raise RowRejected(f"{str(value)[:40]!r} is not a boolean")


def _members(value: Any, column: dict) -> list:
    if isinstance(value, (set, frozenset, list, tuple)):
        return list(value)
    if (column.get("mysql_type") or "").lower() == "json":
        parsed = parse_json(value)
        if not isinstance(parsed, list):
            raise RowRejected(f"{column['name']}: a set needs a JSON array")
        return parsed
    text = value if isinstance(value, str) else _text(value, column, None)
    return text.split(",") if text else []


def _column_converter(column: dict) -> Callable[[Any], Any]:
    """value (never None) -> AttributeValue, or None to omit (the empty set)."""
    ddb, name, fsp = column.get("ddb_type") or "S", column["name"], _fsp(column)
    mysql_type = (column.get("mysql_type") or "").lower()
    if ddb == "S":
        if mysql_type in ("datetime", "timestamp"):  # zero dates come as text: kept, with the ISO 'T'
            return lambda v: {"S": _text(v, column, fsp).replace(" ", "T", 1)}
        return lambda v: {"S": _text(v, column, fsp)}
    if ddb == "N":
        overflow = column.get("overflow") == "string"

        def to_n(v: Any) -> dict:
            try:
                return {"N": canonical_number(v)}
            except RowRejected:
                if overflow and isinstance(v, (int, Decimal, str)):  # declared: keep every digit as text
                    return {"S": format(v, "f") if isinstance(v, Decimal) else str(v).strip()}
                raise
        return to_n
    if ddb == "BOOL":
        return lambda v: {"BOOL": _bool(v)}
    if ddb == "B":
        return lambda v: {"B": _B64(bytes(v) if isinstance(v, _BINARY) else _text(v, column, fsp).encode()).decode()}
    if ddb in ("SS", "NS", "BS"):
        def to_set(v: Any) -> Any:
            members = _members(v, column)
            if ddb == "SS":
                out = [m if isinstance(m, str) else _text(m, column, fsp) for m in members]
            elif ddb == "NS":
                out = [canonical_number(m) for m in members]
            else:
                out = [_B64(m if isinstance(m, bytes) else str(m).encode()).decode("ascii") for m in members]
            return {ddb: list(dict.fromkeys(out))} if out else None  # no duplicate members, no empty set
        return to_set
    if ddb in ("M", "L"):
        def to_doc(v: Any) -> dict:
            value = _json_value(v if isinstance(v, (dict, list)) else parse_json(v))
            if ddb not in value:
                raise RowRejected(f"{name}: JSON {next(iter(value))} where the contract declares {ddb}")
            return value
        return to_doc
    if ddb == "NULL":
        return _natural
    raise ValueError(f"{name}: unknown DynamoDB type {ddb}")


def _natural(value: Any) -> dict:
    """A value by its own Python type (NULL-typed attributes holding a value)."""
    if isinstance(value, (bool, int, Decimal, float, *_BINARY)):
        return {"BOOL": value} if isinstance(value, bool) else {"N": canonical_number(value)} if isinstance(
            value, (int, Decimal, float)) else {"B": _B64(bytes(value)).decode()}
    return {"S": _text(value, {"name": "?"}, None)}


def _bound(column: dict) -> int | None:
    """Largest size of this column's attribute in bytes, or None when it must be measured per row."""
    mysql_type, name_bytes = (column.get("mysql_type") or "").lower(), len(column["name"].encode("utf-8"))
    if mysql_type in _SMALL_TYPES and column.get("ddb_type") in ("S", "N", "BOOL", "NULL", "B"):
        return name_bytes + (4 * 255 + 8 if mysql_type == "enum" else 128)  # an ENUM member: up to 255 characters
    found = _LENGTH.search(column.get("column_type") or "")
    if mysql_type in ("varchar", "char", "varbinary", "binary") and found and int(found.group(1)) <= 2048:
        return name_bytes + 4 * int(found.group(1)) + 8
    return None


def _rough(value: Any) -> int:
    """An upper bound of a value's item size (UTF-8: at most 4 bytes a character; JSON text never
    grows as M/L: each element costs at least as many characters as bytes of overhead)."""
    kind = type(value)
    if kind is str:
        return 4 * len(value) + 16
    if kind in _BINARY:
        return len(bytes(value)) + 16 if kind is memoryview else len(value) + 16
    if kind in (set, frozenset, list, tuple):
        return 16 + sum(map(_rough, value))
    if kind is dict:
        return 16 + sum(_rough(str(k)) + _rough(v) for k, v in value.items())
    return 256


def _fast_path(column: dict) -> tuple[str, str] | None:
    """(guard, expression) converting `v` inline for the value type the column usually yields."""
    ddb, mysql_type = column.get("ddb_type"), (column.get("mysql_type") or "").lower()
    if ddb == "N" and mysql_type in _INTEGER:  # at most 20 digits: always within 38
        return "type(v) is int", '{"N": str(v)}'
    if ddb == "N" and mysql_type in ("decimal", "numeric") and column.get("overflow") != "string":
        return "type(v) is _Decimal", '{"N": _dec(v)}'
    if ddb == "S" and mysql_type in ("datetime", "timestamp"):
        return ("type(v) is _DT and not v.microsecond", '{"S": v.isoformat()}') if _fsp(column) == 0 else None
    if ddb == "S":
        return "type(v) is str", '{"S": v}'
    if ddb == "BOOL":
        return "type(v) is int", '{"BOOL": v != 0}'
    return None


def build_converter(spec: dict) -> Callable[[Sequence[Any]], dict]:
    """row (view-column order; extra trailing values ignored) -> item in DynamoDB wire JSON.
    Generated once per spec; names and converters are bound as variables, never written as code."""
    columns = spec["columns"]
    keys = [k for k in (spec.get("pk"), spec.get("sk")) if k]
    missing = [k for k in keys if k not in [c["name"] for c in columns]]
    if missing:
        raise ValueError(f"key attribute(s) {missing} are not columns of the spec")
    table = spec.get("table", "?")
    env: dict[str, Any] = {"RowRejected": RowRejected, "_Decimal": Decimal, "_DT": _DATETIME, "_dec": _decimal_text,
                           "_rough": _rough, "_item_size": item_size, "_LIMIT": MAX_ITEM_BYTES}
    measured = [_bound(c) is None for c in columns]
    static = sum(_bound(c) or len(c["name"].encode("utf-8")) for c in columns)
    check = any(measured) or static > MAX_ITEM_BYTES  # many wide columns can pass the limit together
    lines = ["def convert(row):", "    item = {}"]
    if check:
        lines.append(f"    est = {static}")
    for i, column in enumerate(columns):
        env[f"n{i}"], env[f"c{i}"] = column["name"], _column_converter(column)
        fast = _fast_path(column)
        value = f"({fast[1]} if {fast[0]} else c{i}(v))" if fast else f"c{i}(v)"
        lines.append(f"    v = row[{i}]")
        if column["name"] in keys:
            env[f"r{i}"] = f"key attribute {column['name']} is NULL (an item of {table} needs its whole key)"
            env[f"e{i}"] = f"key attribute {column['name']} is empty (DynamoDB keys cannot be empty)"
            lines += [f"    if v is None: raise RowRejected(r{i})", f"    av = item[n{i}] = {value}",
                      f"    if av.get('S') == '' or av.get('B') == '': raise RowRejected(e{i})"]
            if measured[i]:  # a TEXT key counts too
                lines.append("    est += _rough(v)")
            continue
        lines.append("    if v is not None:")
        if measured[i]:
            lines.append("        est += _rough(v)")
        if column.get("ddb_type") in ("SS", "NS", "BS"):  # the empty set is omitted
            lines += [f"        av = {value}", f"        if av is not None: item[n{i}] = av"]
        else:
            lines.append(f"        item[n{i}] = {value}")
        if column.get("ddb_type") == "NULL":
            lines.append(f"    else: item[n{i}] = {{'NULL': True}}")
    if check:
        lines += ["    if est > _LIMIT:", "        size = _item_size(item)", "        if size > _LIMIT:",
                  "            raise RowRejected(f'item is {size:,} bytes, over the 400 KB DynamoDB item limit')"]
    lines.append("    return item")
    exec(compile("\n".join(lines), f"<mysql2ddb converter {table}>", "exec"), env)  # noqa: S102
    return env["convert"]


# ---- sizes -------------------------------------------------------------------------------

def _number_size(text: str) -> int:
    """1 byte per two significant digits (leading and trailing zeros trimmed) + 1; zero counts as one
    digit (as moto does); an exponent, if any, does not count."""
    mantissa = text.strip().lstrip("+-").split("e")[0].split("E")[0]
    digits = len(mantissa.replace(".", "").strip("0")) or 1
    return (digits + 1) // 2 + 1


def _binary_size(value: Any) -> int:
    return len(value) if isinstance(value, _BINARY) else len(value) * 3 // 4 - value.count("=", -2)


def _value_size(av: dict) -> int:
    (kind, value), = av.items()
    if kind == "S":
        return len(value.encode("utf-8"))
    if kind == "N":
        return _number_size(value)
    if kind == "B":
        return _binary_size(value)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        size = {"SS": lambda v: len(v.encode("utf-8")), "NS": _number_size, "BS": _binary_size}[kind]
        return sum(map(size, value))
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + _value_size(v) for k, v in value.items())
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in value)
    raise ValueError(f"unknown AttributeValue type {kind}")


def item_size(item: dict) -> int:
    """The item's size by DynamoDB's rules: names + values (UTF-8 strings, raw binary, about one byte
    per two significant digits of a number, 3 bytes + 1 per element for M/L)."""
    return sum(len(name.encode("utf-8")) + _value_size(av) for name, av in item.items())
