"""Finding the items DynamoDB refuses inside a refused BatchWriteItem.

DynamoDB answers a BatchWriteItem holding one invalid item (over 400 KB by its own count, a key
too long or of the wrong type, two puts of one key, a nesting too deep...) with a single 400
ValidationException and writes nothing of it. The copy engine (copy_engine.TableCopy.on_refused)
then splits the request in halves and sends each again, down to single items: a single item still
refused is a culprit, and goes to the reject file with DynamoDB's own message and its key; every
other item is written by exactly one accepted request. Two puts of one key (distinct source keys
that convert to one DynamoDB key, e.g. '7' and '07' as a number) are kept out of a batch by the
batcher where the key's conversion can merge keys (`merging_key`), and settled here otherwise,
without asking DynamoDB: the first is kept, as the batcher does for repeated source keys.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import orjson

from mysql2ddb.tools.execution.convert import RowRejected
from mysql2ddb.tools.execution.item_keys import key_text
from mysql2ddb.tools.execution.ddb_http import request_body

_INTEGER = re.compile(r"-?[0-9]{1,18}")
_NUMERIC_TYPES = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year", "serial", "decimal",
                  "numeric", "float", "double", "real", "bit", "bool", "boolean"}
DUPLICATE_ITEM = ("duplicate key: an earlier item of the same batch has the same DynamoDB key {key!r} "
                  "(distinct source keys convert to one); kept the first")


def merging_key(spec: dict[str, Any]) -> Callable[[dict], str] | None:
    """item -> key text when two distinct source keys may convert to one DynamoDB key: a number key
    read from text ('07', '7', ' 7' and '7.0' are all N 7) or from a column of unknown type. None
    when the conversion keeps distinct keys distinct (numbers from numbers, S and B from anything
    typed), which is the rule: the batcher's fast path stays on."""
    columns = {c["name"]: c for c in spec.get("columns", [])}
    pk, sk = spec["pk"], spec.get("sk")

    def merges(name: str) -> bool:
        column = columns.get(name, {})
        mysql_type = (column.get("mysql_type") or "").lower().split("(")[0].strip()
        ddb = column.get("ddb_type") or "S"
        return not mysql_type or (ddb == "N" and mysql_type not in _NUMERIC_TYPES)

    if not any(merges(n) for n in [pk] + ([sk] if sk else [])):
        return None
    return lambda item: key_text(item, pk, sk)


class Isolation:
    """The bodies and reject lines of one table's refused requests."""

    def __init__(self, table: str, pk: str, sk: str | None):
        self.table, self.pk, self.sk = table, pk, sk

    def requests(self, body: bytes) -> list[dict[str, Any]]:
        """The PutRequests of a request body (a whole batch, a part, or UnprocessedItems)."""
        return orjson.loads(body)["RequestItems"][self.table]

    def body(self, requests: list[dict[str, Any]]) -> bytes:
        return request_body({self.table: requests})

    def split(self, requests: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[bytes]]:
        """(the requests to send again, reject lines of the repeated keys dropped from them)."""
        seen: set[str] = set()
        kept, lines = [], []
        for request in requests:
            key = self._key_text(request)
            if key is not None and key in seen:
                lines.append(self.reject_line(request, DUPLICATE_ITEM.format(key=key)))
                continue
            if key is not None:
                seen.add(key)
            kept.append(request)
        return kept, lines

    def reject_line(self, request: dict[str, Any], reason: str) -> bytes:
        """A reject file line for an item that never reached the table: its key, the reason and the
        item itself (DynamoDB JSON; the source row is not kept in memory once converted)."""
        item = request.get("PutRequest", {}).get("Item", {})
        names = [self.pk] + ([self.sk] if self.sk else [])
        record = {"table": self.table, "key": [_plain(item.get(n)) for n in names], "reason": reason, "item": item}
        return orjson.dumps(record) + b"\n"

    def _key_text(self, request: dict[str, Any]) -> str | None:
        try:
            return key_text(request["PutRequest"]["Item"], self.pk, self.sk)
        except (KeyError, TypeError, ValueError, AttributeError, RowRejected):
            return None  # no usable key: DynamoDB will say what is wrong with the item


def _plain(av: Any) -> Any:
    """A key value as the converter's reject lines show keys: numbers as JSON numbers when exact,
    strings as text, binary as {"base64": ...}."""
    if not isinstance(av, dict) or len(av) != 1:
        return av
    (kind, value), = av.items()
    if kind == "N" and isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    if kind == "B":
        return {"base64": value}
    return value
