"""The copy engine: every contract table's view into its DynamoDB table, fast, resumable, exact.

Per table a reader thread streams the view's raw rows in key order (batcher.SourceThread); the
event loop decodes and converts them, cuts BatchWriteItem bodies (batcher.Batcher), signs and
posts them with up to `concurrency` requests in flight across all tables (sender.py).
UnprocessedItems, throttling, 5xx and dropped connections are retried with exponential backoff and
full jitter, a bounded number of times; every re-sent request is counted. A batch DynamoDB refuses
as invalid (400 ValidationException) is split until the items it refuses stand alone (isolate.py):
those go to the reject file with DynamoDB's reason, counted as rejected like the converter's
rejects, and the copy goes on. A table's checkpoint (checkpoint.py) is written atomically to the
run directory at most every `checkpoint_ms`: an interrupted run resumed with the same run id
re-sends at most the batches that were in flight, loses nothing, and counts every row once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import queue
import random
import threading
import time
from typing import Any, Callable, Iterable

import orjson
from pydantic import BaseModel, Field

from mysql2ddb.tools.core.errors import AwsError, ConflictError, InputError, ThrottledError
from mysql2ddb.tools.core.progress import NullProgress, ProgressSink
from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.core.db import Dsn
from mysql2ddb.tools.execution.batcher import END, Batcher, SourceThread
from mysql2ddb.tools.execution.checkpoint import Frontier, TableState, decode_key
from mysql2ddb.tools.execution.ddb_http import Refused, Retryable, endpoint_for, probe_moto
from mysql2ddb.tools.execution.isolate import Isolation, merging_key
from mysql2ddb.tools.execution.rundir import RunDir
from mysql2ddb.tools.execution.sender import Job, open_sender
from mysql2ddb.tools.execution.source_stream import block_size, decode_rows, key_order

log = logging.getLogger("mysql2ddb.copy")


class CopyOptions(BaseModel):
    concurrency: int | None = Field(None, ge=1, le=1024, description=(
        "BatchWriteItem requests in flight, all tables together; default 32 (DynamoDB), embedded_concurrency on moto"))
    tables_in_parallel: int = Field(4, ge=1, le=64, description="tables copied at the same time")
    batch_size: int | None = Field(None, ge=1, le=25, description=(
        "items per BatchWriteItem (DynamoDB allows 25); default 25, embedded_batch_size on moto"))
    embedded_batch_size: int = Field(500, ge=1, le=10_000, description=(
        "items per request on a local moto server: it takes any size and closes the connection after every answer"))
    embedded_concurrency: int = Field(4, ge=1, le=64, description="requests in flight on a local moto server")
    max_attempts: int = Field(12, ge=1, le=100, description="sends of one batch without progress before giving up")
    refused_batch_limit: int = Field(8, ge=0, description=(
        "stop the table when DynamoDB refuses, one by one, every item of a batch (at least this many): "
        "a systematic problem (key type, table definition), not bad rows; 0 = never stop"))
    backoff_base_s: float = Field(0.05, gt=0, description="first backoff ceiling; doubles each attempt (full jitter)")
    backoff_cap_s: float = Field(5.0, gt=0, description="largest backoff ceiling")
    request_timeout_s: float = Field(30.0, gt=0)
    checkpoint_ms: int = Field(500, ge=0, description="state written at most this often (and at the end)")
    queue_blocks: int = Field(4, ge=1, description="blocks of raw rows (~256 KB) read ahead per table (backpressure)")
    slice_rows: int = Field(500, ge=1, description="rows converted between two looks at the network")
    signer: str = Field("fast", pattern="^(fast|botocore)$", description="SigV4 implementation")
    transport: str = Field("auto", pattern="^(auto|asyncio|aiohttp)$",
                           description="HTTP client: our asyncio one, aiohttp, or auto (aiohttp behind a proxy)")
    totals: dict[str, int] = Field(default_factory=dict, description="expected rows per table, for progress")


class TableCopyStats(BaseModel):
    table: str
    read: int = Field(description="source rows read (each counted once, resumed runs included)")
    written: int = Field(description="items acknowledged by DynamoDB")
    rejected: int = Field(description="rows in rejects/<table>.jsonl (refused by the converter or by DynamoDB)")
    retried: int = Field(description="requests re-sent: throttling, UnprocessedItems, errors, dropped connections")
    seconds: float
    items_per_s: float


def spec_sha256(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def default_converter(spec: dict[str, Any]) -> tuple[Callable[[Any], dict], tuple[type[BaseException], ...]]:
    from mysql2ddb.tools.execution.convert import RowRejected, build_converter

    return build_converter(spec), (RowRejected,)


def stats_of(state: TableState) -> TableCopyStats:
    seconds = round(state.seconds, 3)
    return TableCopyStats(table=state.table, read=state.rows, written=state.written, rejected=state.rejected,
                          retried=state.retried, seconds=seconds,
                          items_per_s=round(state.written / state.seconds, 1) if state.seconds > 0 else 0.0)


class _Shared:
    """What the tables of one copy share: the sender (all requests in flight), options, progress."""

    def __init__(self, sender: Any, options: CopyOptions, progress: ProgressSink):
        self.sender = sender
        self.options = options
        self.progress = progress


class TableCopy:
    def __init__(self, shared: _Shared, spec: dict[str, Any], dsn: Dsn, run: RunDir,
                 converter: Callable[[dict], tuple[Callable, tuple]]):
        self.shared = shared
        self.options = shared.options
        self.spec = spec
        self.table = spec["table"]
        self.view = spec.get("view") or f"ddb_{self.table.lower()}_view"
        self.dsn = dsn
        self.run = run
        self.converter = converter
        self.isolation = Isolation(self.table, spec["pk"], spec.get("sk"))
        self.error: BaseException | None = None
        self.closed = False
        self.pending = 0
        self.idle = asyncio.Event()
        self.frontier: Frontier | None = None
        self._last_progress = 0.0

    def _state(self) -> TableState:
        keys = key_order(self.spec)
        sha = spec_sha256(self.spec)
        state = self.run.load_state(self.table)
        if state is None:
            return TableState(table=self.table, view=self.view, spec_sha256=sha, key_columns=[k for k, _ in keys])
        if state.spec_sha256 != sha:
            raise ConflictError(
                f"the conversion spec of {self.table} changed since run {self.run.run_id} started",
                where=f"resume {self.run.run_id}",
                remedy="start a new run (omit --resume): its items would not match those already written")
        return state

    async def copy(self) -> TableCopyStats:
        state = self._state()
        if state.done:
            return stats_of(state)
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        seconds_before = state.seconds
        state.runs += 1
        convert, rejections = self.converter(self.spec)
        reject_path = self.run.reject_path(self.table)
        reject_path.parent.mkdir(parents=True, exist_ok=True)
        reject_file = open(reject_path, "a+b")
        reject_file.truncate(state.reject_bytes)  # lines past the checkpoint will be written again
        reject_file.seek(state.reject_bytes)
        frontier = self.frontier = Frontier(state, self.run.save_state, reject_file,
                                            self.options.checkpoint_ms / 1000.0)
        inbox: asyncio.Queue = asyncio.Queue()
        slots: queue.SimpleQueue = queue.SimpleQueue()
        for _ in range(self.options.queue_blocks):
            slots.put(None)
        stop = threading.Event()
        keys = key_order(self.spec)
        source = SourceThread(self.dsn, self.view, keys, decode_key(state.last_key),
                              lambda item: loop.call_soon_threadsafe(inbox.put_nowait, item), slots, stop)
        thread = threading.Thread(target=source.run, name=f"copy-{self.table}", daemon=True)
        thread.start()
        finished = False
        try:
            header = await inbox.get()
            if isinstance(header, BaseException):
                raise header
            batcher = Batcher(table=self.table, header=header, keys=keys, convert=convert, rejections=rejections,
                              batch_size=self.options.batch_size, merged_key=merging_key(self.spec))
            while True:
                block = await inbox.get()
                if block is END:
                    break
                if isinstance(block, BaseException):
                    raise block
                slots.put(None)
                pos, size = 0, block_size(block)
                while pos < size:  # a slice at a time, letting the answers in between
                    rows, pos = decode_rows(batcher.decode, block, pos, self.options.slice_rows)
                    self._submit(batcher.push(rows))
                    await self.shared.sender.wait_space()
                    await asyncio.sleep(0)
            self._submit([batcher.finish()])
            while self.pending and self.error is None:
                self.idle.clear()
                await self.idle.wait()
            if self.error is not None:
                raise self.error
            finished = True
        finally:
            self.closed = True  # queued batches are dropped, late acknowledgements ignored
            stop.set()
            await asyncio.to_thread(thread.join, 30)
            try:
                frontier.flush(done=finished, seconds=seconds_before + (time.monotonic() - started))
            finally:
                reject_file.close()
        self._report(final=True)
        return stats_of(frontier.state)

    def _submit(self, batches: list[Any]) -> None:
        sender = self.shared.sender
        for batch in batches:
            if self.error is not None:
                raise self.error
            if batch.count == 0:  # every row of its range rejected: nothing to write
                self.frontier.ack(batch)
                continue
            self.pending += 1
            sender.submit(Job(self, batch))
        if batches:
            self._report()

    def _report(self, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._last_progress < 0.5:
            return
        self._last_progress = now
        fr = self.frontier
        st = fr.state
        rows = st.rows if final else fr.rows
        total = self.options.totals.get(self.table, rows if final else None)
        self.shared.progress.update(
            f"copy {self.table}", rows, total,
            f"{fr.written:,} written, {st.rejected:,} rejected, {st.retried + fr.retried:,} retried")

    # ---- the sender's callbacks (sender.py): one batch's fate ----
    def on_done(self, job: Job) -> None:
        """One request of a batch written; the batch is acknowledged once all its requests are."""
        try:
            batch = job.batch
            batch.parts -= 1
            if batch.parts == 0 and not self.closed:
                self._check_refused(batch)
                self.frontier.ack(batch)
        except Exception as exc:  # noqa: BLE001 - e.g. the state file cannot be written
            self._error(exc)
        finally:
            self._finished()

    def on_refused(self, job: Job, exc: Refused) -> None:
        """DynamoDB refused the request as invalid and wrote none of it: drop repeated keys, else
        split it in halves and send both; a single item refused is a culprit for the reject file."""
        if self.closed:
            self._finished()
            return
        try:
            iso, batch = self.isolation, job.batch
            requests = iso.requests(job.body)
            if len(requests) == 1:
                batch.refused.append(iso.reject_line(requests[0], f"DynamoDB refused the item: {exc.aws_code}: "
                                                                  f"{exc.message}"))
                batch.refused_by_ddb += 1
                self.on_done(job)  # this part is settled
                return
            kept, repeated = iso.split(requests)
            if repeated:
                batch.refused += repeated
                self._resend(job, kept)
                return
            half = len(requests) // 2
            other = Job(self, batch)
            batch.parts += 1
            self.pending += 1
            self._resend(job, requests[:half])
            self._resend(other, requests[half:])
        except Exception as error:  # noqa: BLE001 - an unreadable body: stop the table
            self._error(error)
            self._finished()

    def _resend(self, job: Job, requests: list[dict[str, Any]]) -> None:
        job.body, job.sent, job.attempt = self.isolation.body(requests), len(requests), 0
        self.frontier.retried += 1
        asyncio.get_running_loop().call_soon(self.shared.sender.submit, job)

    def _check_refused(self, batch: Any) -> None:
        """Every item of a large batch lost, each refused on its own (but repeated keys): the table,
        not the rows, is wrong."""
        limit = self.options.refused_batch_limit
        if not limit or batch.refused_by_ddb < limit or len(batch.refused) < batch.count:
            return
        reason = next(r for r in (orjson.loads(line)["reason"] for line in batch.refused) if r.startswith("DynamoDB"))
        raise AwsError(
            f"DynamoDB refused every one of the {batch.count} items of a batch into {self.table}, each on its own; "
            f"the first: {reason}", where=f"copy {self.table} at {self.shared.sender.url}",
            remedy="a systematic problem, not bad rows: compare the contract's key attributes and types with the "
                   f"table's; the run is checkpointed: resume it with --resume {self.run.run_id} "
                   "(if these rows really are all invalid, set the copy option refused_batch_limit to 0)")

    def on_unprocessed(self, job: Job, unprocessed: dict[str, Any]) -> None:
        left = sum(len(v) for v in unprocessed.values())
        job.attempt = job.attempt + 1 if left >= job.sent else 1  # progress resets the count
        job.sent = left
        job.body = orjson.dumps({"RequestItems": unprocessed})
        self._again(job, f"{left} item(s) stayed unprocessed", "throttled")

    def on_retry(self, job: Job, exc: Retryable) -> None:
        job.attempt += 1
        self._again(job, str(exc), exc.kind)

    def on_fail(self, job: Job, exc: BaseException) -> None:
        self._error(exc)
        self._finished()

    def on_dropped(self, job: Job) -> None:
        self._finished()

    def _again(self, job: Job, why: str, kind: str) -> None:
        """Re-send after a backoff with full jitter, a bounded number of times; count it."""
        if job.attempt >= self.options.max_attempts:
            resume = f"the run is checkpointed: resume it later with --resume {self.run.run_id}"
            error = ThrottledError if kind == "throttled" else AwsError
            self.on_fail(job, error(
                f"BatchWriteItem into {self.table} failed {job.attempt} times in a row; last: {why}",
                where=f"copy {self.table} at {self.shared.sender.url}",
                remedy=f"{resume}; " + ("raise the table's write capacity or lower the concurrency"
                                        if kind == "throttled" else "check the endpoint and the network path to it")))
            return
        self.frontier.retried += 1
        ceiling = min(self.options.backoff_cap_s, self.options.backoff_base_s * (2 ** (job.attempt - 1)))
        asyncio.get_running_loop().call_later(random.uniform(0, ceiling), self.shared.sender.submit, job)

    def _error(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc
        self.idle.set()

    def _finished(self) -> None:
        self.pending -= 1
        if self.pending <= 0:
            self.idle.set()


async def resolve_options(options: CopyOptions, aws: AwsClients) -> CopyOptions:
    """Fill the automatic batch size and concurrency: DynamoDB's 25 items and 32 requests in
    flight, or fewer, larger requests when the endpoint is a local moto server."""
    if options.batch_size is not None and options.concurrency is not None:
        return options
    moto = await asyncio.to_thread(probe_moto, endpoint_for(aws))
    if moto:
        log.info("the endpoint is a moto server: %d items a request, %d in flight",
                 options.embedded_batch_size, options.embedded_concurrency)
    return options.model_copy(update={
        "batch_size": options.batch_size or (options.embedded_batch_size if moto else 25),
        "concurrency": options.concurrency or (options.embedded_concurrency if moto else 32),
    })


async def copy_tables(specs: dict[str, dict], dsn: Dsn, aws: AwsClients, run: RunDir, *,
                      tables: Iterable[str] | None = None, options: CopyOptions | None = None,
                      progress: ProgressSink | None = None,
                      converter: Callable[[dict], tuple[Callable, tuple]] | None = None) -> list[TableCopyStats]:
    """Copy each named table (all specs when `tables` is None) into DynamoDB; tables in parallel.
    Resumes from the run directory's checkpoints. Returns one TableCopyStats per table, in order.
    `converter` replaces convert.build_converter: spec -> (convert(row) -> item, rejection types)."""
    options = await resolve_options(options or CopyOptions(), aws)
    progress = progress or NullProgress()
    names = list(tables) if tables is not None else list(specs)
    missing = [n for n in names if n not in specs]
    if missing:
        raise InputError(f"no conversion spec for {', '.join(missing)}", where="copy",
                         remedy="name tables of the contract: " + ", ".join(specs))
    async with open_sender(aws, concurrency=options.concurrency, timeout_s=options.request_timeout_s,
                           signer=options.signer, transport=options.transport) as sender:
        shared = _Shared(sender, options, progress)
        gate = asyncio.Semaphore(options.tables_in_parallel)

        async def one(name: str) -> TableCopyStats:
            async with gate:
                spec = {**specs[name], "table": specs[name].get("table", name)}
                return await TableCopy(shared, spec, dsn, run, converter or default_converter).copy()

        tasks = [asyncio.ensure_future(one(n)) for n in names]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
