"""Where access patterns come from besides the user: the query-log analysis (measured rates) and,
with no log, the schema's keys and foreign keys (one default read per table key, per other UNIQUE
key and per foreign key, with NO rate: the user is asked for it).

The log analysis (tools/analysis/logs, `analysis/query_log.json`) is read by field name, as a
model or its JSON: `patterns[]` (id, fingerprint, kind, count, tables, rps_avg, rps_peak, example,
statements[]) and `window` (start, end, seconds).
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from mysql2ddb.tools.analysis.schema_model import SchemaAnalysis
from mysql2ddb.tools.modeling.inputs import first_field as _get, schema_facts
from mysql2ddb.tools.core.sql import col, param, render, table
from mysql2ddb.tools.modeling.registry import (
    KEYLESS_NOTE, AccessPattern, LogWindow, PatternStatement, Registry, classify, describe, make_pattern,
)
from mysql2ddb.tools.modeling.table_keys import keyless_note, table_key


def _rate(value: float | None, growth: float) -> float | None:
    return None if value is None else round(float(value) * growth, 4)


def log_window(analysis: Any) -> LogWindow | None:
    raw = _get(analysis, "window")
    if raw is None:
        return None
    seconds = _get(raw, "seconds", "duration_seconds")
    return LogWindow(start=_text(_get(raw, "start")), end=_text(_get(raw, "end")),
                     seconds=float(seconds) if seconds is not None else None)


def _text(value: Any) -> str | None:
    return None if value is None else str(value.isoformat() if hasattr(value, "isoformat") else value)


def _statements(raw: Any) -> list[PatternStatement]:
    out = []
    for stmt in _get(raw, "statements", default=[]) or []:
        if isinstance(stmt, str):
            out.append(PatternStatement(fingerprint=stmt))
        else:
            out.append(PatternStatement(fingerprint=_get(stmt, "fingerprint"), example=_get(stmt, "example", "sql"),
                                        repeats_avg=float(_get(stmt, "repeats_avg", default=1.0) or 1.0)))
    if not out and (_get(raw, "example") or _get(raw, "fingerprint")):
        out.append(PatternStatement(fingerprint=_get(raw, "fingerprint"), example=_get(raw, "example")))
    return out


def _peak(raw: Any) -> float | None:
    peak = _get(raw, "rps_peak")
    if peak is not None:
        return float(peak)
    buckets = _get(raw, "buckets", "per_second")  # 1-second buckets, when the analysis keeps them
    if isinstance(buckets, dict):
        buckets = list(buckets.values())
    return float(max(buckets)) if buckets else None


def pattern_from_log(raw: Any, window: LogWindow | None, growth_factor: float = 1.0) -> AccessPattern:
    """One log pattern: rps_average = count / window seconds, rps_peak = busiest 1-second bucket,
    both times the growth factor. Without a window or count the rate stays unknown (needs RPS)."""
    count = _get(raw, "count", "calls", "executions")
    seconds = window.seconds if window else None
    average = float(count) / seconds if count is not None and seconds else None
    if average is None and _get(raw, "rps_avg", "rps_average") is not None:
        average = float(_get(raw, "rps_avg", "rps_average"))
    peak = _peak(raw)
    if peak is not None and average is not None:
        peak = max(peak, average)
    statements = _statements(raw)
    kind, operation = classify(statements)
    log_kind = str(_get(raw, "kind", default="") or "").lower()
    if ("transaction" in log_kind or _get(raw, "transaction")) and len(statements) > 1:
        operation = "transaction"
    latency = _get(raw, "latency")
    tables = [str(t) for t in _get(raw, "tables", default=[]) or []]
    shares = _get(raw, "key_frequencies", "value_frequencies", default={}) or {}
    data = {
        "id": str(_get(raw, "id")),
        "description": _get(raw, "description") or describe(statements),
        "kind": kind, "operation": operation,
        "entities": list(dict.fromkeys(tables + [t for s in statements if s.keys for t in s.keys.tables])),
        "rps_average": _rate(average, growth_factor), "rps_peak": _rate(peak, growth_factor),
        "source": "log", "count": int(count) if count is not None else None,
        "fingerprint": _get(raw, "fingerprint"), "example": _get(raw, "example"),
        "statements": statements,
        "measured_latency_ms": _get(latency, "query_time_avg_ms") if latency is not None else None,
        "measured_latency_p95_ms": _get(latency, "query_time_p95_ms") if latency is not None else None,
        "key_frequencies": {str(k): float(v) for k, v in dict(shares).items() if isinstance(v, (int, float))},
    }
    return make_pattern(data, where=f"log pattern {data['id']}")


def from_log_analysis(analysis: Any, growth_factor: float = 1.0) -> list[AccessPattern]:
    window = log_window(analysis)
    return [pattern_from_log(raw, window, growth_factor) for raw in _get(analysis, "patterns", default=[]) or []]


def merge_log_patterns(existing: Registry, analysis: Any, growth_factor: float = 1.0,
                       source: str | None = None) -> Registry:
    """A rebuilt registry: the log's patterns, with fields the user set on a pattern of the same
    id or fingerprint kept, and the user's own patterns kept."""
    fresh = from_log_analysis(analysis, growth_factor)
    by_key = {p.fingerprint or p.id: p for p in existing.patterns if p.source == "log"}
    by_id = {p.id: p for p in existing.patterns}
    out: list[AccessPattern] = []
    for pattern in fresh:
        old = by_key.get(pattern.fingerprint or pattern.id) or by_id.get(pattern.id)
        if old is not None and old.user_fields:
            data = pattern.model_dump(exclude={"needs_rps"})
            data.update({f: getattr(old, f) for f in old.user_fields}, user_fields=old.user_fields)
            pattern = AccessPattern.model_validate(data)
        out.append(pattern)
    ids = {p.id for p in out}
    out += [p for p in existing.patterns if p.source != "log" and p.id not in ids]
    return Registry(patterns=out, window=log_window(analysis), growth_factor=growth_factor, source=source)


def schema_default_patterns(schema: Any, start: int = 1) -> list[AccessPattern]:
    """With no query log: per table a read by its key (the primary key, or the key it takes without
    one: tools/modeling/table_keys.py), a read by each other UNIQUE key ('a users row by email'),
    and one 'list children by parent' per foreign key. A table without a usable key gets a read of
    all its rows that names the reason (no design can serve it until the user chooses a key). Source
    'schema', no rate: each needs RPS from the user before it is priced."""
    analysis = _analysis(schema)
    facts = schema_facts(schema)
    out: list[AccessPattern] = []
    n = start

    def add(description: str, sql: str, entities: list[str], note: str | None = None) -> None:
        nonlocal n
        statements = [PatternStatement(example=sql)]
        kind, operation = classify(statements)
        notes = ([note] if note else []) + ["default from the schema: confirm it, give its RPS, or remove it"]
        out.append(AccessPattern(id=f"AP{n}", description=description, kind=kind, operation=operation,
                                 entities=entities, source="schema", statements=statements, notes=notes))
        n += 1

    for source in facts.tables.values():
        info = analysis.table(source.name) if analysis is not None else None
        if info is None:
            if source.primary_key:
                add(f"get {source.name} by {', '.join(source.primary_key)}",
                    _lookup_sql(source.name, source.primary_key), [source.name])
            continue
        key = table_key(analysis, info)  # type: ignore[arg-type]
        if not key.usable:
            add(f"read {source.name} rows: {source.name} has {key.reason}; choose its key (choose_table_key)",
                render(exp.select(exp.Star()).from_(table(source.name))), [source.name],
                note=f"{KEYLESS_NOTE} {keyless_note(key)}")
        elif key.origin != "synthetic":
            add(f"get {source.name} by {', '.join(key.columns)}", _lookup_sql(source.name, key.columns), [source.name],
                note=key.warning)
        if key.origin not in ("primary", None) and info.primary_key:  # keyed by a unique pair: its id still reads
            add(f"get {source.name} by {', '.join(info.primary_key)}", _lookup_sql(source.name, info.primary_key),
                [source.name])
        for unique in info.unique_keys:
            if sorted(c.lower() for c in unique.columns) != sorted(c.lower() for c in key.columns):
                add(f"get {source.name} by {', '.join(unique.columns)} (unique)",
                    _lookup_sql(source.name, unique.columns), [source.name])
    for source in facts.tables.values():
        for fk in source.foreign_keys:
            if fk.columns and fk.ref_table:
                add(f"list {source.name} of {_article(fk.ref_table)} {fk.ref_table} (by {', '.join(fk.columns)})",
                    _lookup_sql(source.name, fk.columns), [source.name])
    return out


def _analysis(schema: Any) -> SchemaAnalysis | None:
    if isinstance(schema, SchemaAnalysis):
        return schema
    try:
        return SchemaAnalysis.model_validate(schema) if isinstance(schema, dict) else None
    except ValueError:
        return None


def _lookup_sql(name: str, columns: list[str]) -> str:
    """`SELECT * FROM t WHERE c1 = ? AND c2 = ?`, built as an AST (the pattern's example SQL)."""
    where = exp.and_(*[exp.EQ(this=col(c), expression=param()) for c in columns])
    return render(exp.select(exp.Star()).from_(table(name)).where(where))


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"
