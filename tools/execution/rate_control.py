"""Per-table write pacing: throttling is back-pressure, not failure.

DynamoDB serves a table at a rate it states: a new on-demand table takes 4,000 write units a
second (its warm throughput, when set, says more), a provisioned one its provisioned WCU, and each
GSI the same rules of its own; every item written costs the table ceil(KB) units and each GSI it
lands in the units of its projected copy. A GSI that cannot keep up throttles its base table, so a
request costs, in units of the table's own capacity, the largest of what it asks of the table and
of each index (scaled by their capacities).

`RateController` paces one table's requests with a token bucket refilled at `rate` units/s. It
starts at the capacity DescribeTable states (`Capacity`), learns what an item really costs from
the ConsumedCapacity of each answer, and adapts (AIMD) every 0.25 s: when more than 2% of the
interval's items came back throttled, the rate drops by that share (to what the table served); when
the pacer was the limit and nothing was throttled, it grows (doubling until the first throttle,
then +5% of the capacity per interval), so it probes above the stated capacity where the table
takes more. Throttled items are refunded to the bucket: the rate is what the table consumes. It
never paces below a quarter of the stated capacity: throttling below that comes from hot
partitions, which a slower table would not cool, and the throttled items are retried on their own
backoff. `Pacer` is a table's queue of requests released at that rate. On a moto server (it never
throttles) both step aside.
"""

from __future__ import annotations

import asyncio
import collections
import math
import time
from typing import Any, Callable, Literal

import orjson
from pydantic import BaseModel, Field

from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.execution.ddb_http import DESCRIBE_TABLE, DynamoHttp, Retryable
from mysql2ddb.tools.execution.plan import NEW_TABLE_WRITE_UNITS_PER_S

CapacityMode = Literal["on-demand", "provisioned", "unknown", "unlimited"]


class Capacity(BaseModel):
    """What a table (and each of its GSIs) is stated to take, in write units a second."""

    table: str
    mode: CapacityMode
    write_units_per_s: float = Field(0.0, description="the table's; 0 when unlimited (a moto server)")
    indexes: dict[str, float] = Field(default_factory=dict, description="GSI name -> its write units/s")
    index_all: dict[str, bool] = Field(default_factory=dict, description="GSI name -> projects ALL attributes")
    source: str = ""

    @property
    def known(self) -> float:
        """The units/s pacing starts from: the stated capacity, or a new on-demand table's."""
        return self.write_units_per_s or float(NEW_TABLE_WRITE_UNITS_PER_S)


def _units(desc: dict[str, Any], on_demand: bool) -> tuple[float, str]:
    provisioned = float((desc.get("ProvisionedThroughput") or {}).get("WriteCapacityUnits") or 0)
    if not on_demand and provisioned > 0:
        return provisioned, f"provisioned {provisioned:,.0f} WCU"
    warm = float((desc.get("WarmThroughput") or {}).get("WriteUnitsPerSecond") or 0)
    rate, why = (warm, f"on demand, warm throughput {warm:,.0f}/s") if warm > 0 else (
        float(NEW_TABLE_WRITE_UNITS_PER_S), f"on demand, a new table's {NEW_TABLE_WRITE_UNITS_PER_S:,}/s")
    cap = float((desc.get("OnDemandThroughput") or {}).get("MaxWriteRequestUnits") or -1)
    if cap > 0 and cap < rate:
        rate, why = cap, f"on demand, capped at {cap:,.0f}/s (OnDemandThroughput)"
    return rate, why


def capacity_from_description(desc: dict[str, Any]) -> Capacity:
    """A DescribeTable `Table` -> Capacity (table and GSIs)."""
    billing = (desc.get("BillingModeSummary") or {}).get("BillingMode")
    provisioned = float((desc.get("ProvisionedThroughput") or {}).get("WriteCapacityUnits") or 0)
    on_demand = billing == "PAY_PER_REQUEST" or (billing is None and provisioned == 0)
    rate, why = _units(desc, on_demand)
    indexes, index_all = {}, {}
    for gsi in desc.get("GlobalSecondaryIndexes") or []:
        name = gsi.get("IndexName", "?")
        indexes[name] = _units(gsi, on_demand)[0]
        index_all[name] = (gsi.get("Projection") or {}).get("ProjectionType") == "ALL"
    if indexes:
        why += "; GSIs " + ", ".join(f"{n} {u:,.0f}/s" for n, u in indexes.items())
    return Capacity(table=desc.get("TableName", ""), mode="on-demand" if on_demand else "provisioned",
                    write_units_per_s=rate, indexes=indexes, index_all=index_all, source=f"DescribeTable: {why}")


async def table_capacities(aws: AwsClients, tables: list[str], *, unlimited: bool, transport: str = "auto",
                           timeout_s: float = 10.0) -> dict[str, Capacity]:
    """Each table's Capacity from DescribeTable. An endpoint that cannot say (no permission, not
    the DynamoDB API) gets `unknown`: paced as a new on-demand table, and probed upward."""
    if unlimited:
        return {t: Capacity(table=t, mode="unlimited", source="a moto server: never throttles") for t in tables}
    out: dict[str, Capacity] = {}
    async with DynamoHttp(aws, connections=2, timeout_s=timeout_s, transport=transport) as http:
        for table in tables:
            why = "no answer"
            try:
                status, data = await http.post(DESCRIBE_TABLE, orjson.dumps({"TableName": table}))
                if status == 200:
                    out[table] = capacity_from_description(orjson.loads(data)["Table"])
                    continue
                why = f"HTTP {status}"
            except (Retryable, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                why = str(exc)[:120]
            out[table] = Capacity(table=table, mode="unknown",
                                  source=f"DescribeTable failed ({why}): paced as a new on-demand table")
    return out


class RateController:
    """One table's pace, in write units a second of the table's own capacity (see the module doc)."""

    INTERVAL_S = 0.25
    TOLERANCE = 0.02
    STEP = 0.05
    FLOOR = 0.25
    BURST_S = 0.05

    def __init__(self, capacity: Capacity, *, ceiling: float | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.capacity = capacity
        self.unlimited = capacity.mode == "unlimited"
        self.known = capacity.known
        self.ceiling = ceiling
        self.rate = min(self.known, ceiling) if ceiling else self.known
        self.floor = min(max(0.5, self.known * self.FLOOR), self.rate)
        self.clock = clock
        self.stamp = clock()
        self.tokens = self.rate * self.BURST_S
        self.per_item = 0.0      # units (of the table's capacity) an item costs, learnt from the answers
        self.slow_start = True
        self.decreases = self.increases = 0
        self.peak = self.rate
        self._reset(self.stamp)

    def _reset(self, now: float) -> None:
        self.i_start, self.i_written, self.i_throttled, self.i_waited = now, 0, 0, False

    # ---- the pacer's side ----
    def reserve(self, job: Any) -> float:
        """0 when `job` may go now (its units are taken), else the seconds to wait."""
        now = self.clock()
        self.tokens = min(self.rate * self.BURST_S, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 0:
            self.i_waited = True
            return -self.tokens / self.rate
        if not self.per_item:
            self.per_item = self._estimate(job)
        job.units = job.sent * self.per_item
        self.tokens -= job.units
        return 0.0

    def _estimate(self, job: Any) -> float:
        """Before any answer: the JSON size a little above DynamoDB's, a unit per started KB, and a
        copy in each index (as large as the item when it projects ALL)."""
        base = max(1.0, math.ceil(len(job.body) / max(1, job.sent) / 1024))
        cap = self.capacity
        costs = [base] + [(base if cap.index_all.get(n) else 1.0) * self.known / (u or self.known)
                          for n, u in cap.indexes.items()]
        return max(costs)

    # ---- the answers' side ----
    def answered(self, job: Any, written: int, throttled: int, consumed: Any) -> float:
        """A request came back: `written` items acknowledged, `throttled` unprocessed; returns the
        units it consumed, in the table's own units (consumed[0] when DynamoDB says)."""
        if consumed is not None and written:
            table_units = max(consumed[0], float(written))  # a written item costs at least one unit
            cost = max([table_units] + [u * self.known / (self.capacity.indexes.get(n) or self.known)
                                        for n, u in consumed[1].items()])
            self.per_item = 0.8 * self.per_item + 0.2 * cost / written if self.per_item else cost / written
        else:
            cost = written * (self.per_item or 1.0)
        reserved = job.units * written / (written + throttled) if written + throttled else 0.0
        self.tokens += reserved - cost  # what the estimate missed; a throttled attempt stays spent
        job.units = 0.0
        self._count(written, throttled)
        return cost

    def throttled(self, job: Any) -> None:
        """The whole request was throttled (400): an attempt spent, nothing written."""
        job.units = 0.0
        self._count(0, job.sent)

    def failed(self, job: Any) -> None:
        """No answer (a dropped connection, a 5xx): give its units back; not a capacity signal."""
        self.tokens += job.units
        job.units = 0.0

    def _count(self, written: int, throttled: int) -> None:
        self.i_written += written
        self.i_throttled += throttled
        now = self.clock()
        if now - self.i_start >= self.INTERVAL_S:
            self._adapt(now)

    def _adapt(self, now: float) -> None:
        items = self.i_written + self.i_throttled
        share = self.i_throttled / items if items else 0.0
        if share > self.TOLERANCE:
            self.rate = max(self.floor, self.rate * max(0.5, 1.0 - share))
            self.slow_start = False
            self.decreases += 1
        elif self.i_waited:
            grown = self.rate * 1.5 if self.slow_start else self.rate + self.known * self.STEP
            self.rate = min(grown, self.ceiling) if self.ceiling else grown
            self.increases += 1
        self.peak = max(self.peak, self.rate)
        self._reset(now)


class Pacer:
    """A table's requests, released to `send` at its controller's rate; re-sends go first."""

    def __init__(self, controller: RateController, send: Callable[[Any], None]):
        self.controller = controller
        self.send = send
        self.queue: collections.deque = collections.deque()
        self.timer: asyncio.TimerHandle | None = None

    def submit(self, job: Any, first: bool = False) -> None:
        if self.controller.unlimited:
            self.send(job)
            return
        if first:
            self.queue.appendleft(job)
        else:
            self.queue.append(job)
        if self.timer is None:
            self._pump()

    def _pump(self) -> None:
        self.timer = None
        queue, reserve = self.queue, self.controller.reserve
        while queue:
            wait = reserve(queue[0])
            if wait > 0:
                self.timer = asyncio.get_running_loop().call_later(wait, self._pump)
                return
            self.send(queue.popleft())

    def close(self) -> list[Any]:
        """Stop; the jobs still queued (the owner drops them)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        jobs = list(self.queue)
        self.queue.clear()
        return jobs
