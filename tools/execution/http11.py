"""A small HTTP/1.1 client on asyncio protocols, for the copy engine's one hot request.

aiohttp costs ~240 us of CPU per 5 KB POST on a small machine (~10 us an item at 25 items a
request, two thirds of the engine's whole budget); a keep-alive connection that writes one
prepared buffer and parses the answer in place costs ~60 us. It speaks just what DynamoDB (and
moto, and proxies) answer with: status line, headers, a Content-Length, chunked or close-delimited
body. TLS through the standard `ssl` module with botocore's CA bundle. Anything it cannot read
raises ConnectionError, which the engine retries like a dropped connection.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from typing import Any
from urllib.parse import urlsplit


class HttpError(ConnectionError):
    """The connection failed, closed early, timed out, or sent something unreadable."""


class _Response:
    __slots__ = ("status", "head", "body")

    def __init__(self, status: int, head: bytes, body: bytes):
        self.status = status
        self.head = head  # the status line and headers, lower-cased
        self.body = body

    def header(self, name: bytes) -> bytes | None:
        return _header(self.head, name)


def _header(head: bytes, name: bytes) -> bytes | None:
    """One header's value from a lower-cased header block (no dict built per response)."""
    i = head.find(b"\r\n" + name + b":")
    if i < 0:
        return None
    i += len(name) + 3
    j = head.find(b"\r\n", i)
    return head[i:j if j >= 0 else None].strip()


class _Connection(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time."""

    def __init__(self) -> None:
        self.transport: Any = None
        self.buf = bytearray()
        self.waiter: asyncio.Future | None = None
        self.closed = False
        self.reusable = True
        self.idle_since = 0.0
        self.deadline = 0.0

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def connection_lost(self, exc: BaseException | None) -> None:
        self.closed = True
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            if self.buf:  # a close-delimited body ends here
                parsed = self._parse(eof=True)
                if parsed is not None:
                    waiter.set_result(parsed)
                    return
            waiter.set_exception(HttpError(f"connection closed before a complete response ({exc or 'EOF'})"))

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.waiter is None or self.waiter.done():
            return
        try:
            parsed = self._parse(eof=False)
        except HttpError as exc:
            self.waiter.set_exception(exc)
            self.reusable = False
            self.transport.abort()
            return
        if parsed is not None:
            self.waiter.set_result(parsed)

    def eof_received(self) -> bool:
        return False

    def _parse(self, eof: bool) -> _Response | None:
        response, reusable = parse_response(self.buf, eof)
        if not reusable:
            self.reusable = False
        return response


def parse_response(buf: bytearray, eof: bool) -> tuple[_Response | None, bool]:
    """Take one response off the front of `buf`: (response, connection reusable), or (None, _)
    while it is incomplete. Raises HttpError for something that is not HTTP."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None, True
    head = bytes(buf[:end]).lower()
    if not head.startswith(b"http/1.") or len(head) < 12:
        raise HttpError(f"not an HTTP response: {head[:80]!r}")
    try:
        status = int(head[9:12])
    except ValueError:
        raise HttpError(f"not an HTTP status line: {head[:80]!r}") from None
    start = end + 4
    if status == 100:
        del buf[:start]
        return parse_response(buf, eof)
    reusable = not head.startswith(b"http/1.0") and _header(head, b"connection") != b"close"
    length = _header(head, b"content-length")
    if length is not None:
        stop = start + int(length)
        if len(buf) < stop:
            return None, reusable
        body = bytes(buf[start:stop])
        del buf[:stop]
    elif _header(head, b"transfer-encoding") == b"chunked":
        body_stop = _chunked(buf, start)
        if body_stop is None:
            return None, reusable
        body, stop = body_stop
        del buf[:stop]
    elif eof:
        body = bytes(buf[start:])
        buf.clear()
        reusable = False
    else:
        return None, False
    return _Response(status, head, body), reusable


def _chunked(buf: bytearray, pos: int) -> tuple[bytes, int] | None:
    out = bytearray()
    while True:
        line_end = buf.find(b"\r\n", pos)
        if line_end < 0:
            return None
        size = int(bytes(buf[pos:line_end]).split(b";")[0], 16)
        pos = line_end + 2
        if size == 0:
            trailer_end = buf.find(b"\r\n\r\n", pos - 2)
            return (bytes(out), trailer_end + 4) if trailer_end >= 0 else None
        if len(buf) < pos + size + 2:
            return None
        out += buf[pos:pos + size]
        pos += size + 2


def default_ssl_context() -> ssl.SSLContext:
    """Certificate checks with the CA bundle botocore would use (AWS_CA_BUNDLE first)."""
    cafile = os.environ.get("AWS_CA_BUNDLE")
    if not cafile:
        try:
            from botocore.httpsession import get_cert_path

            cafile = get_cert_path(True)
        except Exception:  # noqa: BLE001 - fall back on the system store
            cafile = None
    return ssl.create_default_context(cafile=cafile if isinstance(cafile, str) else None)


class HttpPool:
    """Keep-alive connections to one origin; `post(headers, body)` -> (status, headers, body)."""

    IDLE_S = 20.0  # servers drop idle keep-alive connections; do not reuse one older than this

    def __init__(self, url: str, *, timeout_s: float = 30.0, ssl_context: ssl.SSLContext | None = None):
        parts = urlsplit(url)
        self.scheme = parts.scheme
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.path = (parts.path or "/").encode("ascii")
        default = 443 if parts.scheme == "https" else 80
        host_header = f"[{self.host}]" if ":" in self.host else self.host
        if self.port != default:
            host_header += f":{self.port}"
        self.host_header = host_header.encode("ascii")
        self.timeout_s = timeout_s
        self.ssl = (ssl_context or default_ssl_context()) if parts.scheme == "https" else None
        self._idle: list[_Connection] = []
        self._all: set[_Connection] = set()
        self._busy: set[_Connection] = set()
        self._sweeper: Any = None
        self._request_line = b"POST " + self.path + b" HTTP/1.1\r\nHost: " + self.host_header + b"\r\nContent-Length: "

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(loop.create_connection(
                _Connection, self.host, self.port, ssl=self.ssl,
                server_hostname=self.host if self.ssl else None), timeout=min(10.0, self.timeout_s))
        except (OSError, asyncio.TimeoutError, ssl.SSLError) as exc:
            raise HttpError(f"cannot connect to {self.host}:{self.port}: {exc}") from None
        self._all.add(conn)
        return conn

    async def _acquire(self) -> _Connection:
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed and now - conn.idle_since < self.IDLE_S:
                return conn
            self._discard(conn)
        return await self._connect()

    def _discard(self, conn: _Connection) -> None:
        self._all.discard(conn)
        if conn.transport is not None and not conn.closed:
            conn.transport.close()

    async def post(self, headers: dict[str, str] | bytes, body: bytes) -> _Response:
        """POST `body` with `headers` (a dict, or a ready `Name: value\r\n` block)."""
        conn = await self._acquire()
        loop = asyncio.get_running_loop()
        if not isinstance(headers, bytes):
            headers = "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode("latin-1")
        waiter = conn.waiter = loop.create_future()
        conn.deadline = loop.time() + self.timeout_s
        self._busy.add(conn)
        if self._sweeper is None:
            self._sweeper = loop.call_later(1.0, self._sweep)
        ok = False
        try:
            conn.transport.write(b"".join((self._request_line, str(len(body)).encode("ascii"), b"\r\n",
                                           headers, b"\r\n", body)))
            response = await waiter
            ok = conn.reusable and not conn.closed
            return response
        finally:
            self._busy.discard(conn)
            conn.waiter = None
            if ok:
                conn.idle_since = loop.time()
                self._idle.append(conn)
            else:
                self._discard(conn)

    def _sweep(self) -> None:
        """Once a second: fail the requests past their deadline (one timer, not one per request)."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        for conn in [c for c in self._busy if c.deadline <= now]:
            _expire(conn, conn.waiter, self.timeout_s)
        self._sweeper = loop.call_later(1.0, self._sweep) if self._busy or self._idle else None

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for conn in list(self._all):
            self._discard(conn)
        self._idle.clear()
        await asyncio.sleep(0)


def _expire(conn: _Connection, waiter: asyncio.Future | None, timeout_s: float) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_exception(HttpError(f"no response within {timeout_s:g} s"))
    conn.reusable = False
    if conn.transport is not None:
        conn.transport.abort()
