"""The migration report, pgloader style: one row per phase (views, tables, copy, verify), one row
per table (read, written, rejected, retried, seconds, items/s) and a total. What DynamoDB made of
the copy (copy_engine's monitoring, monitor.py) gets a table of its own: per table the consumed
write units a second against the table's capacity, throttles (and per written item), p50/p99
request latency, the error rate, and the duration the plan expected next to the actual one; the
summary says the same for the whole run. It is written to the run directory and the workspace;
JSON, markdown and the rich table are all derived from it."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Iterator, Literal

from pydantic import BaseModel, Field, model_serializer

from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.execution.plan import CopyPlan

PhaseName = Literal["validate", "plan", "views", "tables", "copy", "verify"]
PhaseStatus = Literal["ok", "failed", "skipped", "dry-run", "refused"]


class PhaseRow(BaseModel):
    phase: PhaseName
    status: PhaseStatus
    seconds: float = 0.0
    detail: str = ""
    via: str = Field("direct", description="the adapter that served the phase: direct or mcp:<server name>")


class TableRow(BaseModel):
    table: str
    read: int = 0
    written: int = 0
    rejected: int = 0
    retried: int = 0
    seconds: float = 0.0
    items_per_s: float = 0.0
    expected_seconds: float | None = Field(None, description="what the plan expected for this table")
    capacity: str = Field("", description="where the table's capacity comes from")
    capacity_wcu_per_s: float = 0.0
    consumed_wcu: float = 0.0
    index_wcu: dict[str, float] = Field(default_factory=dict)
    wcu_per_s: float = 0.0
    capacity_share: float | None = None
    requests: int = 0
    throttled: int = Field(0, description="items throttled (UnprocessedItems and throttled requests)")
    throttled_per_write: float = 0.0
    errors: int = 0
    error_rate: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None

    @model_serializer(mode="wrap")
    def _lean(self, handler: Any) -> dict[str, Any]:
        """A table this run did not watch (finished by an earlier run) says nothing of DynamoDB."""
        data = handler(self)
        if not self.requests:
            for name in _WATCHED_FIELDS:
                data.pop(name, None)
        if self.expected_seconds is None:
            data.pop("expected_seconds", None)
        return data


_WATCHED_FIELDS = ("capacity", "capacity_wcu_per_s", "consumed_wcu", "index_wcu", "wcu_per_s", "capacity_share",
                   "requests", "throttled", "throttled_per_write", "errors", "error_rate", "p50_ms", "p99_ms")


class Totals(BaseModel):
    tables: int = 0
    read: int = 0
    written: int = 0
    rejected: int = 0
    retried: int = 0
    seconds: float = 0.0
    items_per_s: float = 0.0
    expected_seconds: float | None = Field(None, description="the plan's duration (its slowest table)")
    consumed_wcu: float = 0.0
    wcu_per_s: float = Field(0.0, description="consumed write units a second over the copy phase, all tables")
    requests: int = 0
    throttled: int = 0
    throttled_per_write: float = 0.0
    errors: int = 0
    error_rate: float = 0.0


class MigrationReport(BaseModel):
    """What one `migrate` run did. `ok` is true only when every phase that ran succeeded and the
    verification (when it ran) found source and target equal."""

    run_id: str | None = None
    run_dir: str | None = None
    contract_sha256: str = ""
    endpoint: str = ""
    dry_run: bool = False
    approved: bool = False
    ok: bool = False
    started_at: float = Field(default_factory=time.time)
    phases: list[PhaseRow] = Field(default_factory=list)
    table_rows: list[TableRow] = Field(default_factory=list, alias="tables")
    total: Totals = Field(default_factory=Totals)
    verify: dict[str, Any] | None = None
    plan: CopyPlan | None = None
    views_sql: dict[str, str] | None = Field(None, description="dry run: the view DDL that would run")
    table_requests: list[dict[str, Any]] | None = Field(None, description="dry run: the CreateTable requests")
    rejects: dict[str, str] = Field(default_factory=dict, description="table -> reject file, for tables with rejects")
    notes: list[str] = Field(default_factory=list)
    plan_shown: bool = Field(False, exclude=True, description="a front end already showed the plan: do not repeat it")

    model_config = {"populate_by_name": True}

    # ---- building -------------------------------------------------------------------------

    @contextmanager
    def phase(self, name: PhaseName, detail: str = "") -> Iterator[PhaseRow]:
        """Time one phase; a raised error marks it failed (and still propagates)."""
        row = PhaseRow(phase=name, status="ok", detail=detail)
        self.phases.append(row)
        start = time.monotonic()
        try:
            yield row
        except BaseException as exc:
            row.status = "failed"
            why = getattr(exc, "why", None) or str(exc) or type(exc).__name__
            row.detail = (row.detail + "; " if row.detail else "") + why[:300]
            raise
        finally:
            row.seconds = round(time.monotonic() - start, 3)

    def add_phase(self, name: PhaseName, status: PhaseStatus, detail: str = "", seconds: float = 0.0) -> None:
        self.phases.append(PhaseRow(phase=name, status=status, detail=detail, seconds=seconds))

    def set_tables(self, stats: list[Any]) -> None:
        """Rows from the copy engine's TableCopyStats (or dicts with the same fields)."""
        rows = []
        for s in stats:
            data = s.model_dump() if hasattr(s, "model_dump") else (dict(s) if isinstance(s, dict) else vars(s))
            row = TableRow(**{k: data[k] for k in TableRow.model_fields if k in data and data[k] is not None})
            planned = self.plan.table(row.table) if self.plan is not None else None
            row.expected_seconds = planned.duration_seconds if planned is not None else None
            rows.append(row)
        self.table_rows = rows
        read = sum(r.read for r in rows)
        written = sum(r.written for r in rows)
        copy_seconds = next((p.seconds for p in self.phases if p.phase == "copy"), 0.0) or max(
            (r.seconds for r in rows), default=0.0
        )
        consumed, throttled = sum(r.consumed_wcu for r in rows), sum(r.throttled for r in rows)
        requests, errors = sum(r.requests for r in rows), sum(r.errors for r in rows)
        self.total = Totals(
            tables=len(rows), read=read, written=written,
            rejected=sum(r.rejected for r in rows), retried=sum(r.retried for r in rows),
            seconds=round(copy_seconds, 3), items_per_s=round(written / copy_seconds, 1) if copy_seconds else 0.0,
            expected_seconds=self.plan.duration_seconds if self.plan is not None else None,
            consumed_wcu=round(consumed, 1), wcu_per_s=round(consumed / copy_seconds, 1) if copy_seconds else 0.0,
            requests=requests, throttled=throttled, errors=errors,
            throttled_per_write=round(throttled / written, 3) if written else 0.0,
            error_rate=round(errors / requests, 4) if requests else 0.0,
        )

    def finish(self) -> "MigrationReport":
        phases_ok = all(p.status in ("ok", "skipped", "dry-run") for p in self.phases)
        verified = self.verify is None or bool(self.verify.get("ok"))
        self.ok = phases_ok and verified
        return self

    # ---- rendering ------------------------------------------------------------------------

    def summary(self) -> str:
        if self.dry_run:
            head = "Dry run: nothing was written."
        elif self.ok:
            head = f"Migration run `{self.run_id}` finished"
            head += " and verified." if self.verify is not None else " (not verified: --no-verify)."
        else:
            failed = [p.phase for p in self.phases if p.status in ("failed", "refused")]
            head = f"Migration run `{self.run_id}` did not succeed" + (f" (failed: {', '.join(failed)})." if failed else ".")
            if self.verify is not None and not self.verify.get("ok"):
                head += " Verification found differences."
        lines = [head]
        if self.plan is not None and self.dry_run and not self.plan_shown:
            lines.append(self.plan.summary())
        elif self.plan is not None:
            lines.append(f"Planned: {self.plan.total_items:,} items, {self.plan.total_write_units:,} write units "
                         f"(${self.plan.total_cost_usd:,.4f} on demand), about {self.plan.duration_seconds:,.1f} s "
                         f"at the tables' write throughput; the copy took {self.total.seconds:,.1f} s here"
                         + (f" ({self.total.seconds / self.plan.duration_seconds:,.2f}x the plan)."
                            if self.plan.duration_seconds > 0 and self.total.seconds else "."))
        watched = self._watched()
        if watched:
            lines.append(watched)
        if self.endpoint:
            lines.append(f"Endpoint: {self.endpoint}.")
        if self.run_dir:
            lines.append(f"Run directory: {self.run_dir} (resume with `--resume {self.run_id}`).")
        if self.total.rejected:
            lines.append(f"{self.total.rejected} row(s) rejected; see the reject files: "
                         + ", ".join(f"{t}: {p}" for t, p in self.rejects.items()) + ".")
        lines += self.notes
        return "\n\n".join(lines)

    def tables(self) -> list[Table]:
        out = [Table("Phases", ["phase", "status", "via", "seconds", "detail"],
                     [[p.phase, p.status, p.via, round(p.seconds, 2), p.detail] for p in self.phases])]
        if self.table_rows:
            rows = [[r.table, r.read, r.written, r.rejected, r.retried, round(r.seconds, 2), round(r.items_per_s)]
                    for r in self.table_rows]
            t = self.total
            rows.append(["total", t.read, t.written, t.rejected, t.retried, round(t.seconds, 2), round(t.items_per_s)])
            out.append(Table("Copy", ["table", "read", "written", "rejected", "retried", "seconds", "items/s"], rows))
        watched = [r for r in self.table_rows if r.requests]
        if watched:
            rows = [[r.table, round(r.wcu_per_s), round(r.capacity_wcu_per_s) or "-",
                     "-" if r.capacity_share is None else f"{r.capacity_share:.0%}", r.throttled,
                     round(r.throttled_per_write, 3), _ms(r.p50_ms), _ms(r.p99_ms), f"{r.error_rate:.1%}",
                     "-" if r.expected_seconds is None else round(r.expected_seconds, 1), round(r.seconds, 1)]
                    for r in watched]
            out.append(Table("Throughput", ["table", "WCU/s", "capacity", "used", "throttled", "per write",
                                            "p50 ms", "p99 ms", "errors", "planned s", "took s"], rows))
        if self.verify is not None:
            rows = [[v.get("table"), v.get("source_count"), v.get("target_count"), v.get("mismatches"),
                     "ok" if _table_ok(v) else "DIFFERS"] for v in self.verify.get("tables", [])]
            out.append(Table("Verification", ["table", "source", "target", "mismatches", "result"], rows))
        if self.plan is not None and self.dry_run and not self.plan_shown:
            out += self.plan.tables()
        return out

    def _watched(self) -> str:
        """One sentence on what DynamoDB made of the copy (nothing when it was not watched)."""
        rows = [r for r in self.table_rows if r.requests]
        if not rows:
            return ""
        t = self.total
        busiest = max(rows, key=lambda r: r.capacity_share or 0.0)
        share = (f" (the busiest, {busiest.table}, used {busiest.capacity_share:.0%} of its "
                 f"{busiest.capacity_wcu_per_s:,.0f} WCU/s)" if busiest.capacity_share is not None else "")
        p99 = max((r.p99_ms for r in rows if r.p99_ms is not None), default=None)
        return (f"DynamoDB: {t.consumed_wcu:,.0f} write units consumed, {t.wcu_per_s:,.0f} WCU/s over the copy{share}; "
                f"{t.throttled:,} writes throttled ({t.throttled_per_write:.2f} per written item) and retried; "
                + (f"p99 request latency {p99:,.0f} ms; " if p99 is not None else "")
                + f"{t.error_rate:.1%} of {t.requests:,} requests failed.")


def _ms(value: float | None) -> Any:
    return "-" if value is None else round(value, 1)


def _table_ok(v: dict[str, Any]) -> bool:
    if "ok" in v:
        return bool(v["ok"])
    return v.get("source_count") == v.get("target_count") and not v.get("mismatches")
