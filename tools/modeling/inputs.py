"""What the design checks need from the schema analysis and the access-pattern registry, read
from whatever shape they arrive in: the stage-1 `SchemaAnalysis` model or its `analysis/schema.json`
dict, a live `Catalog`, the registry's `AccessPattern` models or their JSON. Both models are
written by other stages; reading them through these few facts keeps the validator, the cost
model and the hot-partition analysis independent of their field spelling."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal

import sqlglot
from sqlglot import exp


def first_field(obj: Any, *names: str, default: Any = None) -> Any:
    """First present, non-None field among `names` (attribute or dict key)."""
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return default


_get = first_field


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, (str, bytes)):
        return [value]
    return list(value)


def _names(value: Any) -> list[str]:
    return [str(v) if isinstance(v, str) else str(_get(v, "name", default=v)) for v in _list(value)]


@dataclass
class KeyStats:
    """Measured distribution of one candidate key: distinct values and the share of rows
    held by the most frequent value(s)."""

    columns: list[str]
    distinct: int | None = None
    top_share: float | None = None  # share of rows holding the single most frequent value
    top_values: list[tuple[str, float]] = field(default_factory=list)  # (value, share of rows), by share


@dataclass
class ForeignKey:
    columns: list[str]
    ref_table: str
    ref_columns: list[str]


@dataclass
class TableFacts:
    name: str
    rows: int | None = None
    columns: list[str] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    avg_row_bytes: float | None = None
    key_stats: list[KeyStats] = field(default_factory=list)
    is_view: bool = False

    def stats_for(self, column: str) -> KeyStats | None:
        """Stats of the single-column key `column`, or of a multi-column key it leads."""
        exact = next((k for k in self.key_stats if k.columns == [column]), None)
        return exact or next((k for k in self.key_stats if k.columns and k.columns[0] == column), None)


@dataclass
class SchemaFacts:
    tables: dict[str, TableFacts] = field(default_factory=dict)

    def table(self, name: str) -> TableFacts | None:
        if name in self.tables:
            return self.tables[name]
        lowered = name.lower()
        return next((t for n, t in self.tables.items() if n.lower() == lowered), None)

    def has_column(self, table: str, column: str) -> bool:
        facts = self.table(table)
        return facts is not None and column.lower() in {c.lower() for c in facts.columns}

    def related(self, a: str, b: str) -> bool:
        """A direct foreign key between the two tables, either way."""
        ta, tb = self.table(a), self.table(b)
        return bool(
            (ta and any(fk.ref_table.lower() == b.lower() for fk in ta.foreign_keys))
            or (tb and any(fk.ref_table.lower() == a.lower() for fk in tb.foreign_keys))
        )


def _key_stats(raw: Any) -> KeyStats:
    columns = _names(_get(raw, "columns", "column", default=[]))
    top = _list(_get(raw, "top_values", "top", default=[]))
    top_values: list[tuple[str, float]] = []
    for item in top:
        if isinstance(item, (list, tuple)) and len(item) >= 2:
            top_values.append((str(item[0]), float(item[1])))
        elif item is not None:
            share = _get(item, "share", "fraction", "ratio")
            if share is not None:
                top_values.append((str(_get(item, "value", default="")), float(share)))
    top_values.sort(key=lambda v: -v[1])
    share = _get(raw, "top_share", "top_value_share", "max_share", "skew")
    if share is None and top_values:
        share = top_values[0][1]
    distinct = _get(raw, "distinct", "distinct_count", "cardinality", "ndv")
    return KeyStats(columns, int(distinct) if distinct is not None else None,
                    float(share) if share is not None else None, top_values)


def _table_facts(raw: Any) -> TableFacts:
    name = str(_get(raw, "name", "table"))
    fks = [
        ForeignKey(_names(_get(fk, "columns", default=[])), str(_get(fk, "ref_table", "referenced_table", default="")),
                   _names(_get(fk, "ref_columns", "referenced_columns", default=[])))
        for fk in _list(_get(raw, "foreign_keys", default=[]))
    ]
    stats = [_key_stats(k) for k in _list(_get(raw, "key_stats", "candidate_keys", "key_skew", default=[]))]
    rows = _get(raw, "rows", "row_count", "table_rows")
    avg = _get(raw, "avg_row_bytes", "avg_row_length", "avg_row_size")
    return TableFacts(
        name=name,
        rows=int(rows) if rows is not None else None,
        columns=_names(_get(raw, "columns", default=[])),
        primary_key=_names(_get(raw, "primary_key", default=[])),
        foreign_keys=fks,
        avg_row_bytes=float(avg) if avg is not None else None,
        key_stats=stats,
        is_view="VIEW" in str(_get(raw, "table_type", "type", "kind", default="")).upper(),
    )


def schema_facts(schema: Any) -> SchemaFacts:
    """From a SchemaAnalysis(-like) model or dict, a Catalog, or SchemaFacts itself."""
    if isinstance(schema, SchemaFacts):
        return schema
    if schema is None:
        return SchemaFacts()
    stats = _get(schema, "stats")
    raw_tables = _get(schema, "tables", default=[])
    facts = SchemaFacts()
    if isinstance(raw_tables, dict) and stats is not None:  # tools/contract/catalog.py Catalog
        for name, columns in raw_tables.items():
            st = stats.get(name)
            facts.tables[name] = TableFacts(
                name=name, columns=list(columns), rows=getattr(st, "table_rows", None),
                avg_row_bytes=getattr(st, "avg_row_length", None),
                is_view="VIEW" in str(getattr(st, "table_type", "")).upper())
        return facts
    for raw in _list(raw_tables):
        table = _table_facts(raw)
        facts.tables[table.name] = table
    # Key skew may also live at the top level: [{table, columns, distinct, top_share}]
    for raw in _list(_get(schema, "key_stats", "key_skew", "candidate_keys", default=[])):
        table = facts.table(str(_get(raw, "table", default="")))
        if table is not None:
            table.key_stats.append(_key_stats(raw))
    return facts


Consistency = Literal["EVENTUAL", "STRONG"]
WRITE_WORDS = ("WRITE", "INSERT", "UPDATE", "DELETE", "PUT", "TRANSACT")


@dataclass
class PatternFacts:
    id: str
    description: str = ""
    rps_peak: float | None = None
    rps_average: float | None = None
    kind: Literal["read", "write"] = "read"
    operation: str = ""
    tables: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    consistency: Consistency = "EVENTUAL"
    latency_ms: float | None = None
    sql: list[str] = field(default_factory=list)  # example statements (fingerprints when no example)
    value_shares: dict[str, float] = field(default_factory=dict)  # key column -> traffic share of its top value

    @property
    def is_write(self) -> bool:
        return self.kind == "write"

    @property
    def priced(self) -> bool:
        return self.rps_peak is not None or self.rps_average is not None

    @property
    def peak(self) -> float:
        return float(self.rps_peak if self.rps_peak is not None else (self.rps_average or 0.0))

    @property
    def average(self) -> float:
        return float(self.rps_average if self.rps_average is not None else (self.rps_peak or 0.0))


def _sql_texts(raw: Any) -> list[str]:
    texts: list[str] = []
    for name in ("sql_example", "example", "sql", "fingerprint", "sql_fingerprint"):
        value = _get(raw, name)
        texts += [v for v in _list(value) if isinstance(v, str)]
    for stmt in _list(_get(raw, "statements", default=[])):
        text = stmt if isinstance(stmt, str) else _get(stmt, "example", "sql", "fingerprint")
        if isinstance(text, str):
            texts.append(text)
    return list(dict.fromkeys(texts))


def _value_shares(raw: Any) -> dict[str, float]:
    """Per key column, the share of the pattern's calls that hit its most frequent value."""
    out: dict[str, float] = {}
    data = _get(raw, "value_frequencies", "key_frequencies", "parameter_skew", default={})
    items = data.items() if isinstance(data, dict) else ((_get(d, "column", default=""), d) for d in _list(data))
    for column, value in items:
        if isinstance(value, (int, float)):
            out[str(column)] = float(value)
            continue
        share = _get(value, "top_share", "share")
        if share is None:
            freqs = [float(v) for v in (value.values() if isinstance(value, dict) else _list(value))
                     if isinstance(v, (int, float))]
            total = sum(freqs)
            share = max(freqs) / total if total else None
        if share is not None:
            out[str(column)] = float(share)
    return out


def pattern_facts(raw: Any) -> PatternFacts:
    if isinstance(raw, PatternFacts):
        return raw
    operation = str(_get(raw, "operation", "operation_type", "op", "type", default="") or "")
    operation = str(getattr(operation, "value", operation))
    kind_raw = str(_get(raw, "kind", default="") or "").lower()
    if kind_raw in ("read", "write"):
        kind = kind_raw
    else:
        kind = "write" if any(w in operation.upper() for w in WRITE_WORDS) else "read"
    consistency = str(_get(raw, "consistency", "consistency_requirement", default="EVENTUAL")).upper()
    consistency = "STRONG" if "STRONG" in consistency else "EVENTUAL"
    peak, avg = _get(raw, "rps_peak"), _get(raw, "rps_average", "rps_avg")
    latency = _get(raw, "latency_ms", "latency_target_ms", "latency_requirement", "latency_target")
    try:
        latency_ms = float(latency) if latency is not None else None
    except (TypeError, ValueError):
        latency_ms = None
    return PatternFacts(
        id=str(_get(raw, "id", "pattern_id")),
        description=str(_get(raw, "description", default="") or ""),
        rps_peak=float(peak) if peak is not None else None,
        rps_average=float(avg) if avg is not None else None,
        kind=kind,  # type: ignore[arg-type]
        operation=operation,
        tables=_names(_get(raw, "tables", "source_tables", "entities", default=[])),
        entities=_names(_get(raw, "entities", "entities_involved", default=[])),
        consistency=consistency,  # type: ignore[arg-type]
        latency_ms=latency_ms,
        sql=_sql_texts(raw),
        value_shares=_value_shares(raw),
    )


def patterns_facts(patterns: Iterable[Any] | None) -> list[PatternFacts]:
    if patterns is None:
        return []
    raw = _get(patterns, "patterns") if not isinstance(patterns, (list, tuple)) else None
    return [pattern_facts(p) for p in _list(raw if raw is not None else patterns)]


ALL_ROWS = "*"  # an INSERT/DELETE changes the table's row set (aggregates, conditional joins, collections)


def written_columns(pattern: PatternFacts) -> dict[str, set[str]]:
    """Per MySQL table, the columns a write pattern changes: UPDATE's SET columns; INSERT/DELETE
    change the row set (`*`). Without SQL, every table it names is assumed fully written."""
    out: dict[str, set[str]] = {}
    parsed_any = False
    for text in pattern.sql:
        try:
            statements = sqlglot.parse(re.sub(r"\?", "1", text), read="mysql")
        except sqlglot.errors.ParseError:
            continue
        for stmt in statements:
            if isinstance(stmt, exp.Update):
                parsed_any = True
                target = stmt.this.name if isinstance(stmt.this, exp.Table) else str(stmt.this)
                cols = {e.this.name for e in stmt.expressions if isinstance(e, exp.EQ) and isinstance(e.this, exp.Column)}
                out.setdefault(target, set()).update(cols or {ALL_ROWS})
            elif isinstance(stmt, (exp.Insert, exp.Delete)):
                parsed_any = True
                table_node = stmt.find(exp.Table)
                if table_node is not None:
                    out.setdefault(table_node.name, set()).add(ALL_ROWS)
    if not parsed_any and pattern.is_write:
        for t in pattern.tables:
            out.setdefault(t, set()).add(ALL_ROWS)
    return out
