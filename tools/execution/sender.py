"""Sending BatchWriteItem jobs with up to N requests in flight, driven by callbacks.

A coroutine per request costs a task switch or three per answer (~50 us of asyncio machinery on a
small machine, 2 us an item). Here each keep-alive connection is a protocol that, when an answer
is complete, classifies it (ddb_http.batch_outcome), tells the job's owner, and writes the next
queued job at once: no task, future or timer per request. The owner (copy_engine.TableCopy)
decides about retries (it re-submits after a backoff), refusals (it splits the batch to isolate
the invalid items) and acknowledgements. Each job carries when it was sent and the write units
its answer says it consumed, for the owner's rate controller and monitoring.

`CoroutineSender` offers the same interface over ddb_http.DynamoHttp (aiohttp), for endpoints
behind an HTTP proxy.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ssl
from typing import Any, AsyncIterator, Callable, Protocol
from urllib.parse import urlsplit

from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.execution.ddb_http import (
    BATCH_WRITE, DynamoHttp, Refused, Retryable, batch_answer, crc_mismatch, credentials_for, endpoint_for, proxied,
)
from mysql2ddb.tools.execution.http11 import HttpError, default_ssl_context, parse_response
from mysql2ddb.tools.execution.sigv4 import FastSigner, botocore_headers, host_and_path


class Owner(Protocol):
    table: str
    closed: bool

    def on_done(self, job: "Job") -> None: ...
    def on_unprocessed(self, job: "Job", unprocessed: dict[str, Any]) -> None: ...
    def on_retry(self, job: "Job", exc: Retryable) -> None: ...
    def on_refused(self, job: "Job", exc: Refused) -> None: ...
    def on_fail(self, job: "Job", exc: BaseException) -> None: ...
    def on_dropped(self, job: "Job") -> None: ...


class Job:
    """One request of a batch on its way: the body to send now (the whole batch, what is left of it,
    or a part of a refused batch). `units`: the write units the owner's pacer reserved for it;
    `sent_at`: the loop time it was written; `consumed`: what its answer said it consumed."""

    __slots__ = ("owner", "batch", "body", "sent", "attempt", "errors", "units", "sent_at", "consumed")

    def __init__(self, owner: Owner, batch: Any):
        self.owner = owner
        self.batch = batch
        self.body: bytes = batch.body
        self.sent: int = batch.count
        self.attempt = 0    # sends without progress (the backoff grows with it)
        self.errors = 0     # of those, in a row without an answer or with a 5xx (bounded by max_attempts)
        self.units = 0.0
        self.sent_at = 0.0
        self.consumed: Any = None


def _deliver(job: Job, status: int, body: bytes, url: str) -> None:
    owner = job.owner
    try:
        unprocessed, job.consumed = batch_answer(status, body, owner.table, url)
    except Retryable as exc:
        owner.on_retry(job, exc)
    except Refused as exc:
        owner.on_refused(job, exc)
    except Exception as exc:  # noqa: BLE001 - a terminal answer stops the owner's table
        owner.on_fail(job, exc)
    else:
        if unprocessed:
            owner.on_unprocessed(job, unprocessed)
        else:
            owner.on_done(job)


class _Connection(asyncio.Protocol):
    def __init__(self, sender: "CallbackSender"):
        self.sender = sender
        self.transport: Any = None
        self.buf = bytearray()
        self.job: Job | None = None
        self.deadline = 0.0

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.sender._ready(self)

    def send(self, job: Job) -> None:
        sender = self.sender
        self.job = job
        job.sent_at = now = sender.loop.time()
        self.deadline = now + sender.timeout_s
        body = job.body
        self.transport.write(b"".join((sender.request_line, str(len(body)).encode("ascii"), b"\r\n",
                                       sender.sign(BATCH_WRITE, body), b"\r\n", body)))

    def data_received(self, data: bytes) -> None:
        self.buf += data
        self._answer(eof=False)

    def _answer(self, eof: bool) -> None:
        job = self.job
        if job is None:
            return
        try:
            response, reusable = parse_response(self.buf, eof)
        except HttpError as exc:
            self._lost(exc)
            return
        if response is None:
            return
        self.job = None
        sender = self.sender
        if crc_mismatch(response.header(b"x-amz-crc32"), response.body):
            job.owner.on_retry(job, Retryable("connection", "response checksum mismatch"))
        else:
            _deliver(job, response.status, response.body, sender.url)
        if reusable:
            sender._ready(self)
        else:
            self.transport.close()

    def eof_received(self) -> bool:
        self._answer(eof=True)
        return False

    def connection_lost(self, exc: BaseException | None) -> None:
        if self.job is not None:
            self._lost(HttpError(f"connection closed before a complete answer ({exc or 'EOF'})"))
        self.sender._gone(self)

    def _lost(self, exc: Exception) -> None:
        job, self.job = self.job, None
        if job is not None:
            job.owner.on_retry(job, Retryable("connection", str(exc)))
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()


class CallbackSender:
    """Up to `concurrency` connections to `url`, each writing the next queued job when free."""

    def __init__(self, url: str, sign: Callable[[str, bytes], bytes], *, concurrency: int,
                 timeout_s: float = 30.0, ssl_context: ssl.SSLContext | None = None):
        parts = urlsplit(url)
        self.url = url
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        host, path = host_and_path(url)
        self.request_line = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: ".encode("ascii")
        self.ssl = (ssl_context or default_ssl_context()) if parts.scheme == "https" else None
        self.sign = sign
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.loop = asyncio.get_running_loop()
        self.queue: collections.deque[Job] = collections.deque()
        self.idle: list[_Connection] = []
        self.open = 0              # connections open or opening
        self.conns: set[_Connection] = set()
        self.closed = False
        self._space: asyncio.Future | None = None
        self._sweeper = self.loop.call_later(1.0, self._sweep)

    # ---- the owner's side ----
    def submit(self, job: Job) -> None:
        if self.closed:
            job.owner.on_dropped(job)
            return
        self.queue.append(job)
        if self.idle:
            self._ready(self.idle.pop())
        elif self.open < self.concurrency:
            self._spawn()

    async def wait_space(self) -> None:
        """Return once fewer jobs wait than there are connections (backpressure)."""
        while len(self.queue) >= self.concurrency and not self.closed:
            if self._space is None or self._space.done():
                self._space = self.loop.create_future()
            await self._space

    async def close(self) -> None:
        self.closed = True
        self._sweeper.cancel()
        while self.queue:
            job = self.queue.popleft()
            job.owner.on_dropped(job)
        for conn in list(self.conns):
            if conn.transport is not None:
                conn.transport.abort()
        if self._space is not None and not self._space.done():
            self._space.set_result(None)
        await asyncio.sleep(0)

    # ---- the connections' side ----
    def _ready(self, conn: _Connection) -> None:
        """A connection is free: give it the next job whose table still runs."""
        queue = self.queue
        while queue:
            job = queue.popleft()
            if job.owner.closed:
                job.owner.on_dropped(job)
                continue
            if self._space is not None and len(queue) < self.concurrency and not self._space.done():
                self._space.set_result(None)
            conn.send(job)
            return
        self.idle.append(conn)

    def _spawn(self) -> None:
        self.open += 1
        self.loop.create_task(self._connect())

    async def _connect(self) -> None:
        try:
            await asyncio.wait_for(self.loop.create_connection(
                lambda: self._track(_Connection(self)), self.host, self.port, ssl=self.ssl,
                server_hostname=self.host if self.ssl else None), timeout=min(10.0, self.timeout_s))
        except (OSError, asyncio.TimeoutError, ssl.SSLError) as exc:
            self.open -= 1
            if self.queue:  # the endpoint is unreachable: the next job fails once (and is retried)
                job = self.queue.popleft()
                job.owner.on_retry(job, Retryable("connection", f"cannot connect to {self.host}:{self.port}: {exc}"))

    def _track(self, conn: _Connection) -> _Connection:
        self.conns.add(conn)
        return conn

    def _gone(self, conn: _Connection) -> None:
        self.conns.discard(conn)
        if conn in self.idle:
            self.idle.remove(conn)
        self.open -= 1
        if self.queue and not self.closed and self.open < self.concurrency:
            self._spawn()

    def _sweep(self) -> None:
        """Once a second: abort the requests past their deadline (one timer for all)."""
        now = self.loop.time()
        for conn in [c for c in self.conns if c.job is not None and c.deadline <= now]:
            conn._lost(HttpError(f"no answer within {self.timeout_s:g} s"))
        if not self.closed:
            self._sweeper = self.loop.call_later(1.0, self._sweep)


class CoroutineSender:
    """The same interface over DynamoHttp (aiohttp behind a proxy): one worker task per slot."""

    def __init__(self, http: DynamoHttp, *, concurrency: int):
        self.http = http
        self.url = http.url
        self.concurrency = concurrency
        self.queue: asyncio.Queue = asyncio.Queue()
        self.closed = False
        self.workers = [asyncio.ensure_future(self._worker()) for _ in range(concurrency)]

    def submit(self, job: Job) -> None:
        if self.closed:
            job.owner.on_dropped(job)
        else:
            self.queue.put_nowait(job)

    async def wait_space(self) -> None:
        while self.queue.qsize() >= self.concurrency and not self.closed:
            await asyncio.sleep(0.005)

    async def _worker(self) -> None:
        while True:
            job = await self.queue.get()
            if job.owner.closed:
                job.owner.on_dropped(job)
                continue
            try:
                job.sent_at = asyncio.get_running_loop().time()
                status, data = await self.http.post(BATCH_WRITE, job.body)
            except Retryable as exc:
                job.owner.on_retry(job, exc)
                continue
            _deliver(job, status, data, self.http.url)

    async def close(self) -> None:
        self.closed = True
        for worker in self.workers:
            worker.cancel()
        await asyncio.gather(*self.workers, return_exceptions=True)
        while not self.queue.empty():
            job = self.queue.get_nowait()
            job.owner.on_dropped(job)


@contextlib.asynccontextmanager
async def open_sender(aws: AwsClients, *, concurrency: int, timeout_s: float = 30.0, signer: str = "fast",
                      transport: str = "auto") -> AsyncIterator[Any]:
    """The sender for `aws`'s endpoint: callbacks over our HTTP/1.1 connections, or aiohttp
    workers when an HTTP(S)_PROXY applies (or transport='aiohttp')."""
    url = endpoint_for(aws)
    if transport == "auto":
        transport = "aiohttp" if proxied(url) else "asyncio"
    if transport == "aiohttp":
        async with DynamoHttp(aws, connections=concurrency + 4, timeout_s=timeout_s, signer=signer,
                              transport="aiohttp") as http:
            sender: Any = CoroutineSender(http, concurrency=concurrency)
            try:
                yield sender
            finally:
                await sender.close()
        return
    creds = credentials_for(aws)
    if signer == "fast":
        sign = FastSigner(creds, aws.region, url).header_block
    else:
        def sign(target: str, body: bytes) -> bytes:
            headers = botocore_headers(creds, aws.region, url, target, body)
            return "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode("latin-1")
    sender = CallbackSender(url, sign, concurrency=concurrency, timeout_s=timeout_s)
    try:
        yield sender
    finally:
        await sender.close()
