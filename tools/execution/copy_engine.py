"""The copy engine: every contract table's view into its DynamoDB table, fast, resumable, exact.

Per table a reader thread streams the view's raw rows in key order (batcher.SourceThread); the
event loop decodes and converts them, cuts BatchWriteItem bodies (batcher.Batcher: item
collections dealt over their partition keys), and a pacer releases them at the rate the table
takes (rate_control.py: from the capacity DescribeTable states, adapted to the consumed capacity
and the throttles of each answer) to up to `concurrency` requests in flight across all tables
(sender.py). Throttling is back-pressure, not failure: UnprocessedItems and throttled requests are
re-sent first, after a backoff with full jitter, for as long as the table makes progress; a table
none of whose writes succeeds for `stall_timeout_s` stops with a resumable error. 5xx answers and
dropped connections are retried a bounded number of times in a row. Every re-sent request is
counted. A batch DynamoDB refuses as invalid (400 ValidationException) is split until the items it
refuses stand alone (isolate.py): those go to the reject file with DynamoDB's reason, counted as
rejected like the converter's rejects, and the copy goes on. A table's checkpoint (checkpoint.py)
is written atomically to the run directory at most every `checkpoint_ms`: an interrupted run
resumed with the same run id re-sends at most the batches that were in flight, loses nothing,
and counts every row once. What DynamoDB made of it (WCU/s against capacity, throttles, latency,
errors) is watched per table (monitor.py), in every progress update and in the stats.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import queue
import threading
import time
from typing import Any, Callable, Iterable

from mysql2ddb.tools.core.errors import ConflictError, InputError, ThrottledError
from mysql2ddb.tools.core.progress import NullProgress, ProgressSink
from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.core.db import Dsn
from mysql2ddb.tools.execution.batcher import END, Batcher, SourceThread
from mysql2ddb.tools.execution.checkpoint import Frontier, TableState, decode_key
from mysql2ddb.tools.execution.copy_answers import RequestFates
from mysql2ddb.tools.execution.copy_options import CopyOptions, TableCopyStats
from mysql2ddb.tools.execution.ddb_http import RETURN_CONSUMED, endpoint_for, probe_moto
from mysql2ddb.tools.execution.isolate import Isolation, merging_key
from mysql2ddb.tools.execution.monitor import TableMonitor
from mysql2ddb.tools.execution.rate_control import Capacity, Pacer, RateController, table_capacities
from mysql2ddb.tools.execution.rundir import RunDir
from mysql2ddb.tools.execution.sender import Job, open_sender
from mysql2ddb.tools.execution.source_stream import block_size, decode_rows, key_order

__all__ = ["CopyOptions", "TableCopyStats", "copy_tables", "resolve_options"]
log = logging.getLogger("mysql2ddb.copy")
MAX_HELD_BATCHES = 50_000  # acknowledged out of order, waiting for an earlier one: reading pauses past this


def spec_sha256(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def default_converter(spec: dict[str, Any]) -> tuple[Callable[[Any], dict], tuple[type[BaseException], ...]]:
    from mysql2ddb.tools.execution.convert import RowRejected, build_converter

    return build_converter(spec), (RowRejected,)


def stats_of(state: TableState, monitored: dict[str, Any] | None = None) -> TableCopyStats:
    seconds = round(state.seconds, 3)
    return TableCopyStats(table=state.table, read=state.rows, written=state.written, rejected=state.rejected,
                          retried=state.retried, seconds=seconds,
                          items_per_s=round(state.written / state.seconds, 1) if state.seconds > 0 else 0.0,
                          **(monitored or {}))


class _Shared:
    """What the tables of one copy share: the sender (all requests in flight), options, progress."""

    def __init__(self, sender: Any, options: CopyOptions, progress: ProgressSink):
        self.sender = sender
        self.options = options
        self.progress = progress


class TableCopy(RequestFates):
    def __init__(self, shared: _Shared, spec: dict[str, Any], dsn: Dsn, run: RunDir,
                 converter: Callable[[dict], tuple[Callable, tuple]], capacity: Capacity):
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
        self.pending_bytes = 0
        self.idle = asyncio.Event()
        self.space = asyncio.Event()
        self.frontier: Frontier | None = None
        self.loop = asyncio.get_running_loop()
        clock = self.loop.time
        self.controller = RateController(capacity, ceiling=self.options.max_write_units_per_s, clock=clock)
        self.monitor = TableMonitor(capacity, clock=clock)
        self.pacer = Pacer(self.controller, shared.sender.submit)
        self.last_progress = clock()
        self._last_report = 0.0

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
        loop = self.loop
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
        self.last_progress = loop.time()
        self._watching = loop.call_later(1.0, self._watch)
        finished = False
        try:
            header = await inbox.get()
            if isinstance(header, BaseException):
                raise header
            batcher = Batcher(table=self.table, header=header, keys=keys, convert=convert, rejections=rejections,
                              batch_size=self.options.batch_size, merged_key=merging_key(self.spec),
                              interleave=0 if self.controller.unlimited else self.options.interleave_items,
                              suffix=RETURN_CONSUMED)
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
                    await self._room()
                    await asyncio.sleep(0)
            self._submit(batcher.finish())
            while self.pending and self.error is None:
                self.idle.clear()
                await self.idle.wait()
            if self.error is not None:
                raise self.error
            finished = True
        finally:
            self.closed = True  # queued batches are dropped, late acknowledgements ignored
            self._watching.cancel()
            for job in self.pacer.close():
                self.on_dropped(job)
            stop.set()
            await asyncio.to_thread(thread.join, 30)
            try:
                frontier.flush(done=finished, seconds=seconds_before + (time.monotonic() - started))
            finally:
                reject_file.close()
        self._report(final=True)
        rate = None if self.controller.unlimited else self.controller.rate
        return stats_of(frontier.state, self.monitor.stats(time.monotonic() - started, rate))

    async def _room(self) -> None:
        """Pause reading while the table holds too much: bodies in flight, paced or waiting to be
        re-sent (throttled), or batches acknowledged behind one that is not."""
        limit = self.options.max_pending_mb * 1024 * 1024
        while self.error is None and (self.pending_bytes > limit or self.frontier.pending > MAX_HELD_BATCHES):
            self.space.clear()
            await self.space.wait()
        if self.error is not None:
            raise self.error

    def _submit(self, batches: list[Any]) -> None:
        for batch in batches:
            if self.error is not None:
                raise self.error
            if batch.count == 0:  # every row of its range rejected: nothing to write
                self.frontier.ack(batch)
                continue
            self.pending += 1
            job = Job(self, batch)
            batch.nbytes, batch.body = len(batch.body), None  # the job holds it; acknowledged batches wait light
            self.pending_bytes += batch.nbytes
            self.pacer.submit(job)
        if batches:
            self._report()

    def _report(self, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._last_report < 0.5:
            return
        self._last_report = now
        fr = self.frontier
        st = fr.state
        rows = st.rows if final else fr.rows
        total = self.options.totals.get(self.table, rows if final else None)
        rate = None if self.controller.unlimited else self.controller.rate
        self.shared.progress.update(
            f"copy {self.table}", rows, total,
            f"{fr.written:,} written, {st.rejected:,} rejected, {st.retried + fr.retried:,} retried; "
            + self.monitor.line(rate))

    def _watch(self) -> None:
        """Once a second: progress even while nothing is answered, and the stall timeout."""
        if self.closed:
            return
        stalled = self.loop.time() - self.last_progress
        if self.pending and stalled >= self.options.stall_timeout_s:
            m = self.monitor
            self._error(ThrottledError(
                f"no write into {self.table} succeeded for {stalled:,.0f} s ({m.throttled_items:,} items throttled, "
                f"{m.errors:,} failed requests in this run; {m.written:,} items written); capacity: "
                f"{self.controller.capacity.source}",
                where=f"copy {self.table} at {self.shared.sender.url}",
                remedy=f"the run {self.run.run_id} is checkpointed: resume it with --resume {self.run.run_id} once "
                       "the table takes writes again (raise its write capacity or warm throughput, or let other "
                       "writers finish); to wait longer before stopping, resume with a longer stall timeout "
                       "(--stall-timeout; MCP: stall_timeout_s)"))
            return
        self._report()
        self._watching = self.loop.call_later(1.0, self._watch)



async def resolve_options(options: CopyOptions, aws: AwsClients) -> CopyOptions:
    """Fill the automatic batch size and concurrency: DynamoDB's 25 items and 32 requests in
    flight, or fewer, larger requests when the endpoint is a local moto server."""
    if options.batch_size is not None and options.concurrency is not None:
        return options
    return _resolved(options, await asyncio.to_thread(probe_moto, endpoint_for(aws)))


def _resolved(options: CopyOptions, moto: bool) -> CopyOptions:
    if options.batch_size is not None and options.concurrency is not None:
        return options
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
    options = options or CopyOptions()
    progress = progress or NullProgress()
    names = list(tables) if tables is not None else list(specs)
    missing = [n for n in names if n not in specs]
    if missing:
        raise InputError(f"no conversion spec for {', '.join(missing)}", where="copy",
                         remedy="name tables of the contract: " + ", ".join(specs))
    moto = await asyncio.to_thread(probe_moto, endpoint_for(aws))  # never throttles: nothing to pace
    options = _resolved(options, moto)
    capacities = await table_capacities(aws, [specs[n].get("table", n) for n in names], unlimited=moto,
                                        transport=options.transport, timeout_s=min(10.0, options.request_timeout_s))
    async with open_sender(aws, concurrency=options.concurrency, timeout_s=options.request_timeout_s,
                           signer=options.signer, transport=options.transport) as sender:
        shared = _Shared(sender, options, progress)
        gate = asyncio.Semaphore(options.tables_in_parallel)

        async def one(name: str) -> TableCopyStats:
            async with gate:
                spec = {**specs[name], "table": specs[name].get("table", name)}
                return await TableCopy(shared, spec, dsn, run, converter or default_converter,
                                       capacities[spec["table"]]).copy()

        tasks = [asyncio.ensure_future(one(n)) for n in names]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
