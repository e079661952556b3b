"""A fault-injecting HTTP proxy in front of a moto server, for the copy engine's tests.

moto never throttles, never returns UnprocessedItems and never drops a connection; real DynamoDB
does all three. This proxy (plain asyncio, HTTP/1.1 keep-alive, on 127.0.0.1, in a thread of its
own) forwards every DynamoDB API call to moto, and for BatchWriteItem injects, each at its own rate:
  - throttling: a 400 ProvisionedThroughputExceededException / ThrottlingException, nothing forwarded;
  - partial batches: only the first k < n puts are forwarded, the rest returned as UnprocessedItems;
  - dropped connections: the connection is closed without an answer, half of the time after the
    batch was forwarded (the write happened, the client cannot know: a PutRequest is idempotent).
It counts what it did, so a test can check that every injected fault was retried exactly once.
Like a region it answers nothing but the API (moto's /moto-api/ is a 404), so the engine uses
DynamoDB's batch size through it.
An optional delay per BatchWriteItem slows a copy down enough to kill it in the middle.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from dataclasses import dataclass
from typing import Any

from .local_http import BATCH_TARGET, RequestProtocol, Upstream, http_response


def _response(status: int, body: bytes, ctype: bytes = b"application/x-amz-json-1.0") -> bytes:
    return http_response(status, body, ctype, request_id=b"fault-proxy")

THROTTLES = [
    ("ProvisionedThroughputExceededException",
     "The level of configured provisioned throughput for the table was exceeded."),
    ("ThrottlingException", "Rate of requests exceeds the allowed throughput."),
]


@dataclass
class FaultCounts:
    requests: int = 0            # every request received
    batch_requests: int = 0      # BatchWriteItem requests received
    throttled: int = 0
    partial: int = 0             # batches answered with some UnprocessedItems
    unprocessed_items: int = 0
    dropped: int = 0
    dropped_after_forward: int = 0
    forwarded_puts: int = 0      # PutRequests that reached moto

    @property
    def faults(self) -> int:
        return self.throttled + self.partial + self.dropped


class _Conn(RequestProtocol):
    def __init__(self, proxy: "FaultProxy"):
        super().__init__()
        self.proxy = proxy

    def on_request(self, method: bytes, path: bytes, headers: dict, body: bytes) -> None:
        asyncio.ensure_future(self._handle(method, path, headers, body))

    async def _handle(self, method: bytes, path: bytes, headers: dict, body: bytes) -> None:
        try:
            out = await self.proxy._handle(method, path, headers, body)
        except Exception as exc:  # noqa: BLE001 - a proxy bug must show in the test, not hang it
            out = _response(500, json.dumps({"__type": "ProxyError", "message": repr(exc)}).encode())
        if out is None:  # drop the connection without an answer
            self.drop()
        else:
            self.reply(out)


class FaultProxy:
    """`with FaultProxy(moto_url, throttle=0.1, partial=0.1, drop=0.05) as proxy:` use proxy.url."""

    def __init__(self, upstream: str, *, throttle: float = 0.0, partial: float = 0.0, drop: float = 0.0,
                 delay_s: float = 0.0, seed: int = 7):
        self.upstream = Upstream(upstream)
        self.throttle, self.partial, self.drop, self.delay_s = throttle, partial, drop, delay_s
        self.random = random.Random(seed)
        self.counts = FaultCounts()
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._server: Any = None

    # ---- lifecycle (the proxy runs its own loop in a thread) ----
    def start(self) -> "FaultProxy":
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fault proxy did not start")
        return self

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)

        async def serve() -> None:
            self._server = await loop.create_server(lambda: _Conn(self), "127.0.0.1", 0)
            self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
            self._ready.set()

        loop.run_until_complete(serve())
        loop.run_forever()
        loop.run_until_complete(self._close())
        loop.close()

    async def _close(self) -> None:
        self._server.close()
        await self._server.wait_closed()
        await self.upstream.close()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def set_rates(self, *, throttle: float = 0.0, partial: float = 0.0, drop: float = 0.0,
                  delay_s: float = 0.0) -> None:
        self.throttle, self.partial, self.drop, self.delay_s = throttle, partial, drop, delay_s

    # ---- requests ----
    async def _handle(self, method: bytes, path: bytes, headers: dict, body: bytes) -> bytes | None:
        counts = self.counts
        counts.requests += 1
        if not headers.get(b"x-amz-target"):  # like a region: the DynamoDB API only, no /moto-api/
            return _response(404, b'{"message": "not found"}', b"application/json")
        if headers.get(b"x-amz-target") != BATCH_TARGET:
            status, data, ctype = await self.upstream.forward(method, path, headers, body)
            return _response(status, data, ctype)
        counts.batch_requests += 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        roll = self.random.random()
        request = json.loads(body)
        puts = sum(len(v) for v in request["RequestItems"].values())
        if roll < self.throttle:
            counts.throttled += 1
            code, message = THROTTLES[counts.throttled % 2]
            return _response(400, json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}",
                                              "message": message}).encode())
        roll -= self.throttle
        if roll < self.drop:
            counts.dropped += 1
            if counts.dropped % 2 == 0:
                counts.dropped_after_forward += 1
                await self.upstream.forward(method, path, headers, body)
                counts.forwarded_puts += puts
            return None
        roll -= self.drop
        if roll < self.partial and puts > 0:
            counts.partial += 1
            forward, rest = self._split(request["RequestItems"])
            if forward:
                status, data, ctype = await self.upstream.forward(method, path, headers,
                                                          json.dumps({"RequestItems": forward}).encode())
                if status != 200:
                    return _response(status, data, ctype)
                counts.forwarded_puts += sum(len(v) for v in forward.values())
            counts.unprocessed_items += sum(len(v) for v in rest.values())
            return _response(200, json.dumps({"UnprocessedItems": rest}).encode())
        status, data, ctype = await self.upstream.forward(method, path, headers, body)
        if status == 200:
            counts.forwarded_puts += puts
        return _response(status, data, ctype)

    def _split(self, request_items: dict[str, list]) -> tuple[dict[str, list], dict[str, list]]:
        """First k of the n writes forwarded (0 <= k < n), the others unprocessed."""
        writes = [(table, w) for table, ws in request_items.items() for w in ws]
        k = self.random.randrange(0, len(writes))
        forward: dict[str, list] = {}
        rest: dict[str, list] = {}
        for i, (table, w) in enumerate(writes):
            (forward if i < k else rest).setdefault(table, []).append(w)
        return forward, rest
