"""The query-log analysis result: access patterns with measured counts and rates.

`analysis/query_log.json` is this model's JSON; the modeling stage builds its access-pattern
registry from `patterns[]` and `window`. Rates come from the log's own timestamps: `rps_avg` is
count / window seconds, `rps_peak` the busiest 1-second bucket.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mysql2ddb.tools.core.render import Table

LogFormat = Literal["general", "slow", "digest"]
Kind = Literal["read", "write"]
MAX_PROBLEMS = 50


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LatencyStats(_Model):
    """Measured per execution, where the log has it (slow log, digest table; not the general log)."""

    samples: int = Field(0, description="executions these figures are measured over")
    query_time_avg_ms: float | None = None
    query_time_p95_ms: float | None = Field(None, description="from a log-scale histogram (about 5% resolution)")
    query_time_max_ms: float | None = None
    lock_time_avg_ms: float | None = None
    lock_time_max_ms: float | None = None
    rows_examined_avg: float | None = None
    rows_examined_max: int | None = None
    rows_sent_avg: float | None = None


class RepeatStats(_Model):
    """How often a statement ran per transaction (a loop over order lines runs it N times)."""

    min: int
    avg: float
    max: int


class LogStatement(_Model):
    """One statement fingerprint inside a pattern (a transaction has several)."""

    fingerprint: str
    kind: Kind
    tables: list[str] = Field(default_factory=list)
    count: int = Field(description="executions inside the pattern's committed runs")
    rolled_back: int = Field(0, description="executions inside rolled-back runs")
    repeats: RepeatStats | None = Field(None, description="executions per transaction (min/avg/max)")
    repeats_avg: float = Field(1.0, description="average executions per run of the pattern: a loop's step runs "
                                                "this many times per transaction (the write cost to model)")
    example: str | None = None
    parsed: bool = Field(True, description="False: sqlglot could not parse it; fingerprinted by tokens")
    latency: LatencyStats | None = None


class LogPattern(_Model):
    id: str = Field(description="AP1, AP2, ... ordered by count, highest first")
    fingerprint: str = Field(description="normalized SQL, literals as ?; statements joined by '; ' for a transaction")
    kind: Kind = Field(description="write when any statement writes")
    transaction: bool = Field(False, description="several statements committed together")
    count: int = Field(description="committed executions (transactions for a transaction pattern)")
    rolled_back: int = Field(0, description="rolled-back executions, counted apart")
    tables: list[str] = Field(default_factory=list, description="tables touched, main table first")
    rps_avg: float | None = Field(None, description="count / window seconds")
    rps_peak: float | None = Field(None, description="busiest 1-second bucket (None without timestamps)")
    latency: LatencyStats | None = Field(None, description="per execution; a transaction's is its statements' sum")
    example: str | None = Field(None, description="one real execution (statements joined by ';\\n')")
    statements: list[LogStatement] = Field(default_factory=list)


class LogWindow(_Model):
    start: str | None = Field(None, description="ISO time of the first 1-second bucket")
    end: str | None = Field(None, description="ISO time the last bucket ends")
    seconds: float | None = Field(None, description="window length the rates are measured over")
    timezone: str | None = Field(None, description="'UTC', or 'server local' when the log does not say")
    rps_peak: float | None = Field(None, description="busiest second over all patterns")


class Unparsed(_Model):
    """Statements sqlglot could not parse: still counted, under a token fingerprint."""

    count: int = 0
    examples: list[str] = Field(default_factory=list)


class Problem(_Model):
    file: str
    line: int | None = None
    reason: str


class LogSource(_Model):
    file: str
    format: LogFormat
    lines: int = 0
    statements: int = Field(0, description="statements read (noise included)")


class LogAnalysis(_Model):
    format: LogFormat
    sources: list[LogSource] = Field(default_factory=list)
    patterns: list[LogPattern] = Field(default_factory=list)
    noise: dict[str, int] = Field(default_factory=dict, description="connection and admin statements by kind")
    unparsed: Unparsed = Field(default_factory=Unparsed)
    window: LogWindow = Field(default_factory=LogWindow)
    statements: int = Field(0, description="statements counted in patterns")
    transactions: int = Field(0, description="multi-statement transactions among them")
    partial: bool = Field(False, description="some input could not be read; see problems")
    problems: list[Problem] = Field(default_factory=list, description=f"the first {MAX_PROBLEMS}")
    problems_total: int = 0
    notes: list[str] = Field(default_factory=list)

    def fingerprint_counts(self) -> dict[str, int]:
        """Executions per statement fingerprint, whatever transaction they ran in."""
        out: dict[str, int] = {}
        for pattern in self.patterns:
            for stmt in pattern.statements:
                out[stmt.fingerprint] = out.get(stmt.fingerprint, 0) + stmt.count + stmt.rolled_back
        return out

    def summary(self) -> str:
        w = self.window
        files = ", ".join(s.file for s in self.sources) or "-"
        text = (f"Query-log analysis ({self.format}) of {files}: {len(self.patterns)} access patterns over "
                f"{self.statements:,} statements ({self.transactions:,} multi-statement transactions); "
                f"noise {sum(self.noise.values()):,}; unparsed {self.unparsed.count:,}.")
        if w.seconds:
            text += f" Window {w.start} .. {w.end} ({w.seconds:g} s, {w.timezone})."
        else:
            text += " The log has no timestamps: rates are unknown."
        if self.partial:
            text += f" PARTIAL: {self.problems_total} problem(s), first: " + _problem_text(self.problems[0])
        return text

    def tables(self) -> list[Table]:
        rows = [[p.id, p.kind + (" tx" if p.transaction else ""), p.count, p.rolled_back or "", p.rps_avg,
                 p.rps_peak, _ms(p.latency), ", ".join(p.tables), _short(p.fingerprint)] for p in self.patterns]
        out = [Table("Access patterns", ["id", "kind", "count", "rolled back", "rps avg", "rps peak",
                                         "avg/p95 ms", "tables", "fingerprint"], rows)]
        tx = [[p.id, i + 1, s.count, _repeats(s.repeats), _short(s.fingerprint)]
              for p in self.patterns if p.transaction for i, s in enumerate(p.statements)]
        if tx:
            out.append(Table("Transaction statements", ["pattern", "#", "count", "per tx min/avg/max",
                                                        "fingerprint"], tx))
        if self.noise:
            out.append(Table("Noise (not access patterns)", ["statement", "count"],
                             sorted(self.noise.items(), key=lambda kv: -kv[1])))
        if self.problems:
            out.append(Table("Problems", ["file", "line", "reason"],
                             [[p.file, p.line, p.reason] for p in self.problems]))
        return out


def _problem_text(p: Problem) -> str:
    return f"{p.file}" + (f":{p.line}" if p.line else "") + f": {p.reason}"


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ms(lat: LatencyStats | None) -> str:
    if lat is None or lat.query_time_avg_ms is None:
        return ""
    p95 = f"{lat.query_time_p95_ms:.3g}" if lat.query_time_p95_ms is not None else "-"
    return f"{lat.query_time_avg_ms:.3g}/{p95}"


def _repeats(r: RepeatStats | None) -> str:
    return "" if r is None else f"{r.min}/{r.avg:g}/{r.max}"
