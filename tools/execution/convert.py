"""MySQL row -> DynamoDB item (wire JSON), without silent loss. STANDARD LIBRARY ONLY: this file is
shipped as is to AWS Glue (mysql2ddb_convert.py) and runs inside Spark executors.

`build_converter(spec)` builds one function per view column once (chosen from the attribute's
DynamoDB type and the column's MySQL type), so converting a row is one pass over the row with no
per-value type dispatch in the common case. The rules (README "Type mapping"):

  DECIMAL/integers  -> N, exact canonical text (117.70 -> 117.7); > 38 significant digits or outside
                       DynamoDB's range: rejected (or S when the column declares overflow "string")
  FLOAT/DOUBLE      -> N, shortest round-trip text; NaN/Infinity rejected
  DATETIME/TIMESTAMP-> S 'YYYY-MM-DDTHH:MM:SS[.f]' (the column's fractional digits), DATE 'YYYY-MM-DD'
  TIME              -> S '[-]HH:MM:SS[.f]' (hours may exceed 24, negative kept); YEAR -> N
  BIT               -> N (unsigned big-endian value), B (raw bytes) or BOOL; TINYINT(1) -> BOOL
  ENUM/strings      -> S ('' kept); SET -> SS (split on ','; the empty set omitted)
  JSON text         -> M/L (numbers exact as N, null as NULL) or S (the text as is)
  BLOB/BINARY       -> B (base64 in wire JSON); GEOMETRY bytes -> S WKT or M GeoJSON
  NULL              -> omitted ({"NULL": true} for NULL-typed attributes); a NULL/empty key rejects the row
  an item over 400 KB (DynamoDB's size rules) rejects the row, with the reason.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import re
import struct
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Sequence

MAX_ITEM_BYTES = 400 * 1024
MAX_DIGITS = 38
_TEN38 = 10 ** MAX_DIGITS
_B64 = base64.b64encode
_DATETIME, _DATE, _TIMEDELTA = _dt.datetime, _dt.date, _dt.timedelta
_TEMPORAL = {"datetime", "timestamp", "time"}
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
    magnitude = exponent + len(digits) - 1
    if magnitude > 125 or magnitude < -130:
        raise RowRejected(f"number {text} is outside DynamoDB's range (1E-130 to 9.99E+125)")
    ds = "".join(map(str, digits))
    if exponent >= 0:
        out = ds + "0" * exponent
    elif len(ds) + exponent > 0:
        out = ds[:len(ds) + exponent] + "." + ds[len(ds) + exponent:]
    else:
        out = "0." + "0" * -(len(ds) + exponent) + ds
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
    if isinstance(value, int):  # subclasses (numpy-like, IntEnum)
        return canonical_number(int(value))
    if isinstance(value, float):
        return canonical_number(float(value))
    raise RowRejected(f"a {kind.__name__} value cannot be stored as a number")


# ---- text forms -----------------------------------------------------------------------------------

def _fsp(column: dict) -> int | None:
    """Fractional-second digits of a temporal column (None: unknown, e.g. a computed column)."""
    if (column.get("mysql_type") or "").lower() not in _TEMPORAL:
        return None
    found = _LENGTH.search(column.get("column_type") or "")
    return int(found.group(1)) if found else 0


def _datetime_text(v: _dt.datetime, fsp: int | None) -> str:
    if fsp is None:
        return v.isoformat()
    if fsp == 0:
        return v.isoformat(timespec="seconds")
    return v.isoformat(timespec="microseconds")[:20 + fsp]


def _time_text(v: _dt.timedelta, fsp: int | None) -> str:
    total = v.days * 86400_000000 + v.seconds * 1000000 + v.microseconds
    sign = "-" if total < 0 else ""
    seconds, micro = divmod(abs(total), 1000000)
    hours, rest = divmod(seconds, 3600)
    text = f"{sign}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    if fsp is None:
        return text + (f".{micro:06d}" if micro else "")
    return text + (f".{micro:06d}"[:fsp + 1] if fsp else "")


def _geometry_number(x: float) -> str:
    text = repr(x)
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text.replace("e+", "e")


def _wkb(data: bytes, pos: int) -> tuple[str, Any, int]:
    """(WKT type, coordinates, next position) of the WKB geometry at data[pos]."""
    order = "<" if data[pos] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", data, pos + 1)
    pos += 5
    kind &= 0xFF

    def points(at: int) -> tuple[list, int]:
        (n,) = struct.unpack_from(order + "I", data, at)
        flat = struct.unpack_from(order + "%dd" % (2 * n), data, at + 4)
        return [flat[i:i + 2] for i in range(0, 2 * n, 2)], at + 4 + 16 * n

    if kind == 1:
        return "POINT", struct.unpack_from(order + "2d", data, pos), pos + 16
    if kind == 2:
        coords, pos = points(pos)
        return "LINESTRING", coords, pos
    if kind == 3:
        (n,) = struct.unpack_from(order + "I", data, pos)
        pos += 4
        rings = []
        for _ in range(n):
            ring, pos = points(pos)
            rings.append(ring)
        return "POLYGON", rings, pos
    if kind in (4, 5, 6, 7):
        (n,) = struct.unpack_from(order + "I", data, pos)
        pos += 4
        parts = []
        for _ in range(n):
            sub, coords, pos = _wkb(data, pos)
            parts.append((sub, coords))
        name = {4: "MULTIPOINT", 5: "MULTILINESTRING", 6: "MULTIPOLYGON", 7: "GEOMETRYCOLLECTION"}[kind]
        return name, parts, pos
    raise RowRejected(f"unknown geometry type {kind} in WKB")


def _wkt_body(kind: str, coords: Any) -> str:
    pt = lambda p: f"{_geometry_number(p[0])} {_geometry_number(p[1])}"  # noqa: E731
    line = lambda ps: ",".join(map(pt, ps))  # noqa: E731
    if kind == "POINT":
        return f"({pt(coords)})"
    if kind == "LINESTRING":
        return f"({line(coords)})"
    if kind == "POLYGON":
        return "(" + ",".join(f"({line(r)})" for r in coords) + ")"
    if kind == "GEOMETRYCOLLECTION":
        return "(" + ",".join(k + _wkt_body(k, c) for k, c in coords) + ")"
    if kind == "MULTIPOINT":
        return "(" + ",".join(pt(c) for _, c in coords) + ")"
    return "(" + ",".join(_wkt_body(k, c) for k, c in coords) + ")"


def _geometry(value: bytes) -> tuple[str, Any]:
    data = bytes(value)
    try:  # MySQL/MariaDB internal form: 4-byte SRID, then WKB
        kind, coords, _ = _wkb(data, 4)
    except (struct.error, IndexError):
        raise RowRejected("geometry bytes are not SRID + WKB") from None
    return kind, coords


def geometry_wkt(value: bytes) -> str:
    kind, coords = _geometry(value)
    return kind + _wkt_body(kind, coords)


def _geojson(kind: str, coords: Any) -> dict:
    num = lambda x: {"N": canonical_number(float(x))}  # noqa: E731
    pos = lambda p: {"L": [num(p[0]), num(p[1])]}  # noqa: E731
    names = {"POINT": "Point", "LINESTRING": "LineString", "POLYGON": "Polygon", "MULTIPOINT": "MultiPoint",
             "MULTILINESTRING": "MultiLineString", "MULTIPOLYGON": "MultiPolygon",
             "GEOMETRYCOLLECTION": "GeometryCollection"}
    if kind == "GEOMETRYCOLLECTION":
        return {"M": {"type": {"S": names[kind]}, "geometries": {"L": [_geojson(k, c) for k, c in coords]}}}
    if kind == "POINT":
        value = pos(coords)
    elif kind == "LINESTRING":
        value = {"L": [pos(p) for p in coords]}
    elif kind == "POLYGON":
        value = {"L": [{"L": [pos(p) for p in r]} for r in coords]}
    else:
        value = {"L": [_geojson(k, c)["M"]["coordinates"] for k, c in coords]}
    return {"M": {"type": {"S": names[kind]}, "coordinates": value}}


# ---- JSON -----------------------------------------------------------------------------------------

def _bad_constant(name: str) -> Any:
    raise RowRejected(f"JSON holds {name}, which DynamoDB cannot store")


def _json_value(value: Any) -> dict:
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is bool:
        return {"BOOL": value}
    if kind is int or kind is Decimal:
        return {"N": canonical_number(value)}
    if value is None:
        return {"NULL": True}
    if kind is dict:
        return {"M": {k: _json_value(v) for k, v in value.items()}}
    if kind is list:
        return {"L": [_json_value(v) for v in value]}
    raise RowRejected(f"unexpected JSON value {value!r}")


def parse_json(text: Any) -> Any:
    """JSON text -> Python with every number exact (Decimal/int, never float)."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8")
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_bad_constant)
    except ValueError as exc:
        raise RowRejected(f"unparseable JSON ({exc})") from None


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
    if kind in (int, Decimal, float, bool):
        return canonical_number(value) if kind is not bool else ("true" if value else "false")
    if kind in (bytes, bytearray, memoryview):
        mysql_type = (column.get("mysql_type") or "").lower()
        if mysql_type in _GEOMETRY:
            return geometry_wkt(value)
        if mysql_type == "bit":
            return str(int.from_bytes(value, "big"))
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise RowRejected(f"binary value in {column['name']} is not UTF-8 text; declare the attribute B") from None
    if kind in (set, frozenset):
        return ",".join(sorted(value))
    raise RowRejected(f"a {kind.__name__} value cannot be stored as a string")


def _bool(value: Any) -> bool:
    if type(value) is int:
        return value != 0
    if isinstance(value, (bytes, bytearray)):
        return any(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes", "y", "t", "on"):
            return True
        if lowered in ("0", "false", "no", "n", "f", "off", ""):
            return False
        raise RowRejected(f"{value[:40]!r} is not a boolean")
    if isinstance(value, (int, float, Decimal)):
        return value != 0
    raise RowRejected(f"a {type(value).__name__} value cannot be stored as a boolean")


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
    ddb = column.get("ddb_type") or "S"
    name = column["name"]
    fsp = _fsp(column)
    mysql_type = (column.get("mysql_type") or "").lower()
    if ddb == "S":
        if mysql_type in ("datetime", "timestamp"):
            def to_s(v: Any) -> dict:
                return {"S": _datetime_text(v, fsp) if type(v) is _DATETIME else _text(v, column, fsp).replace(" ", "T", 1)}
            return to_s
        return lambda v: {"S": v} if type(v) is str else {"S": _text(v, column, fsp)}
    if ddb == "N":
        overflow = column.get("overflow") == "string"

        def to_n(v: Any) -> dict:
            if type(v) is int and -_TEN38 < v < _TEN38:
                return {"N": str(v)}
            try:
                return {"N": canonical_number(v)}
            except RowRejected:
                if overflow and isinstance(v, (int, Decimal, str)):
                    return {"S": _text(v, column, fsp) if not isinstance(v, Decimal) else format(v, "f")}
                raise
        return to_n
    if ddb == "BOOL":
        return lambda v: {"BOOL": _bool(v)}
    if ddb == "B":
        def to_b(v: Any) -> dict:
            raw = bytes(v) if isinstance(v, (bytes, bytearray, memoryview)) else _text(v, column, fsp).encode("utf-8")
            return {"B": _B64(raw).decode("ascii")}
        return to_b
    if ddb in ("SS", "NS", "BS"):
        def to_set(v: Any) -> Any:
            members = _members(v, column)
            if not members:
                return None
            if ddb == "SS":
                out = [m if isinstance(m, str) else _text(m, column, fsp) for m in members]
            elif ddb == "NS":
                out = [canonical_number(m) for m in members]
            else:
                out = [_B64(m if isinstance(m, bytes) else str(m).encode("utf-8")).decode("ascii") for m in members]
            return {ddb: list(dict.fromkeys(out))}  # DynamoDB refuses duplicate members
        return to_set
    if ddb in ("M", "L"):
        def to_doc(v: Any) -> dict:
            if mysql_type in _GEOMETRY and isinstance(v, (bytes, bytearray, memoryview)):
                value = _geojson(*_geometry(v))
            else:
                value = _json_value(v if isinstance(v, (dict, list)) else parse_json(v))
            if ddb not in value:
                found = next(iter(value))
                raise RowRejected(f"{name}: JSON {found} where the contract declares {ddb}")
            return value
        return to_doc
    if ddb == "NULL":
        return _natural
    raise ValueError(f"{name}: unknown DynamoDB type {ddb}")


def _natural(value: Any) -> dict:
    """A value by its own Python type (NULL-typed attributes holding a value)."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, Decimal, float)):
        return {"N": canonical_number(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"B": _B64(bytes(value)).decode("ascii")}
    return {"S": _text(value, {"name": "?"}, None)}


def _bound(column: dict) -> int | None:
    """Largest size of this column's attribute in bytes, or None when it must be measured per row."""
    mysql_type = (column.get("mysql_type") or "").lower()
    name_bytes = len(column["name"].encode("utf-8"))
    if mysql_type in _SMALL_TYPES and column.get("ddb_type") in ("S", "N", "BOOL", "NULL", "B"):
        return name_bytes + 128
    found = _LENGTH.search(column.get("column_type") or "")
    if mysql_type in ("varchar", "char", "varbinary", "binary") and found and int(found.group(1)) <= 2048:
        return name_bytes + 4 * int(found.group(1)) + 8
    return None


def _rough(value: Any) -> int:
    kind = type(value)
    if kind is str:
        return 4 * len(value) + 16
    if kind is bytes or kind is bytearray:
        return 2 * len(value) + 16  # 2x: geometry bytes become WKT text
    return 256


def build_converter(spec: dict) -> Callable[[Sequence[Any]], dict]:
    """row (view-column order; extra trailing values ignored) -> item in DynamoDB wire JSON."""
    columns = spec["columns"]
    names = [c["name"] for c in columns]
    converters = [_column_converter(c) for c in columns]
    keys = [k for k in (spec.get("pk"), spec.get("sk")) if k]
    for key in keys:
        if key not in names:
            raise ValueError(f"key attribute {key} is not a column of the spec")
    null_typed = {c["name"] for c in columns if c.get("ddb_type") == "NULL" and c["name"] not in keys}
    fixed = sum(_bound(c) or 0 for c in columns)
    measured = [(i, len(c["name"])) for i, c in enumerate(columns) if _bound(c) is None]
    omit_empty = [c["ddb_type"] in ("SS", "NS", "BS") for c in columns]
    may_omit = any(omit_empty)
    table = spec.get("table", "?")

    def convert(row: Sequence[Any]) -> dict:
        item: dict = {}
        for name, conv, value in zip(names, converters, row):
            if value is None:
                if null_typed and name in null_typed:
                    item[name] = {"NULL": True}
                continue
            av = conv(value)
            if av is not None or not may_omit:
                item[name] = av
        for key in keys:
            av = item.get(key)
            if av is None:
                raise RowRejected(f"key attribute {key} is NULL (an item of {table} needs its whole key)")
            if av.get("S") == "" or av.get("B") == "":
                raise RowRejected(f"key attribute {key} is empty (DynamoDB keys cannot be empty)")
        if measured:
            estimate = fixed
            for i, extra in measured:
                value = row[i]
                if value is not None:
                    estimate += extra + _rough(value)
            if estimate > MAX_ITEM_BYTES:
                size = item_size(item)
                if size > MAX_ITEM_BYTES:
                    raise RowRejected(f"item is {size:,} bytes, over DynamoDB's 400 KB item limit")
        return item

    return convert


# ---- sizes and keys -------------------------------------------------------------------------------

def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").strip("0")
    return (len(digits) + 1) // 2 + 1


def _b64_size(text: Any) -> int:
    if isinstance(text, (bytes, bytearray)):
        return len(text)
    return len(text) * 3 // 4 - text.count("=", -2)


def _value_size(av: dict) -> int:
    (kind, value), = av.items()
    if kind == "S":
        return len(value.encode("utf-8"))
    if kind == "N":
        return _number_size(value)
    if kind == "B":
        return _b64_size(value)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(v.encode("utf-8")) for v in value)
    if kind == "NS":
        return sum(_number_size(v) for v in value)
    if kind == "BS":
        return sum(_b64_size(v) for v in value)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + _value_size(v) for k, v in value.items())
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in value)
    raise ValueError(f"unknown AttributeValue type {kind}")


def item_size(item: dict) -> int:
    """The item's size by DynamoDB's rules: names + values (UTF-8 strings, raw binary, about one byte
    per two significant digits of a number, 3 bytes + 1 per element for M/L)."""
    return sum(len(name.encode("utf-8")) + _value_size(av) for name, av in item.items())


def _key_part(av: dict) -> str:
    (kind, value), = av.items()
    if kind == "N":
        return canonical_number(value)
    if kind == "B" and isinstance(value, (bytes, bytearray)):
        return _B64(bytes(value)).decode("ascii")
    return value


def key_text(item: dict, pk: str, sk: str | None) -> str:
    """The item's key as text: pk, or pk + TAB + sk; N in canonical text, B as base64."""
    text = _key_part(item[pk])
    return text + "\t" + _key_part(item[sk]) if sk else text
