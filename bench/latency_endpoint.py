"""A DynamoDB endpoint that behaves like a region 10 ms away, for the copy benchmark.

BatchWriteItem is answered here after `delay` seconds (a round trip to a real region) with no
UnprocessedItems; every key it receives is counted, so the bench can check that each source row
arrived exactly once. It refuses more than 25 puts a batch, as DynamoDB does. Every other API
call (CreateTable, DescribeTable, ...) is forwarded to a moto server; anything else, such as moto's
own /moto-api/, is answered 404 (a region is not a moto server). `GET /__stats` returns the
counts, `POST /__reset` clears them.

A plain-asyncio HTTP/1.1 server with keep-alive: the endpoint shares the machine with the writer
it measures, so it must cost little CPU per request.

    python -m bench.latency_endpoint --port 0 --moto http://127.0.0.1:5000 --delay-ms 10
prints `READY <url>` on stdout once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import urllib.request
from typing import Any

from mysql2ddb.tests.local_http import BATCH_TARGET, CREATE_TARGET, JSON_TYPE, RequestProtocol, Upstream, http_response

try:  # faster parsing when available; the stdlib is enough
    import orjson

    loads = orjson.loads
except ImportError:  # pragma: no cover
    loads = json.loads



def _response(status: int, body: bytes, ctype: bytes = JSON_TYPE) -> bytes:
    return http_response(status, body, ctype, request_id=b"bench")


OK_BODY = _response(200, b'{"UnprocessedItems":{}}')


class Counts:
    """Distinct keys and puts per table; key schemas learnt from CreateTable or DescribeTable."""

    def __init__(self, moto: str):
        self.moto = moto
        self.keys: dict[str, list[str]] = {}
        self.seen: dict[str, set] = {}
        self.puts: dict[str, int] = {}
        self.requests = 0
        self.oversized = 0

    def key_names(self, table: str) -> list[str]:
        if table not in self.keys:  # a table created before we started: ask moto once
            body = json.dumps({"TableName": table}).encode()
            req = urllib.request.Request(self.moto, data=body, method="POST", headers={
                "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.DescribeTable",
                "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20200101/us-east-1/dynamodb/aws4_request"})
            with urllib.request.urlopen(req, timeout=10) as resp:
                schema = json.loads(resp.read())["Table"]["KeySchema"]
            self.learn(table, schema)
        return self.keys[table]

    def learn(self, table: str, key_schema: list[dict[str, Any]]) -> None:
        order = {"HASH": 0, "RANGE": 1}
        self.keys[table] = [k["AttributeName"] for k in sorted(key_schema, key=lambda k: order[k["KeyType"]])]

    def batch(self, body: bytes) -> bytes:
        self.requests += 1
        request = loads(body)["RequestItems"]
        total = sum(len(v) for v in request.values())
        if total > 25:
            self.oversized += 1
            msg = b'{"__type":"com.amazon.coral.validate#ValidationException","message":"Too many items requested for the BatchWriteItem call"}'
            return _response(400, msg)
        for table, writes in request.items():
            names = self.key_names(table)
            seen = self.seen.setdefault(table, set())
            puts = 0
            for write in writes:
                item = write["PutRequest"]["Item"]
                seen.add(tuple(tuple(item[n].items())[0] for n in names))
                puts += 1
            self.puts[table] = self.puts.get(table, 0) + puts
        return OK_BODY

    def stats(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "oversized": self.oversized,
            "tables": {t: {"puts": self.puts.get(t, 0), "distinct": len(s)} for t, s in self.seen.items()},
        }

    def reset(self) -> None:
        self.seen.clear()
        self.puts.clear()
        self.requests = self.oversized = 0


class EndpointProtocol(RequestProtocol):
    """One keep-alive connection; BatchWriteItem answered after the delay, other API calls forwarded."""

    def __init__(self, server: "LatencyEndpoint"):
        super().__init__()
        self.server = server

    def on_request(self, method: bytes, path: bytes, headers: dict, body: bytes) -> None:
        target = headers.get(b"x-amz-target", b"")
        if target == BATCH_TARGET:
            out = self.server.counts.batch(body)
            asyncio.get_running_loop().call_later(self.server.delay, self.reply, out)
        elif path.startswith(b"/__stats"):
            self.reply(_response(200, json.dumps(self.server.counts.stats()).encode(), b"application/json"))
        elif path.startswith(b"/__reset"):
            self.server.counts.reset()
            self.reply(_response(200, b"{}", b"application/json"))
        elif not target:  # like a real region: nothing but the DynamoDB API (no /moto-api/)
            self.reply(_response(404, b"{}", b"application/json"))
        else:
            if target == CREATE_TARGET:
                request = json.loads(body)
                self.server.counts.learn(request["TableName"], request["KeySchema"])
            asyncio.ensure_future(self.forward(method, path, headers, body))

    async def forward(self, method: bytes, path: bytes, headers: dict, body: bytes) -> None:
        self.reply(_response(*await self.server.upstream.forward(method, path, headers, body)))


class LatencyEndpoint:
    protocol: Any = None  # EndpointProtocol (set below the class); StoreEndpoint serves its own

    def __init__(self, moto: str, delay: float = 0.010, port: int = 0):
        self.moto = moto.rstrip("/")
        self.delay = delay
        self.port = port
        self.counts = Counts(self.moto)
        self.upstream = Upstream(self.moto)

    async def serve(self, ready: Any = None) -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: self.protocol(self), "127.0.0.1", self.port, backlog=1024)
        self.port = server.sockets[0].getsockname()[1]
        if ready:
            ready(f"http://127.0.0.1:{self.port}")
        async with server:
            await server.serve_forever()


LatencyEndpoint.protocol = EndpointProtocol


def main(argv: list[str] | None = None, endpoint_class: type = LatencyEndpoint, doc: str | None = None,
         served: str = "BatchWriteItem") -> None:
    parser = argparse.ArgumentParser(description=(doc or __doc__ or "").splitlines()[0])
    parser.add_argument("--moto", required=True, help=f"moto server URL for every call but {served}")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=10.0)
    args = parser.parse_args(argv)
    endpoint = endpoint_class(args.moto, args.delay_ms / 1000.0, args.port)
    try:
        import uvloop  # optional: a cheaper event loop leaves more CPU to the writer being measured

        run = uvloop.run
    except ImportError:
        run = asyncio.run
    run(endpoint.serve(lambda url: print("READY", url, flush=True)))


if __name__ == "__main__":
    main(sys.argv[1:])
