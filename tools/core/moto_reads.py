"""Scan and Query pages of our moto server, encoded with `json` instead of moto's generic serializer.

moto 5.2 writes every response through a serializer driven by botocore's service model: each
AttributeValue of each item is walked member by member (its ten possible types tried one by one,
each through a picker that tries several spellings of the name). Measured on Sakila's
CustomerRentals (16,643 items, 6.9 MB) in one process: a full Scan took 13.8 s, 85% of it in that
serializer; encoded here it takes 3.4 s, the rest being moto's own scan (sort, deepcopy, sizes).
Verification reads every table back with Scan, so on the embedded endpoint this was what made
proof slower than the copy.

Only the `Items` list is encoded here, and only for Scan and Query: the rest of the answer
(Count, ScannedCount, LastEvaluatedKey, ConsumedCapacity, status and headers) still comes from
moto's serializer, called with the items left out, so those parts stay exactly moto's. Items are
plain DynamoDB JSON after moto's own `dynamo_to_dict` (binary as bytes): `{"name": {"S": ...}}`,
binary base64-encoded as the wire format wants. Errors and every other operation are untouched.
"""

from __future__ import annotations

import base64
import json
from typing import Any

READS = frozenset({"Scan", "Query"})


def _binary(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not DynamoDB JSON")


def install() -> None:
    """Patch moto's DynamoDB handler in this process (the moto server's own): idempotent."""
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    original = DynamoHandler.serialized
    if getattr(original, "mysql2ddb_fast_reads", False):
        return

    def serialized(self: Any, action_result: Any) -> Any:
        result = action_result.result
        if (type(action_result) is not DynamoResult or not isinstance(result, dict) or not result.get("Items")
                or self._get_action() not in READS):
            return original(self, action_result)
        status, headers, body = original(self, DynamoResult({**result, "Items": []}))
        if not isinstance(body, str) or not body.startswith("{"):
            return original(self, action_result)  # not the JSON answer we know: moto's own way
        answer = json.loads(body)
        answer["Items"] = result["Items"]
        return status, headers, json.dumps(answer, default=_binary, separators=(",", ":"))

    serialized.mysql2ddb_fast_reads = True  # type: ignore[attr-defined]
    DynamoHandler.serialized = serialized
