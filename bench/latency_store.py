"""The latency endpoint (bench/latency_endpoint.py) with a memory: items are kept, and Scan is served.

For the verification benchmark, copy and proof must meet the same endpoint: here BatchWriteItem
stores its items (puts and deletes, at most 25 a batch, keys counted as the latency endpoint does)
and Scan reads them back, both answered after the delay of a region 10 ms away. Scan does what
DynamoDB does for one: Segment/TotalSegments split the items by a hash of the partition key,
pages end at 1 MB of items (or `Limit`), LastEvaluatedKey resumes after the last key of a page.
Everything else (CreateTable, DescribeTable...) goes to the moto server behind, as before.

    python -m bench.latency_store --moto http://127.0.0.1:5000 --delay-ms 10
prints `READY <url>` on stdout once it listens.
"""

from __future__ import annotations

import asyncio
import sys
import zlib

import orjson

from bench.latency_endpoint import OK_BODY, Counts, EndpointProtocol, LatencyEndpoint, _response
from bench.latency_endpoint import main as run_endpoint
from mysql2ddb.tests.local_http import BATCH_TARGET

SCAN_TARGET = b"DynamoDB_20120810.Scan"
PAGE_BYTES = 1 << 20
TOO_MANY = (b'{"__type":"com.amazon.coral.validate#ValidationException",'
            b'"message":"Too many items requested for the BatchWriteItem call"}')


class Store(Counts):
    """Items per table (key -> item as sent), and each table's segments, rebuilt after writes."""

    def __init__(self, moto: str):
        super().__init__(moto)
        self.items: dict[str, dict[tuple, dict]] = {}
        self.segments: dict[tuple[str, int], list[list[tuple]]] = {}

    def _key(self, table: str, item: dict) -> tuple:
        return tuple(next(iter(item[n].items())) for n in self.key_names(table))

    def batch(self, body: bytes) -> bytes:
        self.requests += 1
        request = orjson.loads(body)["RequestItems"]
        if sum(len(v) for v in request.values()) > 25:
            self.oversized += 1
            return _response(400, TOO_MANY)
        for table, writes in request.items():
            stored = self.items.setdefault(table, {})
            seen = self.seen.setdefault(table, set())
            for write in writes:
                if "PutRequest" in write:
                    item = write["PutRequest"]["Item"]
                    key = self._key(table, item)
                    stored[key] = item
                    seen.add(key)
                    self.puts[table] = self.puts.get(table, 0) + 1
                else:
                    stored.pop(self._key(table, write["DeleteRequest"]["Key"]), None)
            self.segments = {k: v for k, v in self.segments.items() if k[0] != table}
        return OK_BODY

    def _segments(self, table: str, total: int) -> list[list[tuple]]:
        cached = self.segments.get((table, total))
        if cached is None:
            cached = [[] for _ in range(total)]
            for key in sorted(self.items.get(table, {}), key=repr):
                cached[zlib.crc32(repr(key[0]).encode()) % total].append(key)
            self.segments[(table, total)] = cached
        return cached

    def scan(self, body: bytes) -> bytes:
        request = orjson.loads(body)
        table = request["TableName"]
        if table not in self.items and table not in self.keys:
            try:
                self.key_names(table)  # created before we started? moto knows
            except Exception:  # noqa: BLE001 - moto said no such table
                return _response(400, orjson.dumps({
                    "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                    "message": "Requested resource not found"}))
        stored = self.items.get(table, {})
        keys = self._segments(table, int(request.get("TotalSegments", 1)))[int(request.get("Segment", 0))]
        start = 0
        if "ExclusiveStartKey" in request:
            after = self._key(table, request["ExclusiveStartKey"])
            try:
                start = keys.index(after) + 1
            except ValueError:
                start = len(keys)
        limit = int(request.get("Limit") or 1 << 30)
        page: list[bytes] = []
        size = 0
        end = start
        while end < len(keys) and len(page) < limit and size < PAGE_BYTES:
            raw = orjson.dumps(stored[keys[end]])
            page.append(raw)
            size += len(raw)
            end += 1
        answer = b'{"Items":[' + b",".join(page) + b'],"Count":%d,"ScannedCount":%d' % (len(page), len(page))
        if end < len(keys):
            last = stored[keys[end - 1]]
            answer += b',"LastEvaluatedKey":' + orjson.dumps({n: last[n] for n in self.key_names(table)})
        return _response(200, answer + b"}")

    def reset(self) -> None:
        super().reset()
        self.items.clear()
        self.segments.clear()


class StoreProtocol(EndpointProtocol):
    def on_request(self, method: bytes, path: bytes, headers: dict, body: bytes) -> None:
        target = headers.get(b"x-amz-target", b"")
        if target in (BATCH_TARGET, SCAN_TARGET):
            store = self.server.counts
            out = store.batch(body) if target == BATCH_TARGET else store.scan(body)
            asyncio.get_running_loop().call_later(self.server.delay, self.reply, out)
        else:
            super().on_request(method, path, headers, body)


class StoreEndpoint(LatencyEndpoint):
    protocol = StoreProtocol

    def __init__(self, moto: str, delay: float = 0.010, port: int = 0):
        super().__init__(moto, delay, port)
        self.counts = Store(self.moto)


if __name__ == "__main__":
    run_endpoint(sys.argv[1:], StoreEndpoint, __doc__, "BatchWriteItem and Scan")
