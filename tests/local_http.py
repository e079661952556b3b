"""The HTTP/1.1 plumbing shared by the local stand-ins for a DynamoDB region: the fault proxy of
the tests (tests/fault_proxy.py) and the latency endpoint of the benchmark (bench/latency_endpoint.py).

Plain asyncio protocols rather than a web framework: the benchmark's endpoint must cost the
writer it measures as little CPU as possible, and the proxy must be able to drop a connection
without an answer, which frameworks make hard.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

JSON_TYPE = b"application/x-amz-json-1.0"
BATCH_TARGET = b"DynamoDB_20120810.BatchWriteItem"
CREATE_TARGET = b"DynamoDB_20120810.CreateTable"
# headers the upstream must not receive from us: the client's, for a connection that is not its own
_HOP_HEADERS = (b"host", b"content-length", b"connection", b"accept-encoding")


def http_response(status: int, body: bytes, ctype: bytes = JSON_TYPE, request_id: bytes = b"local") -> bytes:
    reason = b"OK" if status < 400 else (b"Not Found" if status == 404 else b"Error")
    head = b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nx-amzn-RequestId: %s\r\n\r\n"
    return head % (status, reason, ctype, len(body), request_id) + body


class RequestProtocol(asyncio.Protocol):
    """One keep-alive connection whose requests are answered in order (as HTTP/1.1 requires).

    A subclass implements `on_request(method, path, headers, body)` (bytes; header names
    lower-cased) and later calls `reply(data)` once, or `drop()` to close without an answer.
    """

    def __init__(self) -> None:
        self.buf = b""
        self.transport: Any = None
        self.busy = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def connection_lost(self, exc: Any) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.busy:
            self._next()

    def _next(self) -> None:
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        lines = self.buf[:end].split(b"\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get(b"content-length", b"0"))
        if len(self.buf) < end + 4 + length:
            return  # the body is still arriving
        body = self.buf[end + 4:end + 4 + length]
        self.buf = self.buf[end + 4 + length:]
        method, path = lines[0].split(b" ")[:2]
        self.busy = True
        self.on_request(method, path, headers, body)

    def on_request(self, method: bytes, path: bytes, headers: dict[bytes, bytes], body: bytes) -> None:
        raise NotImplementedError

    def reply(self, data: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(data)
        self.busy = False
        if self.buf:
            self._next()

    def drop(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Upstream:
    """Forwards a request as it came to the moto server behind the stand-in; one aiohttp session."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def forward(self, method: bytes, path: bytes, headers: dict[bytes, bytes],
                      body: bytes) -> tuple[int, bytes, bytes]:
        """(status, body, content type) of the upstream's answer."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        keep = {k.decode(): v.decode() for k, v in headers.items() if k not in _HOP_HEADERS}
        async with self._session.request(method.decode(), self.url + path.decode(), data=body, headers=keep) as resp:
            data = await resp.read()
            return resp.status, data, resp.headers.get("Content-Type", JSON_TYPE.decode()).encode()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
