"""Compare DynamoDB tables with shared/corpora/sakila/contract-expected.json: counts, key hashes,
first/last keys, GSI counts, attribute counts and every sample item exactly (N as Decimal, SS as
a set, B as bytes, an extra entity_type ignored). Used by every path that writes Sakila items."""

from __future__ import annotations

import base64
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable


def canonical_n(text: str) -> str:
    value = Decimal(text).normalize()
    out = format(value, "f")
    return "0" if out in ("-0", "") else out


def key_text(item: dict, pk: str, sk: str | None) -> str:
    def one(av: dict) -> str:
        (kind, value), = av.items()
        if kind == "N":
            return canonical_n(value)
        if kind == "B":
            return base64.b64encode(value).decode() if isinstance(value, (bytes, bytearray)) else value
        return value

    return one(item[pk]) + ("\t" + one(item[sk]) if sk else "")


def normalize(av: Any) -> Any:
    """An AttributeValue (boto3 client shape or wire JSON) in a comparable form."""
    (kind, value), = av.items()
    if kind == "N":
        return ("N", Decimal(value))
    if kind == "NS":
        return ("NS", frozenset(Decimal(v) for v in value))
    if kind == "SS":
        return ("SS", frozenset(value))
    if kind == "B":
        return ("B", bytes(value) if isinstance(value, (bytes, bytearray)) else base64.b64decode(value))
    if kind == "BS":
        return ("BS", frozenset(bytes(v) if isinstance(v, (bytes, bytearray)) else base64.b64decode(v) for v in value))
    if kind == "M":
        return ("M", {k: normalize(v) for k, v in value.items()})
    if kind == "L":
        return ("L", [normalize(v) for v in value])
    return (kind, value)


def normalize_item(item: dict) -> dict:
    return {k: normalize(v) for k, v in item.items() if k != "entity_type"}


def scan_all(client: Any, table: str) -> Iterable[dict]:
    for page in client.get_paginator("scan").paginate(TableName=table):
        yield from page["Items"]


def load_expected(sakila_dir: Path) -> dict:
    return json.loads((sakila_dir / "contract-expected.json").read_text())


def compare_table(items: list[dict], expected: dict) -> list[str]:
    """Every difference between `items` and one table of the expected file, as messages."""
    problems: list[str] = []
    pk, sk = expected["pk"], expected["sk"]
    keys = sorted(key_text(i, pk, sk) for i in items)
    name = expected["table"]
    if len(items) != expected["item_count"]:
        problems.append(f"{name}: {len(items)} items, expected {expected['item_count']}")
    if len(set(keys)) != len(keys):
        problems.append(f"{name}: duplicate keys")
    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()
    if digest != expected["key_hash"]:
        problems.append(f"{name}: key hash differs")
    if keys[: len(expected["first_keys"])] != expected["first_keys"]:
        problems.append(f"{name}: first keys {keys[:3]} != {expected['first_keys']}")
    if keys[-len(expected["last_keys"]):] != expected["last_keys"]:
        problems.append(f"{name}: last keys {keys[-2:]} != {expected['last_keys']}")
    counts: dict[str, int] = {}
    for item in items:
        for attr in item:
            if attr != "entity_type":
                counts[attr] = counts.get(attr, 0) + 1
    if counts != expected["attribute_counts"]:
        diff = {a: (counts.get(a), expected["attribute_counts"].get(a))
                for a in set(counts) | set(expected["attribute_counts"]) if counts.get(a) != expected["attribute_counts"].get(a)}
        problems.append(f"{name}: attribute counts differ (got, expected): {diff}")
    for gsi in expected.get("gsis", []):
        needed = [gsi["pk"]] + ([gsi["sk"]] if gsi.get("sk") else [])
        got = sum(1 for i in items if all(k in i for k in needed))
        if got != gsi["item_count"]:
            problems.append(f"{name}.{gsi['index_name']}: {got} items, expected {gsi['item_count']}")
    by_key = {key_text(i, pk, sk): i for i in items}
    for sample in expected["samples"]:
        item = by_key.get(sample["key"])
        if item is None:
            problems.append(f"{name}: sample {sample['key']!r} missing")
        elif normalize_item(item) != normalize_item(sample["item"]):
            want, got = normalize_item(sample["item"]), normalize_item(item)
            fields = sorted(a for a in set(want) | set(got) if want.get(a) != got.get(a))
            problems.append(f"{name}: sample {sample['key']!r} differs in {fields}")
    return problems


def assert_matches_expected(client: Any, sakila_dir: Path, tables: list[str] | None = None) -> None:
    expected = load_expected(sakila_dir)
    problems: list[str] = []
    for table in expected["tables"]:
        if tables and table["table"] not in tables:
            continue
        problems += compare_table(list(scan_all(client, table["table"])), table)
    assert not problems, "\n".join(problems)
