"""Two answers to one statement compared as entities and attributes.

MySQL -> contract: each row the statement returned against the item the contract makes of it,
on the attributes named like the statement's output columns (`l.name AS language` -> language).
Contract -> DynamoDB: the items the request returned against those items, by item key (missing,
extra), then attribute by attribute on the attributes the pattern reads (or all); the order only
when the statement has ORDER BY (rows with equal ORDER BY values may come in any order); counts
(LIMIT, COUNT) always.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, Field

from mysql2ddb.tools.execution.item_keys import key_text
from mysql2ddb.tools.execution.verify_digest import canonical_item

SHOWN = 5  # keys and attributes listed per sample


class SampleDiff(BaseModel):
    """How one parameter set's answers differ (the first few of each kind)."""

    statement: str = Field(description="the statement as replayed, with its values")
    rows: int = Field(0, description="rows MySQL returned (COUNT: the count)")
    items: int = Field(0, description="items DynamoDB returned (COUNT: the count)")
    missing: list[str] = Field(default_factory=list, description="item keys the contract expects, not returned")
    extra: list[str] = Field(default_factory=list, description="item keys returned, not expected")
    attributes: list[dict[str, Any]] = Field(default_factory=list, description="differing attribute values")
    order: str | None = Field(None, description="where the order differs from ORDER BY's")
    problems: list[str] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.missing or self.extra or self.attributes or self.order or self.problems
                    or self.rows != self.items)

    def brief(self) -> str:
        parts = []
        if self.rows != self.items:
            parts.append(f"MySQL {self.rows} row(s), DynamoDB {self.items}")
        if self.missing:
            parts.append("missing " + ", ".join(self.missing[:2]) + (" ..." if len(self.missing) > 2 else ""))
        if self.extra:
            parts.append("extra " + ", ".join(self.extra[:2]) + (" ..." if len(self.extra) > 2 else ""))
        for diff in self.attributes[:3]:
            parts.append(f"{diff['key']} {diff['attribute']}: " + ", ".join(
                f"{side} {_show(diff[side])}" for side in ("mysql", "contract", "dynamodb") if side in diff))
        if self.order:
            parts.append(self.order)
        parts += self.problems[:2]
        return "; ".join(parts)


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


# ---- values ------------------------------------------------------------------------------------

def plain(av: dict | None) -> Any:
    """An AttributeValue as a plain comparable value (numbers exact, sets sorted)."""
    if av is None:
        return None
    (kind, value), = av.items()
    if kind == "N":
        return Decimal(value).normalize()
    if kind == "B":
        return bytes(value) if isinstance(value, (bytes, bytearray)) else base64.b64decode(value)
    if kind in ("SS", "BS"):
        return tuple(sorted(str(v) for v in value))
    if kind == "NS":
        return tuple(sorted(Decimal(v).normalize() for v in value))
    if kind == "L":
        return [plain(v) for v in value]
    if kind == "M":
        return {k: plain(v) for k, v in value.items()}
    if kind == "NULL":
        return None
    return value


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)).normalize()
    except (InvalidOperation, ValueError):
        return None


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number(value)
    return value


def same(mysql_value: Any, av: dict | None) -> bool:
    """Does a value MySQL returned equal the item's attribute (absent = NULL)?"""
    target = plain(av)
    if mysql_value is None or target is None:
        return mysql_value is None and target is None
    if isinstance(target, bool):
        return isinstance(mysql_value, (bool, int)) and bool(mysql_value) == target
    if isinstance(target, Decimal):
        return _number(mysql_value) == target
    if isinstance(mysql_value, datetime) and isinstance(target, str):
        try:
            return datetime.fromisoformat(target) == mysql_value
        except ValueError:
            return False
    if isinstance(mysql_value, date) and isinstance(target, str):
        return mysql_value.isoformat() == target
    if isinstance(mysql_value, timedelta) and isinstance(target, str):
        return True  # TIME: text formats differ; the item side is checked against the contract
    if isinstance(target, tuple) and isinstance(mysql_value, str):
        return tuple(sorted(m for m in mysql_value.split(",") if m)) == target
    if isinstance(target, (list, dict)) and isinstance(mysql_value, str):
        try:
            return _json(json.loads(mysql_value)) == target
        except ValueError:
            return False
    if isinstance(mysql_value, (int, Decimal, float)) and isinstance(target, str):
        return _number(target) == _number(mysql_value)
    if isinstance(mysql_value, (bytes, bytearray)):
        return bytes(mysql_value) == (target if isinstance(target, bytes) else str(target).encode())
    return str(mysql_value) == target


def project(item: dict, names: list[str] | None) -> dict:
    return dict(item) if names is None else {n: item[n] for n in names if n in item}


# ---- the two comparisons -------------------------------------------------------------------------

def show_key(key: str) -> str:
    """An item key as the report shows it: `pk / sk` (key_text separates them with a TAB)."""
    return key.replace("\t", " / ")


def rows_against_items(diff: SampleDiff, outputs: list[str], rows: list[tuple], items: list[dict | None],
                       keys: list[str], names: list[str] | None) -> None:
    """MySQL -> contract: each row's output columns against its item's attribute of that name
    (MySQL names ignore case)."""
    for row, item, key in zip(rows, items, keys):
        if item is None:
            continue
        known = {n.lower(): n for n in (names if names is not None else item)}
        for output, value in zip(outputs, row):
            name = known.get(output.lower())
            if name is None:
                continue
            if not same(value, item.get(name)):
                diff.attributes.append({"key": key, "attribute": name, "mysql": _mysql(value),
                                        "contract": canonical_item({name: item[name]})[name] if name in item else None})


def _mysql(value: Any) -> Any:
    return value if isinstance(value, (int, str, type(None))) else str(value)


def items_against_answer(diff: SampleDiff, expected: list[dict], answer: list[dict], pk: str, sk: str | None,
                         names: list[str] | None) -> None:
    """Contract -> DynamoDB: by item key, then attribute by attribute."""
    want = {key_text(i, pk, sk): i for i in expected}
    got = {key_text(i, pk, sk): i for i in answer if pk in i and (sk is None or sk in i)}
    diff.missing = [show_key(k) for k in want if k not in got][:SHOWN]
    diff.extra = [show_key(k) for k in got if k not in want][:SHOWN]
    for key in [k for k in want if k in got]:
        a, b = canonical_item(project(want[key], names)), canonical_item(project(got[key], names))
        for name in sorted(set(a) | set(b)):
            if a.get(name) != b.get(name) and len(diff.attributes) < SHOWN:
                diff.attributes.append({"key": show_key(key), "attribute": name, "contract": a.get(name),
                                        "dynamodb": b.get(name)})


def order_against_answer(diff: SampleDiff, expected_keys: list[str], order_values: list[tuple], answer: list[dict],
                         pk: str, sk: str | None, truncated: bool) -> None:
    """The answer's order against ORDER BY's: each run of rows with equal ORDER BY values must come
    back as a run of the same items, in any order within it (the last run of a truncated answer
    may hold any of the tied rows)."""
    got = [show_key(key_text(i, pk, sk)) if pk in i else "?" for i in answer]
    start = 0
    while start < len(expected_keys):
        end = start + 1
        while end < len(expected_keys) and order_values[end] == order_values[start]:
            end += 1
        if truncated and end == len(expected_keys):
            return
        if Counter(expected_keys[start:end]) != Counter(got[start:end]):
            diff.order = (f"order differs at position {start + 1}: ORDER BY gives {show_key(expected_keys[start])}, "
                          f"DynamoDB returned {show_key(got[start]) if start < len(got) else 'nothing'}")
            return
        start = end


def list_against_rows(diff: SampleDiff, outputs: list[str], rows: list[tuple], elements: list[Any],
                      ordered: bool, key: str) -> None:
    """MySQL -> contract for an embedded list: each row against one element (a map), on the
    element keys named like the statement's output columns."""
    maps = [{k.lower(): v for k, v in e.items()} if isinstance(e, dict) else {} for e in elements]
    shared = [n for n in outputs if any(n.lower() in m for m in maps)]
    if not shared:
        diff.problems.append(f"{key}: the list's elements carry none of {', '.join(outputs)}")
        return
    index = [outputs.index(n) for n in shared]
    mine = [tuple(_cell(row[i]) for i in index) for row in rows]
    theirs = [tuple(_element(m.get(n.lower())) for n in shared) for m in maps]
    if (mine != theirs) if ordered else (Counter(mine) != Counter(theirs)):
        lost = [r for r in mine if r not in theirs][:3]
        added = [t for t in theirs if t not in mine][:3]
        diff.attributes.append({"key": key, "attribute": f"list ({', '.join(shared)})",
                                "mysql": [list(map(str, r)) for r in lost],
                                "contract": [list(map(str, t)) for t in added]})


def _cell(value: Any) -> Any:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return _number(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _element(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, str) and "T" in value[:11]:
        try:
            return datetime.fromisoformat(value).isoformat()
        except ValueError:
            return value
    return value
