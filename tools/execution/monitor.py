"""What a table's copy looks like from DynamoDB's side, as the design notes ask to watch it:
consumed write units a second against the table's capacity, throttles (requests, items, and per
written item), request latency (p50/p99) and the error rate. Fed by the copy engine's callbacks
(copy_engine.TableCopy), shown in every progress update and kept in the copy's stats, from which
the migration report draws its per-table rows and summary (report.py)."""

from __future__ import annotations

import collections
import math
import time
from typing import Any, Callable

from mysql2ddb.tools.execution.rate_control import Capacity

_BASE_S = 1e-4          # latency buckets start at 0.1 ms ...
_LOG_GROWTH = math.log(1.05)  # ... each 5% wider than the last: quantiles within 5%, fixed memory
_RECENT_S = 5.0


class LatencyHistogram:
    """Request latencies in logarithmic buckets: O(1) a request, a few hundred counters at most."""

    def __init__(self) -> None:
        self.counts: collections.Counter[int] = collections.Counter()
        self.total = 0

    def add(self, seconds: float) -> None:
        self.counts[int(math.log(seconds / _BASE_S) / _LOG_GROWTH) if seconds > _BASE_S else 0] += 1
        self.total += 1

    def quantile(self, q: float) -> float | None:
        """Seconds at or below which `q` of the requests were answered (upper bucket bound)."""
        if not self.total:
            return None
        rank, seen = q * self.total, 0
        for bucket in sorted(self.counts):
            seen += self.counts[bucket]
            if seen >= rank:
                return _BASE_S * math.exp((bucket + 1) * _LOG_GROWTH)
        return None


class TableMonitor:
    """One table's copy, this run: requests and their fates, write units consumed, latencies."""

    def __init__(self, capacity: Capacity, clock: Callable[[], float] = time.monotonic):
        self.capacity = capacity
        self.clock = clock
        self.started = clock()
        self.latency = LatencyHistogram()
        self.requests = self.errors = self.throttled_requests = 0
        self.written = self.throttled_items = 0
        self.table_units = 0.0
        self.index_units: dict[str, float] = {}
        self.estimated = False  # some answers did not say what they consumed: estimated from sizes
        self.recent: collections.deque[tuple[float, float]] = collections.deque()

    # ---- fed by the engine ----
    def answered(self, sent_at: float, now: float, written: int, throttled: int, consumed: Any,
                 estimate: float) -> None:
        """A 200 answer: `written` items acknowledged, `throttled` left unprocessed; `consumed`
        from ReturnConsumedCapacity, or None (then `estimate`: units the controller reckons)."""
        self._request(sent_at, now)
        self.written += written
        self.throttled_items += throttled
        if consumed is not None and written:
            units = max(consumed[0], float(written))
            for name, value in consumed[1].items():
                self.index_units[name] = self.index_units.get(name, 0.0) + value
        else:
            units = estimate
            self.estimated = self.estimated or bool(written)
        self.table_units += units
        self.recent.append((now, units))

    def throttled(self, sent_at: float, now: float, items: int) -> None:
        self._request(sent_at, now)
        self.throttled_requests += 1
        self.throttled_items += items

    def failed(self, sent_at: float | None, now: float) -> None:
        """A 5xx, a dropped or timed-out connection, or a terminal error."""
        self.errors += 1
        self.requests += 1
        if sent_at:
            self.latency.add(max(0.0, now - sent_at))

    def refused(self, sent_at: float, now: float) -> None:
        """DynamoDB refused the request as invalid (the items are isolated): an answer, not an error."""
        self._request(sent_at, now)

    def _request(self, sent_at: float, now: float) -> None:
        self.requests += 1
        if sent_at:
            self.latency.add(max(0.0, now - sent_at))

    # ---- read by progress and the stats ----
    def recent_units_per_s(self) -> float:
        now = self.clock()
        recent = self.recent
        while recent and recent[0][0] < now - _RECENT_S:
            recent.popleft()
        span = min(_RECENT_S, now - self.started)
        return sum(u for _, u in recent) / span if span > 0 else 0.0

    def stats(self, seconds: float | None = None, rate: float | None = None) -> dict[str, Any]:
        """The fields of TableCopyStats this monitor fills; `seconds` of copying (this run)."""
        seconds = seconds if seconds is not None else self.clock() - self.started
        capacity = self.capacity.write_units_per_s
        per_s = self.table_units / seconds if seconds > 0 else 0.0
        p50, p99 = self.latency.quantile(0.5), self.latency.quantile(0.99)
        return {
            "capacity": self.capacity.source,
            "capacity_wcu_per_s": round(capacity, 1),
            "consumed_wcu": round(self.table_units, 1),
            "index_wcu": {k: round(v, 1) for k, v in self.index_units.items()},
            "wcu_per_s": round(per_s, 1),
            "capacity_share": round(per_s / capacity, 3) if capacity else None,
            "consumed_estimated": self.estimated,
            "requests": self.requests,
            "throttled_requests": self.throttled_requests,
            "throttled": self.throttled_items,
            "throttled_per_write": round(self.throttled_items / self.written, 3) if self.written else 0.0,
            "errors": self.errors,
            "error_rate": round(self.errors / self.requests, 4) if self.requests else 0.0,
            "p50_ms": None if p50 is None else round(p50 * 1000, 1),
            "p99_ms": None if p99 is None else round(p99 * 1000, 1),
            "final_rate_wcu_per_s": None if rate is None else round(rate, 1),
        }

    def line(self, rate: float | None) -> str:
        """One line for a progress update."""
        now_units = self.recent_units_per_s()
        capacity = self.capacity.write_units_per_s
        parts = [f"{now_units:,.0f} WCU/s" + (f" of {capacity:,.0f} ({now_units / capacity:.0%})" if capacity else "")]
        if rate is not None:
            parts.append(f"paced at {rate:,.0f}/s")
        per = self.throttled_items / self.written if self.written else 0.0
        parts.append(f"{self.throttled_items:,} throttled ({per:.2f}/write)")
        p50, p99 = self.latency.quantile(0.5), self.latency.quantile(0.99)
        if p50 is not None:
            parts.append(f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
        parts.append(f"{self.errors / self.requests if self.requests else 0.0:.1%} errors")
        return ", ".join(parts)
