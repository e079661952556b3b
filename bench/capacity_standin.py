"""A DynamoDB region's write limits on 127.0.0.1, for the throttling tests and benchmark.

BatchWriteItem is answered as DynamoDB answers it under load. Every table has a token bucket
(default 4,000 write units a second: a new on-demand table) and every partition one of its own
(1,000 a second; a partition key's items live in partition crc32(key) % partitions); each GSI the
same, partitioned by its own key. Buckets start full and hold `burst_s` seconds of their rate. An
item costs the table ceil(size / 1 KB) units, size by DynamoDB's rules (names and values), and
each GSI it lands in (the index keys present) the units of its projected copy. A request's items
are taken in order while their table, partition and index buckets hold enough; the others come
back as UnprocessedItems; when none fits the answer is 400 ProvisionedThroughputExceededException.
ConsumedCapacity comes back as asked (TOTAL or INDEXES), for what was written. Answers leave
after `delay_s` (10 ms: a region), and more than 25 puts a request are refused, as DynamoDB does.

Every other call (CreateTable, DescribeTable, Scan...) goes to the moto server behind it, and
DescribeTable states the stand-in's capacity (WarmThroughput on demand, WriteCapacityUnits when
provisioned), as DynamoDB would. Accepted items are written to moto (`store`, for tests that read
them back) or only counted (the benchmark: moto would be the bottleneck). `GET /__stats`: per table
the puts accepted, distinct keys, items and requests throttled, units consumed, first and last
accepted time; `POST /__reset`; `POST /__capacity` with {"table_wcu", "partition_wcu", "index_wcu"}.

    python -m bench.capacity_standin --moto http://127.0.0.1:5000 [--table-wcu 4000 --partition-wcu 1000
        --partitions 4 --delay-ms 10 --store]
prints `READY <url>` once it listens. In a test: `with CapacityStandin(moto_url, Limits(...)) as s: s.url`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import json
import math
import sys
import threading
import time
import zlib
from typing import Any

import orjson

from mysql2ddb.tests.local_http import BATCH_TARGET, CREATE_TARGET, JSON_TYPE, RequestProtocol, Upstream, http_response

DESCRIBE_TARGET = b"DynamoDB_20120810.DescribeTable"
THROTTLED = (b'{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",'
             b'"message":"The level of configured provisioned throughput for the table was exceeded. '
             b'Consider increasing your provisioning level with the UpdateTable API."}')
TOO_MANY = (b'{"__type":"com.amazon.coral.validate#ValidationException",'
            b'"message":"Too many items requested for the BatchWriteItem call"}')


@dataclasses.dataclass
class Limits:
    table_wcu: float = 4_000.0
    partition_wcu: float = 1_000.0
    partitions: int = 4
    index_wcu: float | None = None  # each GSI's; None = the table's
    burst_s: float = 1.0
    delay_s: float = 0.010
    store: bool = True


# ---- DynamoDB's item size ---------------------------------------------------------------------

def value_size(av: dict[str, Any]) -> int:
    (kind, value), = av.items()
    if kind == "S":
        return len(value.encode("utf-8"))
    if kind == "N":
        digits = value.lstrip("-").replace(".", "").split("e")[0].split("E")[0].strip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(base64.b64decode(value))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(v.encode("utf-8")) for v in value)
    if kind == "NS":
        return sum(value_size({"N": v}) for v in value)
    if kind == "BS":
        return sum(len(base64.b64decode(v)) for v in value)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in value)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + value_size(v) for k, v in value.items())
    return len(json.dumps(value))


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + value_size(av) for name, av in item.items())


def units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


# ---- buckets ----------------------------------------------------------------------------------

class Bucket:
    def __init__(self, rate: float, burst_s: float, now: float):
        self.rate, self.cap = rate, rate * burst_s
        self.tokens, self.stamp = self.cap, now

    def refill(self, now: float) -> None:
        self.tokens = min(self.cap, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now


class Resource:
    """A table or a GSI: its own bucket and one per partition, keyed by `pk`."""

    def __init__(self, pk: str, rate: float, limits: Limits, now: float):
        self.pk = pk
        self.whole = Bucket(rate, limits.burst_s, now)
        self.parts = [Bucket(min(rate, limits.partition_wcu), limits.burst_s, now) for _ in range(limits.partitions)]

    def buckets(self, item: dict[str, Any], now: float) -> list[Bucket]:
        part = self.parts[zlib.crc32(orjson.dumps(item[self.pk], option=orjson.OPT_SORT_KEYS)) % len(self.parts)]
        self.whole.refill(now)
        part.refill(now)
        return [self.whole, part]


@dataclasses.dataclass
class Index:
    name: str
    keys: list[str]
    projection: str
    non_key: list[str]
    resource: Resource

    def copy_size(self, item: dict[str, Any], table_keys: list[str]) -> int:
        if self.projection == "ALL":
            return item_size(item)
        names = set(table_keys) | set(self.keys) | (set(self.non_key) if self.projection == "INCLUDE" else set())
        return item_size({k: v for k, v in item.items() if k in names})


class TableLimits:
    """One table's buckets, key schema and counts."""

    def __init__(self, desc: dict[str, Any], limits: Limits, now: float):
        order = {"HASH": 0, "RANGE": 1}
        self.keys = [k["AttributeName"] for k in sorted(desc["KeySchema"], key=lambda k: order[k["KeyType"]])]
        self.resource = Resource(self.keys[0], limits.table_wcu, limits, now)
        self.indexes = []
        for gsi in desc.get("GlobalSecondaryIndexes") or []:
            keys = [k["AttributeName"] for k in sorted(gsi["KeySchema"], key=lambda k: order[k["KeyType"]])]
            projection = gsi.get("Projection") or {}
            rate = limits.table_wcu if limits.index_wcu is None else limits.index_wcu
            self.indexes.append(Index(gsi["IndexName"], keys, projection.get("ProjectionType", "ALL"),
                                      projection.get("NonKeyAttributes") or [], Resource(keys[0], rate, limits, now)))
        self.seen: set = set()
        self.puts = self.throttled_items = self.throttled_requests = self.requests = 0
        self.units = 0.0
        self.index_units: dict[str, float] = {}
        self.first = self.last = 0.0

    def take(self, writes: list[dict[str, Any]], now: float) -> tuple[list, list, float, dict[str, float]]:
        """(accepted writes, unprocessed writes, table units, index units) of one request."""
        accepted, unprocessed, table_units, index_units = [], [], 0.0, {}
        for write in writes:
            item = write["PutRequest"]["Item"]
            cost = units(item_size(item))
            wants = [(b, cost) for b in self.resource.buckets(item, now)]
            copies = {}
            for index in self.indexes:
                if all(k in item for k in index.keys):  # a sparse index holds only the items with its keys
                    copies[index.name] = units(index.copy_size(item, self.keys))
                    wants += [(b, copies[index.name]) for b in index.resource.buckets(item, now)]
            if any(bucket.tokens < amount for bucket, amount in wants):
                unprocessed.append(write)
                continue
            for bucket, amount in wants:
                bucket.tokens -= amount
            for name, amount in copies.items():
                index_units[name] = index_units.get(name, 0.0) + amount
            table_units += cost
            accepted.append(write)
            self.seen.add(tuple(tuple(item[k].items())[0] for k in self.keys))
        return accepted, unprocessed, table_units, index_units

    def stats(self) -> dict[str, Any]:
        return {"puts": self.puts, "distinct": len(self.seen), "throttled_items": self.throttled_items,
                "throttled_requests": self.throttled_requests, "requests": self.requests, "units": self.units,
                "index_units": self.index_units, "first": self.first, "last": self.last}


def _consumed(table: str, table_units: float, index_units: dict[str, float], mode: str) -> list[dict[str, Any]]:
    total = table_units + sum(index_units.values())
    entry: dict[str, Any] = {"TableName": table, "CapacityUnits": total}
    if mode == "INDEXES":
        entry["Table"] = {"CapacityUnits": table_units}
        if index_units:
            entry["GlobalSecondaryIndexes"] = {n: {"CapacityUnits": u} for n, u in index_units.items()}
    return [entry]


class CapacityStandin:
    def __init__(self, moto: str, limits: Limits | None = None, port: int = 0):
        self.moto = moto.rstrip("/")
        self.limits = limits or Limits()
        self.port = port
        self.upstream = Upstream(self.moto)
        self.tables: dict[str, TableLimits] = {}
        self._learning: dict[str, asyncio.Future] = {}
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    # ---- requests ----
    async def handle(self, method: bytes, path: bytes, headers: dict, body: bytes) -> bytes:
        target = headers.get(b"x-amz-target", b"")
        if target == BATCH_TARGET:
            return await self.batch_write(method, path, headers, body)
        if path.startswith(b"/__stats"):
            stats = {"limits": dataclasses.asdict(self.limits), "tables": {t: v.stats() for t, v in self.tables.items()}}
            return http_response(200, json.dumps(stats).encode(), b"application/json")
        if path.startswith(b"/__reset"):
            self.tables.clear()
            return http_response(200, b"{}", b"application/json")
        if path.startswith(b"/__capacity"):
            change = json.loads(body or b"{}")
            self.limits = dataclasses.replace(self.limits, **change)
            self.tables.clear()  # buckets rebuilt, full, at the new rates
            return http_response(200, b"{}", b"application/json")
        if not target:  # like a region: the DynamoDB API only (no /moto-api/)
            return http_response(404, b"{}", b"application/json")
        status, data, ctype = await self.upstream.forward(method, path, headers, body)
        if target == DESCRIBE_TARGET and status == 200:
            data = self._stated(data)
        if target == CREATE_TARGET and status == 200:
            self.tables.pop(json.loads(body)["TableName"], None)
        return http_response(status, data, ctype)

    def _stated(self, data: bytes) -> bytes:
        """DescribeTable as DynamoDB would state this stand-in's limits."""
        doc = orjson.loads(data)
        table = doc.get("Table") or {}
        on_demand = (table.get("BillingModeSummary") or {}).get("BillingMode") == "PAY_PER_REQUEST" or not (
            (table.get("ProvisionedThroughput") or {}).get("WriteCapacityUnits"))
        index_wcu = self.limits.table_wcu if self.limits.index_wcu is None else self.limits.index_wcu
        for part, rate in [(table, self.limits.table_wcu)] + [(g, index_wcu) for g in table.get("GlobalSecondaryIndexes") or []]:
            if on_demand:
                part["WarmThroughput"] = {**(part.get("WarmThroughput") or {}), "WriteUnitsPerSecond": int(rate),
                                          "Status": "ACTIVE"}
            else:
                part.setdefault("ProvisionedThroughput", {})["WriteCapacityUnits"] = int(rate)
        return orjson.dumps(doc)

    async def _table(self, name: str, headers: dict) -> TableLimits:
        if name not in self.tables:  # the first requests of a table all wait for one DescribeTable
            if name not in self._learning:
                self._learning[name] = asyncio.ensure_future(self._learn(name, headers))
            try:
                await asyncio.shield(self._learning[name])
            finally:
                self._learning.pop(name, None)
        return self.tables[name]

    async def _learn(self, name: str, headers: dict) -> None:
        body = json.dumps({"TableName": name}).encode()
        status, data, _ = await self.upstream.forward(b"POST", b"/", {**headers, b"x-amz-target": DESCRIBE_TARGET}, body)
        if status != 200:
            raise LookupError(data.decode("utf-8", "replace"))
        self.tables.setdefault(name, TableLimits(orjson.loads(data)["Table"], self.limits, time.monotonic()))

    async def batch_write(self, method: bytes, path: bytes, headers: dict, body: bytes) -> bytes:
        started = time.monotonic()
        request = orjson.loads(body)
        if sum(len(v) for v in request["RequestItems"].values()) > 25:
            return http_response(400, TOO_MANY)
        mode = request.get("ReturnConsumedCapacity", "NONE")
        (name, writes), = request["RequestItems"].items()
        try:
            table = await self._table(name, headers)
        except LookupError as exc:
            return http_response(400, str(exc).encode())
        now = time.monotonic()
        table.requests += 1
        accepted, unprocessed, table_units, index_units = table.take(writes, now)
        if not accepted:
            table.throttled_requests += 1
            table.throttled_items += len(writes)
            await asyncio.sleep(max(0.0, self.limits.delay_s - (time.monotonic() - started)))
            return http_response(400, THROTTLED)
        if self.limits.store:
            status, data, ctype = await self.upstream.forward(method, path, headers,
                                                              orjson.dumps({"RequestItems": {name: accepted}}))
            if status != 200:
                return http_response(status, data, ctype)
        table.puts += len(accepted)
        table.throttled_items += len(unprocessed)
        table.units += table_units
        for index, amount in index_units.items():
            table.index_units[index] = table.index_units.get(index, 0.0) + amount
        table.first = table.first or now
        table.last = now
        answer: dict[str, Any] = {"UnprocessedItems": {name: unprocessed} if unprocessed else {}}
        if mode in ("TOTAL", "INDEXES"):
            answer["ConsumedCapacity"] = _consumed(name, table_units, index_units, mode)
        await asyncio.sleep(max(0.0, self.limits.delay_s - (time.monotonic() - started)))
        return http_response(200, orjson.dumps(answer))

    # ---- serving: in this process's thread (tests) or as a process (the benchmark) ----
    async def serve(self, ready: Any = None) -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Conn(self), "127.0.0.1", self.port, backlog=1024)
        self.port = server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        if ready:
            ready(self.url)
        async with server:
            await server.serve_forever()

    def __enter__(self) -> "CapacityStandin":
        def run() -> None:
            loop = self._loop = asyncio.new_event_loop()
            task = loop.create_task(self.serve(lambda url: self._ready.set()))
            try:
                loop.run_forever()
            finally:
                task.cancel()
                loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
                loop.run_until_complete(self.upstream.close())
                loop.close()

        self._thread = threading.Thread(target=run, name="capacity-standin", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the capacity stand-in did not start")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def set_limits(self, **change: Any) -> None:
        """From another thread (a test): new limits, buckets rebuilt full."""
        def apply() -> None:
            self.limits = dataclasses.replace(self.limits, **change)
            self.tables.clear()

        assert self._loop is not None
        done = threading.Event()
        self._loop.call_soon_threadsafe(lambda: (apply(), done.set()))
        done.wait(10)

    def stats(self, table: str) -> dict[str, Any]:
        """From another thread: one table's counts (puts, distinct, throttled_items...)."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self._stats(table), self._loop)
        return future.result(10)

    async def _stats(self, table: str) -> dict[str, Any]:
        return self.tables[table].stats() if table in self.tables else {}


class _Conn(RequestProtocol):
    def __init__(self, standin: CapacityStandin):
        super().__init__()
        self.standin = standin

    def on_request(self, method: bytes, path: bytes, headers: dict, body: bytes) -> None:
        asyncio.ensure_future(self._handle(method, path, headers, body))

    async def _handle(self, method: bytes, path: bytes, headers: dict, body: bytes) -> None:
        try:
            out = await self.standin.handle(method, path, headers, body)
        except Exception as exc:  # noqa: BLE001 - a stand-in bug must show in the test, not hang it
            out = http_response(500, json.dumps({"__type": "StandinError", "message": repr(exc)}).encode(), JSON_TYPE)
        self.reply(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moto", required=True, help="moto server URL for every call but BatchWriteItem")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--table-wcu", type=float, default=4_000)
    parser.add_argument("--partition-wcu", type=float, default=1_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--burst-s", type=float, default=1.0)
    parser.add_argument("--delay-ms", type=float, default=10.0)
    parser.add_argument("--store", action="store_true", help="write accepted items to moto (default: count them)")
    args = parser.parse_args(argv)
    limits = Limits(table_wcu=args.table_wcu, partition_wcu=args.partition_wcu, partitions=args.partitions,
                    burst_s=args.burst_s, delay_s=args.delay_ms / 1000.0, store=args.store)
    standin = CapacityStandin(args.moto, limits, args.port)
    asyncio.run(standin.serve(lambda url: print("READY", url, flush=True)))


if __name__ == "__main__":
    main(sys.argv[1:])
