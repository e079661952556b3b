"""The context document `mcp_context.md`: everything a designer (the assistant, or a person) needs
before proposing a DynamoDB model, in the design notes' template: application overview, key
entities, the access-pattern table, entity relationships with measured cardinalities, the
current MySQL schema, performance data from the query log, and the design constraints and
preferences. Rendered from prompts/mcp_context.md.j2 (StrictUndefined). Only facts that are stable
for a given database and log go in (no timings of our own, no server-estimated index statistics),
so the document is reproducible and snapshot-tested."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mysql2ddb.prompts import render
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.analysis.schema_model import SchemaAnalysis, TableInfo
from mysql2ddb.tools.modeling.recommend_schema import as_schema
from mysql2ddb.tools.modeling.registry import AccessPattern, Registry, as_patterns

ARTIFACT = "mcp_context.md"
TEMPLATE = "mcp_context.md.j2"
CONSTRAINTS = [
    ("Multi-table first", "one table per entity cluster the application reads together, not one table for everything"),
    ("Natural keys", "key tables by the application's own ids (customer_id, order_id), not generic PK/SK, "
                     "except inside an item collection that mixes entities"),
    ("Access-pattern driven", "every table, key and index exists because a listed pattern needs it"),
    ("Cost optimization", "project only what queries read; avoid GSIs a key could serve; price each choice"),
    ("Hot-partition avoidance", "no partition key value may take more than 3,000 RCU / 1,000 WCU per second; "
                                "shard or cache skewed keys"),
]


def _fmt(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def _rps(p: AccessPattern) -> str:
    if p.needs_rps:
        return "[USER PROVIDED: needs RPS]"
    return f"{_fmt(p.rps_peak)} / {_fmt(p.rps_average)}"


def _requirements(p: AccessPattern) -> str:
    parts = [f"{p.consistency.lower()} consistency"]
    parts.append(f"<{_fmt(p.latency_ms)} ms latency" if p.latency_ms is not None else "latency target not stated")
    return ", ".join(parts)


def _columns(info: TableInfo) -> str:
    out = []
    for col in info.columns:
        text = f"`{col.name}` {col.type}" + ("" if col.nullable else " NOT NULL")
        if col.auto_increment:
            text += " AUTO_INCREMENT"
        if col.generated:
            text += " GENERATED"
        out.append(text)
    return ", ".join(out)


def _table_view(info: TableInfo) -> dict[str, Any]:
    indexes = [f"{'UNIQUE ' if i.unique else ''}{i.kind if i.kind != 'BTREE' else ''}".strip() + f" ({', '.join(i.columns)})"
               for i in info.indexes if not i.primary]
    return {
        "name": info.name, "rows": f"{info.rows:,}" + (" (estimated)" if info.rows_estimated else ""),
        "avg_row_bytes": _fmt(info.avg_row_bytes) if info.avg_row_bytes is not None else "?",
        "primary_key": ", ".join(info.primary_key) or "none",
        "columns": _columns(info),
        "indexes": "; ".join(i.strip() for i in indexes) or "none",
        "foreign_keys": "; ".join(f"({', '.join(fk.columns)}) -> {fk.ref_table}({', '.join(fk.ref_columns)})"
                                  for fk in info.foreign_keys) or "none",
    }


def _relationships(schema: SchemaAnalysis) -> list[str]:
    lines = []
    for r in schema.relationships:
        if r.cardinality == "M:N":
            text = (f"{r.parent} ↔ {r.child}: M:N through {r.via} (at most {_fmt(r.max_children)} {r.child} per "
                    f"{r.parent}, {_fmt(r.max_parents)} {r.parent} per {r.child})")
        else:
            text = f"{r.parent} → {r.child}: {r.cardinality} on {r.child}({', '.join(r.columns)})"
            if r.measured and r.max_children is not None:
                text += f", max {_fmt(r.max_children)} / avg {_fmt(r.avg_children)} children per parent"
            if r.declared_cardinality and r.declared_cardinality != r.cardinality:
                text += f" (declared {r.declared_cardinality})"
        if r.source == "inferred":
            text += " — inferred from column names, not enforced"
        if r.orphans:
            text += f"; {r.orphans:,} orphan rows"
        lines.append(text)
    return lines


def _skew(schema: SchemaAnalysis, min_rows: int = 100) -> list[str]:
    """Candidate keys whose top value holds 5% or more of a table of some size."""
    out = []
    for k in schema.key_stats:
        info = schema.table(k.table)
        if k.unique or k.top_share is None or k.top_share < 0.05 or info is None or info.rows < min_rows:
            continue
        top = k.top_values[0].value if k.top_values else "?"
        out.append(f"{k.table}({', '.join(k.columns)}): {_fmt(k.distinct)} distinct value(s); the top value "
                   f"({top}) holds {k.top_share:.0%} of rows")
    return out


def _get(obj: Any, name: str, default: Any = None) -> Any:
    value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return default if value is None else value


def _performance(patterns: list[AccessPattern], registry: Registry, log: Any) -> dict[str, Any]:
    window = registry.window
    measured = [p for p in patterns if p.source == "log"]
    peak = sum(p.rps_peak or 0 for p in patterns)
    avg = sum(p.rps_average or 0 for p in patterns)
    noise = _get(log, "noise") if log is not None else None
    if isinstance(noise, dict):
        noise = sum(v for v in noise.values() if isinstance(v, (int, float)))
    noise_count = noise if isinstance(noise, (int, float)) else None
    return {
        "window": (f"{window.start} to {window.end} ({_fmt(window.seconds)} s)" if window and window.seconds else None),
        "growth_factor": registry.growth_factor,
        "measured": len(measured),
        "statements": sum(p.count or 0 for p in measured),
        "total_peak": _fmt(peak), "total_avg": _fmt(avg),
        "reads_avg": _fmt(sum(p.rps_average or 0 for p in patterns if not p.is_write)),
        "writes_avg": _fmt(sum(p.rps_average or 0 for p in patterns if p.is_write)),
        "noise": noise_count,
        "busiest": [f"{p.id} ({_fmt(p.rps_average)} req/s average): {p.description}"
                    for p in sorted(measured, key=lambda p: -(p.rps_average or 0))[:3]],
        "latency": [f"{p.id}: {_fmt(p.measured_latency_ms)} ms average"
                    + (f", {_fmt(p.measured_latency_p95_ms)} ms p95" if p.measured_latency_p95_ms is not None else "")
                    for p in patterns if p.measured_latency_ms is not None],
    }


def _pattern_view(p: AccessPattern) -> dict[str, Any]:
    return {"id": p.id, "description": p.description, "rps": _rps(p), "type": f"{p.kind.capitalize()} ({p.operation})",
            "entities": ", ".join(p.entities), "requirements": _requirements(p),
            "sql": [s.fingerprint or s.example for s in p.statements if s.fingerprint or s.example],
            "source": p.source, "count": p.count}


def context_data(schema: Any, patterns: Any, log_analysis: Any = None) -> dict[str, Any]:
    analysis = as_schema(schema)
    registry = patterns if isinstance(patterns, Registry) else Registry(patterns=as_patterns(patterns))
    pats = registry.patterns
    traffic: dict[str, float] = {}
    for p in pats:
        for t in p.entities:
            traffic[t] = traffic.get(t, 0.0) + (p.rps_average or 0.0)
    touched = [t for t in sorted(traffic, key=lambda t: -traffic[t]) if analysis.table(t) is not None]
    key_entities = [{"name": t, "rows": f"{analysis.table(t).rows:,}", "patterns":  # type: ignore[union-attr]
                     ", ".join(p.id for p in pats if t in p.entities)} for t in touched]
    untouched = [t.name for t in analysis.tables if t.name not in traffic]
    return {
        "database": analysis.database,
        "table_count": len(analysis.tables), "view_count": len(analysis.views),
        "trigger_count": len(analysis.triggers), "relationship_count": len(analysis.relationships),
        "total_rows": f"{sum(t.rows for t in analysis.tables):,}",
        "largest": [f"{t.name} ({t.rows:,} rows)" for t in sorted(analysis.tables, key=lambda t: -t.rows)[:5]],
        "key_entities": key_entities, "untouched": untouched,
        "patterns": [_pattern_view(p) for p in pats],
        "needs_rps": registry.needs_rps(),
        "relationships": _relationships(analysis),
        "tables": [_table_view(t) for t in analysis.tables],
        "views": [v.name for v in analysis.views],
        "triggers": [f"{t.name} ({t.timing} {t.event} ON {t.table})" for t in analysis.triggers],
        "warnings": list(analysis.warnings),
        "skew": _skew(analysis),
        "performance": _performance(pats, registry, log_analysis),
        "constraints": CONSTRAINTS,
    }


def build_context(schema: Any, patterns: Any, log_analysis: Any = None) -> str:
    """The context document's markdown. `patterns`: the Registry (for the log window) or patterns."""
    return render(TEMPLATE, **context_data(schema, patterns, log_analysis))


class ContextResult(BaseModel):
    path: str
    patterns: int
    needs_rps: list[str] = Field(default_factory=list)
    table_count: int
    relationships: int

    def summary(self) -> str:
        text = (f"Wrote `{self.path}`: {self.patterns} access patterns over {self.table_count} MySQL tables and "
                f"{self.relationships} relationships. Read it before designing.")
        if self.needs_rps:
            text += f" Ask the user for the RPS of {', '.join(self.needs_rps)} (`set_pattern_rps`)."
        return text

    def tables(self) -> list[Table]:
        return [Table("Context document", ["path", "patterns", "needs RPS", "tables", "relationships"],
                      [[self.path, self.patterns, ", ".join(self.needs_rps), self.table_count, self.relationships]])]
