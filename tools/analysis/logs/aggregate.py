"""Per-pattern aggregates: counts, 1-second buckets, latency histograms. Never the statements.

Memory is bounded whatever the log size: one accumulator per pattern (itself bounded), latency
as a log-scale histogram, and per-second bucket counters that are folded into the running peak
once the log has moved on by `BUCKET_HORIZON` seconds (logs are written in time order; a second
seen again after that, e.g. from an overlapping second file, starts a new bucket).
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timezone
from typing import Any, Iterable

from mysql2ddb.tools.analysis.logs.fingerprint import READ, WRITE, Shape
from mysql2ddb.tools.analysis.logs.model import (
    LatencyStats, LogPattern, LogStatement, LogWindow, RepeatStats, Unparsed,
)

BUCKET_HORIZON = 900  # seconds a bucket stays open for late entries
COMPACT_MASK = (1 << 16) - 1  # compact the buckets every 65,536 events
MAX_PATTERNS = 20_000
MAX_EXAMPLE = 2_000
MAX_UNPARSED_EXAMPLES = 10
_LOG_STEP = math.log(1.05)  # histogram resolution: 5%

Metrics = tuple  # (query_time_s, lock_time_s, rows_examined, rows_sent); any may be None


class Latency:
    __slots__ = ("n", "qt_sum", "qt_max", "hist", "lock_sum", "lock_max", "lock_n", "rows_sum", "rows_max",
                 "rows_n", "sent_sum", "sent_n")

    def __init__(self) -> None:
        self.n = 0
        self.qt_sum = self.qt_max = self.lock_sum = self.lock_max = 0.0
        self.hist: dict[int, int] = {}
        self.lock_n = self.rows_sum = self.rows_max = self.rows_n = self.sent_sum = self.sent_n = 0

    def add(self, m: Metrics) -> None:
        qt, lock, rows, sent = m
        if qt is not None:
            self.n += 1
            self.qt_sum += qt
            if qt > self.qt_max:
                self.qt_max = qt
            idx = int(math.log(qt * 1e6) / _LOG_STEP) if qt > 1e-6 else 0
            self.hist[idx] = self.hist.get(idx, 0) + 1
        if lock is not None:
            self.lock_n += 1
            self.lock_sum += lock
            if lock > self.lock_max:
                self.lock_max = lock
        if rows is not None:
            self.rows_n += 1
            self.rows_sum += rows
            if rows > self.rows_max:
                self.rows_max = rows
        if sent is not None:
            self.sent_n += 1
            self.sent_sum += sent

    def merge(self, other: Latency) -> None:
        self.n += other.n
        self.qt_sum += other.qt_sum
        self.qt_max = max(self.qt_max, other.qt_max)
        for idx, n in other.hist.items():
            self.hist[idx] = self.hist.get(idx, 0) + n
        self.lock_n += other.lock_n
        self.lock_sum += other.lock_sum
        self.lock_max = max(self.lock_max, other.lock_max)
        self.rows_n += other.rows_n
        self.rows_sum += other.rows_sum
        self.rows_max = max(self.rows_max, other.rows_max)
        self.sent_n += other.sent_n
        self.sent_sum += other.sent_sum

    def p95(self) -> float | None:
        if not self.n:
            return None
        target, seen = math.ceil(0.95 * self.n), 0
        for idx in sorted(self.hist):
            seen += self.hist[idx]
            if seen >= target:
                mid = math.exp((idx + 0.5) * _LOG_STEP) / 1e6 if idx else 1e-6
                return min(mid, self.qt_max)
        return self.qt_max

    def stats(self) -> LatencyStats | None:
        if not (self.n or self.lock_n or self.rows_n):
            return None
        p95 = self.p95()
        return LatencyStats(
            samples=max(self.n, self.rows_n),
            query_time_avg_ms=_ms(self.qt_sum / self.n) if self.n else None,
            query_time_p95_ms=_ms(p95) if p95 is not None else None,
            query_time_max_ms=_ms(self.qt_max) if self.n else None,
            lock_time_avg_ms=_ms(self.lock_sum / self.lock_n) if self.lock_n else None,
            lock_time_max_ms=_ms(self.lock_max) if self.lock_n else None,
            rows_examined_avg=round(self.rows_sum / self.rows_n, 2) if self.rows_n else None,
            rows_examined_max=int(self.rows_max) if self.rows_n else None,
            rows_sent_avg=round(self.sent_sum / self.sent_n, 2) if self.sent_n else None,
        )


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 4)


class StmtAcc:
    __slots__ = ("shape", "count", "rolled", "runs", "rep_min", "rep_max", "example", "lat")

    def __init__(self, shape: Shape, example: str) -> None:
        self.shape, self.example = shape, example[:MAX_EXAMPLE]
        self.count = self.rolled = self.runs = self.rep_max = 0
        self.rep_min = 1 << 62
        self.lat = Latency()

    def absorb(self, other: StmtAcc) -> None:
        self.count += other.count
        self.rolled += other.rolled
        self.runs += other.runs
        self.rep_min, self.rep_max = min(self.rep_min, other.rep_min), max(self.rep_max, other.rep_max)
        self.lat.merge(other.lat)


class PatternAcc:
    __slots__ = ("stmts", "tx", "count", "rolled", "buckets", "peak", "lat")

    def __init__(self, stmts: list[StmtAcc], tx: bool) -> None:
        self.stmts, self.tx = stmts, tx
        self.count = self.rolled = self.peak = 0
        self.buckets: dict[int | None, int] = {}  # second -> executions (None: before the first timestamp)
        self.lat = Latency()

    def absorb(self, other: PatternAcc) -> None:
        """Add another accumulator of the same statements (its seconds were counted apart: exact
        unless both had already folded the same seconds into their peaks)."""
        self.count += other.count
        self.rolled += other.rolled
        self.peak = max(self.peak, other.peak)
        for sec, n in other.buckets.items():
            self.buckets[sec] = self.buckets.get(sec, 0) + n
        self.lat.merge(other.lat)
        for mine, theirs in zip(self.stmts, other.stmts):
            mine.absorb(theirs)

    def compact(self, watermark: int) -> None:
        """Fold seconds older than the watermark into the running peak."""
        old = [s for s in self.buckets if s is not None and s < watermark]
        for sec in old:
            self.peak = max(self.peak, self.buckets.pop(sec))


class TxItem:
    """One statement fingerprint of an open transaction: how often, one example, its metrics, and
    the seconds its executions ran in (held statements later counted one by one are counted in
    their own second, not in the transaction's first)."""

    __slots__ = ("shape", "n", "sql", "metrics", "secs")
    MAX_METRICS = 256
    MAX_SECONDS = 4_096  # distinct seconds kept; later ones count in the last kept second

    def __init__(self, shape: Shape, sql: str) -> None:
        self.shape, self.sql, self.n = shape, sql, 0
        self.metrics: list[Metrics] = []
        self.secs: dict[int | None, int] = {}

    def tick(self, ts: int | None) -> None:
        secs = self.secs
        if ts in secs or len(secs) < self.MAX_SECONDS:
            secs[ts] = secs.get(ts, 0) + 1
        else:
            last = next(reversed(secs))
            secs[last] += 1


class Aggregator:
    def __init__(self) -> None:
        self.patterns: dict[Any, PatternAcc] = {}
        self.noise: Counter = Counter()
        self.unparsed = Unparsed()
        self.overflow = 0  # executions beyond MAX_PATTERNS distinct patterns
        self.min_ts: int | None = None
        self.max_ts: int | None = None
        self.local_time = False
        self.total = PatternAcc([], False)  # every pattern execution, for the window's peak
        # transactions of one write run once, kept apart until it is known whether that write also
        # runs in a loop (then they are that loop's runs with 1 repetition) or not (plain executions)
        self.once: dict[str, PatternAcc] = {}
        self._events = 0

    # -- time ---------------------------------------------------------------------------------
    def see(self, ts: int | None) -> None:
        """Any log entry's time (noise too): the window spans the whole log."""
        if ts is not None:
            if self.max_ts is None or ts > self.max_ts:
                self.max_ts = ts
            if self.min_ts is None or ts < self.min_ts:
                self.min_ts = ts

    def _compact(self) -> None:
        if self.max_ts is not None:
            watermark = self.max_ts - BUCKET_HORIZON
            for acc in [*self.patterns.values(), *self.once.values()]:
                acc.compact(watermark)
            self.total.compact(watermark)

    # -- recording ------------------------------------------------------------------------------
    def note_unparsed(self, shape: Shape, sql: str, n: int = 1) -> None:
        self.unparsed.count += n
        if len(self.unparsed.examples) < MAX_UNPARSED_EXAMPLES and sql[:MAX_EXAMPLE] not in self.unparsed.examples:
            self.unparsed.examples.append(sql[:MAX_EXAMPLE])

    def _acc(self, key: Any, items: list[TxItem], tx: bool) -> PatternAcc | None:
        acc = self.patterns.get(key)
        if acc is None:
            if len(self.patterns) >= MAX_PATTERNS:
                return None
            acc = self.patterns[key] = PatternAcc([StmtAcc(i.shape, i.sql) for i in items], tx)
        return acc

    def single(self, shape: Shape, sql: str, ts: int | None, metrics: Metrics | None, n: int = 1,
               rolled: bool = False) -> None:
        """A statement that ran on its own (autocommit, or a one-statement transaction)."""
        acc = self.patterns.get(shape.fingerprint)
        if acc is None:
            if len(self.patterns) >= MAX_PATTERNS:
                self.overflow += n
                return
            acc = self.patterns[shape.fingerprint] = PatternAcc([StmtAcc(shape, sql)], False)
        stmt = acc.stmts[0]
        if rolled:
            acc.rolled += n
            stmt.rolled += n
        else:
            acc.count += n
            stmt.count += n
            buckets = acc.buckets
            buckets[ts] = buckets.get(ts, 0) + n
            buckets = self.total.buckets
            buckets[ts] = buckets.get(ts, 0) + n
        if metrics is not None:
            acc.lat.add(metrics)
            stmt.lat.add(metrics)
        self._events += 1
        if self._events & COMPACT_MASK == 0:
            self._compact()

    def one(self, item: TxItem, ts: int | None, rolled: bool) -> None:
        """A transaction of one statement fingerprint: a read (or a single write) is just that
        statement, each execution counted; a write repeated is a transaction pattern."""
        if item.shape.kind == READ:
            self.each(item, rolled)
        elif item.n > 1:
            self.transaction([item], ts, rolled)
        else:
            fp = item.shape.fingerprint
            acc = self.patterns.get((fp,)) or self.once.get(fp)
            if acc is None:
                if len(self.patterns) + len(self.once) >= MAX_PATTERNS:
                    self.each(item, rolled)
                    return
                acc = self.once[fp] = PatternAcc([StmtAcc(item.shape, item.sql)], True)
            self._record(acc, [item], ts, rolled)

    def each(self, item: TxItem, rolled: bool = False) -> None:
        """Every execution of a held statement on its own, each in the second it ran in."""
        secs = item.secs or {None: item.n}
        for sec, n in secs.items():
            self.single(item.shape, item.sql, sec, None, n, rolled)
        acc = self.patterns.get(item.shape.fingerprint)
        if acc is not None and not acc.tx:
            for m in item.metrics:
                acc.lat.add(m)
                acc.stmts[0].lat.add(m)

    def transaction(self, items: list[TxItem], ts: int | None, rolled: bool) -> None:
        """A committed (or rolled-back) transaction: its pattern is its distinct statements in order
        of first execution, so runs differing only in repeat counts share one pattern."""
        if len(items) == 1 and (items[0].shape.kind == READ or items[0].n == 1):
            self.one(items[0], ts, rolled)
            return
        key = tuple(i.shape.fingerprint for i in items)
        acc = self.patterns.get(key)
        if acc is None:
            acc = self._acc(key, items, True)
            if acc is None:
                self.overflow += 1
                return
            once = self.once.pop(key[0], None) if len(key) == 1 else None
            if once is not None:  # one write in a loop: its runs of one are this pattern's too
                acc.absorb(once)
        self._record(acc, items, ts, rolled)

    def _record(self, acc: PatternAcc, items: list[TxItem], ts: int | None, rolled: bool) -> None:
        total: list[float] = [0.0, 0.0, 0, 0]
        timed = True
        for stmt, item in zip(acc.stmts, items):
            if rolled:
                stmt.rolled += item.n
            else:
                stmt.count += item.n
                stmt.runs += 1
                stmt.rep_min = min(stmt.rep_min, item.n)
                stmt.rep_max = max(stmt.rep_max, item.n)
            timed = timed and len(item.metrics) == item.n and item.n > 0
            for m in item.metrics:
                stmt.lat.add(m)
                for i, v in enumerate(m):
                    if v is not None:
                        total[i] += v
        if rolled:
            acc.rolled += 1
        else:
            acc.count += 1
            acc.buckets[ts] = acc.buckets.get(ts, 0) + 1
            self.total.buckets[ts] = self.total.buckets.get(ts, 0) + 1
        if timed:
            acc.lat.add(tuple(total))
        self._events += 1
        if self._events & COMPACT_MASK == 0:
            self._compact()

    # -- result ---------------------------------------------------------------------------------
    def window(self) -> LogWindow:
        if self.min_ts is None or self.max_ts is None:
            return LogWindow()
        start = self.min_ts - 1 if None in self.total.buckets else self.min_ts
        end = self.max_ts + 1
        zone = "server local" if self.local_time else "UTC"
        return LogWindow(start=_iso(start, self.local_time), end=_iso(end, self.local_time),
                         seconds=float(end - start), timezone=zone, rps_peak=float(_peak(self.total, self.min_ts)))

    def build(self) -> list[LogPattern]:
        for fp, once in list(self.once.items()):  # never in a loop: plain executions of that write
            acc = self.patterns.get(fp)
            if acc is None:
                acc = self.patterns[fp] = PatternAcc([StmtAcc(once.stmts[0].shape, once.stmts[0].example)], False)
            acc.absorb(once)
            del self.once[fp]
        window = self.window()
        seconds = window.seconds
        out = [_pattern(acc, seconds, self.min_ts) for acc in self.patterns.values()]
        out.sort(key=lambda p: (-p.count, -p.rolled_back, p.fingerprint))
        for i, p in enumerate(out, 1):
            p.id = f"AP{i}"
        return out


def _peak(acc: PatternAcc, min_ts: int | None) -> int:
    buckets = Counter(acc.buckets)
    untimed = buckets.pop(None, 0)  # type: ignore[call-overload]
    if untimed and min_ts is not None:
        buckets[min_ts - 1] += untimed  # before the first timestamp: the second before it
    return max([acc.peak, *buckets.values()])


def _iso(ts: int, local: bool) -> str:
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    text = dt.replace(tzinfo=None).isoformat()
    return text if local else text + "Z"


def _statement(stmt: StmtAcc, tx: bool) -> LogStatement:
    repeats = None
    if tx and stmt.runs:
        repeats = RepeatStats(min=stmt.rep_min, avg=round(stmt.count / stmt.runs, 3), max=stmt.rep_max)
    shape = stmt.shape
    return LogStatement(fingerprint=shape.fingerprint, kind="write" if shape.kind == WRITE else "read",
                        tables=list(shape.tables), count=stmt.count, rolled_back=stmt.rolled, repeats=repeats,
                        repeats_avg=repeats.avg if repeats else 1.0,
                        example=stmt.example, parsed=shape.parsed, latency=stmt.lat.stats())


def _pattern(acc: PatternAcc, seconds: float | None, min_ts: int | None) -> LogPattern:
    stmts = [_statement(s, acc.tx) for s in acc.stmts]
    tables: list[str] = []
    for s in stmts:
        tables += [t for t in s.tables if t not in tables]
    timed = seconds is not None
    return LogPattern(
        id="", fingerprint="; ".join(s.fingerprint for s in stmts),
        kind="write" if any(s.kind == "write" for s in stmts) else "read", transaction=acc.tx,
        count=acc.count, rolled_back=acc.rolled, tables=tables,
        rps_avg=round(acc.count / seconds, 4) if timed and seconds else None,
        rps_peak=float(_peak(acc, min_ts)) if timed else None,
        latency=acc.lat.stats(), example=";\n".join(s.example or "" for s in stmts), statements=stmts,
    )


def merge_noise(target: Counter, items: Iterable[tuple[str, int]]) -> None:
    for name, n in items:
        target[name] += n
