"""Order-independent digests of a set of items, bucketed by key hash, for verification.

Each item gets a canonical form (numbers in canonical text so 117.70 and 117.7 agree, sets
sorted, binary as base64, map keys sorted) and a sha256. Hashing was half the verifier's CPU per
item on both sides: an item already canonical (the converter's output, DynamoDB's answers) is
hashed from its orjson text as it is (~3 us), and only the others are walked value by value. Per bucket (the first byte of
sha256(key): 256 buckets) we keep the item count, the XOR and the sum (mod 2**256) of the item
hashes: equal buckets hold the same items with overwhelming probability, whatever the order they
were read in; a differing bucket is re-read to name its keys.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any, Iterable

import orjson

from mysql2ddb.tools.execution.convert import RowRejected, canonical_number
from mysql2ddb.tools.execution.item_keys import key_text

BUCKETS = 256
REFUSED = "DynamoDB refused the item:"  # the copy engine's reason for an item DynamoDB would not store
_MASK = (1 << 256) - 1
# number text canonical_number would return unchanged: no exponent, no leading or trailing zeros,
# at most 38 characters (so at most 38 significant digits and well inside DynamoDB's range)
_CANONICAL_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?")
# in an item's JSON: a number not in that text (or "-0"; longer canonical text is still unique), or
# a set (its order is not canonical). `"N":"` and `"SS":[` cannot occur inside a JSON string (its
# quotes are escaped), and an attribute named N or SS is followed by `{`, not by a value.
_NOT_CANONICAL = re.compile(rb'"N":"(?:-0"|(?!-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?"))|"[SNB]S":\[')


def wire_value(av: dict) -> Any:
    """An AttributeValue (wire JSON, or boto3's client shape with bytes) in canonical plain form."""
    (kind, value), = av.items()
    if kind == "N":
        return ["N", canonical_number(value)]
    if kind == "B":
        return ["B", _b64(value)]
    if kind == "SS":
        return ["SS", sorted(value)]
    if kind == "NS":
        return ["NS", sorted(canonical_number(v) for v in value)]
    if kind == "BS":
        return ["BS", sorted(_b64(v) for v in value)]
    if kind == "M":
        return ["M", {k: wire_value(v) for k, v in value.items()}]
    if kind == "L":
        return ["L", [wire_value(v) for v in value]]
    return [kind, value]


def _b64(value: Any) -> str:
    return base64.b64encode(bytes(value)).decode("ascii") if isinstance(value, (bytes, bytearray, memoryview)) else value


def canonical_item(item: dict) -> dict:
    return {name: wire_value(av) for name, av in item.items()}


def _number(text: Any) -> str:
    if type(text) is str and len(text) <= 38 and text != "-0" and _CANONICAL_NUMBER.fullmatch(text):
        return text
    return canonical_number(text)


def hash_value(av: dict) -> dict:
    """An AttributeValue in the hashed canonical form: itself when already canonical."""
    (kind, value), = av.items()
    if kind == "S" or kind == "BOOL" or kind == "NULL":
        return av
    if kind == "N":
        text = _number(value)
        return av if text is value else {"N": text}
    if kind == "B":
        return av if type(value) is str else {"B": _b64(value)}
    if kind == "M":
        return {"M": {k: hash_value(v) for k, v in value.items()}}
    if kind == "L":
        return {"L": [hash_value(v) for v in value]}
    if kind == "SS":
        return {"SS": sorted(value)}
    if kind == "NS":
        return {"NS": sorted(_number(v) for v in value)}
    if kind == "BS":
        return {"BS": sorted(_b64(v) for v in value)}
    return av


def item_hash(item: dict) -> int:
    """sha256 of the item's canonical form (orjson, sorted keys). Most items are canonical as they
    come (the converter's output, DynamoDB's answers): their wire JSON is hashed as it is, and the
    walk through hash_value runs only for an item whose JSON shows a number in other text, a set,
    or binary as bytes: for any other item both ways give the same bytes."""
    try:
        text = orjson.dumps(item, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # bytes: boto3's shape of binary values
        text = b""
    if not text or _NOT_CANONICAL.search(text):
        text = orjson.dumps({name: hash_value(av) for name, av in item.items()}, option=orjson.OPT_SORT_KEYS)
    return int.from_bytes(hashlib.sha256(text).digest(), "big")


def bucket_of(key: str) -> int:
    return hashlib.sha256(key.encode("utf-8")).digest()[0]


class Digest:
    """count / XOR / sum of item hashes per key bucket, for one side of one table."""

    def __init__(self) -> None:
        self.count = [0] * BUCKETS
        self.xor = [0] * BUCKETS
        self.sum = [0] * BUCKETS
        self.items = 0

    def add(self, key: str, digest: int) -> None:
        b = bucket_of(key)
        self.count[b] += 1
        self.xor[b] ^= digest
        self.sum[b] = (self.sum[b] + digest) & _MASK
        self.items += 1

    def merge(self, other: "Digest") -> None:
        for b in range(BUCKETS):
            self.count[b] += other.count[b]
            self.xor[b] ^= other.xor[b]
            self.sum[b] = (self.sum[b] + other.sum[b]) & _MASK
        self.items += other.items

    def differing(self, other: "Digest") -> set[int]:
        return {b for b in range(BUCKETS)
                if (self.count[b], self.xor[b], self.sum[b]) != (other.count[b], other.xor[b], other.sum[b])}


def field_diff(source: dict | None, target: dict | None) -> dict[str, dict[str, Any]]:
    """attr -> {"source": canonical value or None, "target": ...} for every attribute that differs."""
    a = canonical_item(source or {})
    b = canonical_item(target or {})
    return {name: {"source": a.get(name), "target": b.get(name)}
            for name in sorted(set(a) | set(b)) if a.get(name) != b.get(name)}


def key_attributes(item: dict, names: Iterable[str]) -> dict:
    """The key of an item in boto3's client shape (for GetItem)."""
    out = {}
    for name in names:
        (kind, value), = item[name].items()
        out[name] = {kind: base64.b64decode(value) if kind == "B" and isinstance(value, str) else value}
    return out


def refused_keys(reject_file: Path, pk: str, sk: str | None) -> set[str]:
    """Keys (key_text of the converted item, the verifier's form) of the items a run's copy left out
    because DynamoDB refused them: read line by line, only those few keys kept. Repeated keys
    ("duplicate key" lines) are not listed: the first item of such a key is in the table, and the
    verifier settles repeated keys itself (TableVerification.duplicates)."""
    keys: set[str] = set()
    if not reject_file.is_file():
        return keys
    with open(reject_file, "rb") as lines:
        for line in lines:
            if REFUSED.encode() not in line:  # most lines are the converter's: not even parsed
                continue
            try:
                record = orjson.loads(line)
                if str(record.get("reason", "")).startswith(REFUSED):
                    keys.add(key_text(record["item"], pk, sk))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError, RowRejected):
                continue  # a line without a usable key cannot match a source item
    return keys
