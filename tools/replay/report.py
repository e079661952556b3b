"""The replay report: per access pattern, how many parameter sets were replayed, how many matched,
how many differed (with the first diffs), or why the pattern cannot be replayed, and the read
units measured per call against the cost model's estimate."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.replay.compare import SampleDiff

REPORT_PATH = "replay/report.json"
Status = Literal["matched", "differing", "not_servable", "skipped"]


class PatternReplay(BaseModel):
    pattern_id: str
    description: str = ""
    kind: str = "read"
    status: Status = "not_servable"
    why: str | None = Field(None, description="not_servable or skipped: the reason")
    served_by: str = Field("", description="the request the design maps the pattern to")
    samples: int = Field(0, description="parameter sets replayed on both sides")
    from_log: int = 0
    from_data: int = 0
    with_rows: int = Field(0, description="parameter sets MySQL answered with rows (matches on empty answers prove "
                                          "little: when none had rows, more are taken from rows that qualify)")
    matched: int = 0
    differing: int = 0
    diffs: list[SampleDiff] = Field(default_factory=list, description="the first differing parameter sets")
    read_units_per_call: float | None = Field(None, description="measured, averaged over the replayed calls")
    read_units_max: float | None = None
    units_source: str | None = Field(None, description="reported by DynamoDB, or computed from item sizes")
    estimated_read_units: float | None = Field(None, description="the cost model's read units per call")
    notes: list[str] = Field(default_factory=list)

    def verdict(self) -> str:
        if self.status in ("not_servable", "skipped"):
            return f"{self.status}: {self.why}"
        empty = ", none with rows" if self.samples and not self.with_rows else ""
        return f"{self.matched}/{self.samples} matched" + (f", {self.differing} differ" if self.differing else "") + empty


class ReplayReport(BaseModel):
    database: str
    endpoint: str
    contract_sha256: str
    design: str
    log: str | None = Field(None, description="the query log the parameter sets came from (None: the data)")
    samples_wanted: int
    patterns: list[PatternReplay] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def reads(self) -> list[PatternReplay]:
        return [p for p in self.patterns if p.kind == "read"]

    @property
    def ok(self) -> bool:
        """Every read pattern replayed, and every parameter set matched."""
        return bool(self.reads) and all(p.status == "matched" for p in self.reads)

    def summary(self) -> str:
        reads = self.reads
        matched = [p.pattern_id for p in reads if p.status == "matched"]
        differing = [p for p in reads if p.status == "differing"]
        blocked = [p for p in reads if p.status == "not_servable"]
        source = f"parameter sets from {self.log} (topped up from the data)" if self.log else \
            "parameter sets from the data (no query log given)"
        lines = [f"Replay on {self.database} and {self.endpoint}, contract {self.contract_sha256[:12]}, {source}: "
                 f"{len(matched)}/{len(reads)} read pattern(s) answer as MySQL does"
                 + (f" ({', '.join(matched)})" if matched else "") + "."]
        for p in differing:
            first = p.diffs[0].brief() if p.diffs else ""
            lines.append(f"- **{p.pattern_id} differs** in {p.differing}/{p.samples} parameter set(s): {first}")
        for p in blocked:
            lines.append(f"- **{p.pattern_id} cannot be replayed**: {p.why}")
        for p in reads:
            if p.status == "matched" and not p.with_rows:
                lines.append(f"- **{p.pattern_id} matched only on empty answers**: none of its {p.samples} parameter "
                             "set(s) returned rows on MySQL")
        above = [f"{p.pattern_id} ({p.read_units_per_call:g} measured, {p.estimated_read_units:g} estimated)"
                 for p in reads if p.read_units_per_call and p.estimated_read_units
                 and p.read_units_per_call > p.estimated_read_units * 1.25]
        if above:
            lines.append("Read units per call above the cost model's estimate: " + ", ".join(above) + ".")
        writes = [p.pattern_id for p in self.patterns if p.kind == "write"]
        if writes:
            lines.append(f"Write patterns ({', '.join(writes)}) are not replayed: replay never writes.")
        lines += [f"- {n}" for n in self.notes]
        return "\n".join(lines)

    def tables(self) -> list[Table]:
        rows = [[p.pattern_id, p.kind, p.served_by, p.samples, f"{p.from_log}/{p.from_data}", p.with_rows, p.matched,
                 p.differing, p.verdict(), _units(p.read_units_per_call), _units(p.estimated_read_units),
                 p.units_source or ""] for p in self.patterns]
        out = [Table("Replay per access pattern", ["pattern", "kind", "served by", "samples", "log/data", "with rows",
                                                   "matched", "differing", "verdict", "RCU/call measured",
                                                   "RCU/call estimated",
                                                   "measured as"], rows)]
        diffs = [[p.pattern_id, d.statement[:160], d.brief()] for p in self.patterns for d in p.diffs]
        if diffs:
            out.append(Table("First differences", ["pattern", "statement", "difference"], diffs))
        return out


def _units(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
