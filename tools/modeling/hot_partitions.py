"""Hot partitions: for every partition key (table and GSI), the peak rate its busiest value
receives, against what one partition serves (3,000 read units/s, 1,000 write units/s).

The busiest value's share of a pattern's traffic comes, best first, from the pattern's own
per-value frequencies (when the registry carries them), from the measured skew of the key's
source column (share of rows held by the most frequent value; for rows written by the pattern
this IS the traffic share, for reads it is the proxy we have), from its distinct count
(uniform), or from the source table's row count when the column is its primary key."""

from __future__ import annotations

import math
from typing import Any, Iterable, Literal

from pydantic import BaseModel, Field

from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.modeling.cost import PatternUnits, operation_units
from mysql2ddb.tools.modeling.design import Design, KeyDef, Operation, TableDesign, template_fields
from mysql2ddb.tools.modeling.inputs import PatternFacts, SchemaFacts, patterns_facts, schema_facts
from mysql2ddb.tools.modeling.sizes import resolve_item_sizes

PARTITION_READ_UNITS = 3000
PARTITION_WRITE_UNITS = 1000
TARGET_UTILIZATION = 0.8  # shard so each shard stays under this share of a partition

Basis = Literal["traffic", "rows", "uniform", "unique", "unknown"]
Risk = Literal["hot", "watch", "ok", "unknown"]


class KeyLoad(BaseModel):
    table: str
    index: str | None = None
    key_attribute: str
    source_column: str | None = Field(None, description="MySQL column the key values come from")
    distinct: int | None = None
    top_share: float | None = Field(None, description="share of the traffic on the busiest value")
    basis: Basis = "unknown"
    read_units_peak: float = Field(0.0, description="read units/s on this key space at peak")
    write_units_peak: float = 0.0
    hottest_read_units: float | None = None
    hottest_write_units: float | None = None
    read_utilization: float | None = Field(None, description="busiest partition's reads / 3,000")
    write_utilization: float | None = Field(None, description="busiest partition's writes / 1,000")
    risk: Risk = "unknown"
    patterns: list[str] = Field(default_factory=list)
    advice: str | None = None

    @property
    def name(self) -> str:
        return f"{self.table}.{self.index}" if self.index else self.table


class HotPartitionReport(BaseModel):
    partition_read_units: int = PARTITION_READ_UNITS
    partition_write_units: int = PARTITION_WRITE_UNITS
    watch_fraction: float
    keys: list[KeyLoad] = Field(default_factory=list)

    @property
    def hot(self) -> list[KeyLoad]:
        return [k for k in self.keys if k.risk == "hot"]

    @property
    def at_risk(self) -> list[KeyLoad]:
        return [k for k in self.keys if k.risk in ("hot", "watch")]

    def summary(self) -> str:
        if not self.keys:
            return "No partition key receives traffic from the access patterns."
        risky = self.at_risk
        if not risky:
            return (f"No partition key's busiest value reaches {self.watch_fraction:.0%} of a partition's limits "
                    f"({self.partition_read_units:,} read / {self.partition_write_units:,} write units/s).")
        return "Partition keys at risk: " + "; ".join(f"{k.name} ({k.key_attribute}): {k.advice}" for k in risky)

    def tables(self) -> list[Table]:
        def pct(v: float | None) -> str:
            return "?" if v is None else f"{v:.1%}"

        rows = [[k.name, k.key_attribute, k.source_column or "", k.distinct if k.distinct is not None else "?",
                 pct(k.top_share), k.basis, round(k.read_units_peak, 1), round(k.write_units_peak, 1),
                 pct(k.read_utilization), pct(k.write_utilization), k.risk, k.advice or ""] for k in self.keys]
        return [Table("Hot partition analysis", ["table / index", "key", "source", "distinct", "busiest value",
                                                 "basis", "RU/s peak", "WU/s peak", "busiest reads / 3,000",
                                                 "busiest writes / 1,000", "risk", "advice"], rows)]


def key_source(table: TableDesign, key: KeyDef, entity_name: str | None = None) -> tuple[str, str] | None:
    """(MySQL table, column) whose values a key takes, or None when it is computed."""
    if key.source_column:
        src_table, _, column = key.source_column.rpartition(".")
        return (src_table or table.entities[0].source_table, column)
    entities = [e for e in table.entities if entity_name in (None, e.name)] or table.entities
    for entity in entities:
        template = entity.pk_template if key.attribute == table.partition_key.attribute else None
        names = template_fields(template or key.template) or [key.attribute]
        attr = entity.attribute(names[0])
        if attr is not None and attr.is_plain and len(attr.source_columns) == 1:
            return (attr.source_table, attr.source_columns[0])
        if attr is not None:
            return None
    return None


def _share(pattern: PatternFacts, source: tuple[str, str] | None,
           facts: SchemaFacts) -> tuple[float | None, int | None, Basis]:
    if source is None:
        return None, None, "unknown"
    table, column = source
    for name in (f"{table}.{column}", column):
        if name in pattern.value_shares:
            return pattern.value_shares[name], None, "traffic"
    tf = facts.table(table)
    if tf is None:
        return None, None, "unknown"
    stats = tf.stats_for(column)
    if stats is not None and stats.top_share is not None:
        return stats.top_share, stats.distinct, "rows"
    if stats is not None and stats.distinct:
        return 1.0 / stats.distinct, stats.distinct, "uniform"
    if tf.primary_key == [column] and tf.rows:
        return 1.0 / tf.rows, tf.rows, "unique"
    return None, None, "unknown"


def analyze_hot_partitions(design: Design, schema: Any, patterns: Iterable[Any],
                           item_sizes: dict[str, Any] | None = None, *, watch_fraction: float = 0.5,
                           shares: dict[str, float] | None = None) -> HotPartitionReport:
    """`shares`: optional override of the busiest value's traffic share per key ('Table' or
    'Table.Index'), e.g. from a what-if in the alternatives."""
    facts = schema_facts(schema)
    pats = patterns_facts(patterns)
    sizes = resolve_item_sizes(design.tables, facts, item_sizes)
    loads: dict[tuple[str, str | None], KeyLoad] = {}
    hottest: dict[tuple[str, str | None], list[float | None]] = {}
    for table in design.tables:
        for index, key in [(None, table.partition_key)] + [(g.name, g.partition_key) for g in table.gsis]:
            loads[(table.name, index)] = KeyLoad(table=table.name, index=index, key_attribute=key.attribute)
            hottest[(table.name, index)] = [0.0, 0.0]
    for p in pats:
        mapping = design.mapping(p.id)
        for op, transactional in (mapping.leaves() if mapping else []):
            units = PatternUnits()
            operation_units(op, transactional, design, sizes, units)
            _accumulate(design, op, p, units, facts, loads, hottest, shares or {})
    report = HotPartitionReport(watch_fraction=watch_fraction)
    for key, load in loads.items():
        if load.read_units_peak == 0 and load.write_units_peak == 0:
            continue
        hot_r, hot_w = hottest[key]
        load.hottest_read_units = hot_r
        load.hottest_write_units = hot_w
        if hot_r is not None and hot_w is not None:
            load.read_utilization = hot_r / PARTITION_READ_UNITS
            load.write_utilization = hot_w / PARTITION_WRITE_UNITS
            peak = max(load.read_utilization, load.write_utilization)
            load.risk = "hot" if peak > 1 else "watch" if peak >= watch_fraction else "ok"
        load.advice = _advice(load)
        report.keys.append(load)
    return report


def _accumulate(design: Design, op: Operation, p: PatternFacts, units: PatternUnits, facts: SchemaFacts,
                loads: dict, hottest: dict, shares: dict[str, float]) -> None:
    table = design.table(op.table or "")
    if table is None:
        return
    for kind, per_key in (("read", units.reads), ("write", units.writes)):
        for (tname, index), u in per_key.items():
            load = loads.get((tname, index))
            if load is None:
                continue
            key = table.partition_key if index is None else table.gsi(index).partition_key  # type: ignore[union-attr]
            source = key_source(table, key, op.entity)
            share, distinct, basis = _share(p, source, facts)
            override = shares.get(load.name)
            if override is not None:
                share, basis = override, "traffic"
            if op.type == "Scan":
                share = 1.0 / max(distinct or 1, 1) if share is not None else None
            load.source_column = load.source_column or (f"{source[0]}.{source[1]}" if source else None)
            if distinct is not None:
                load.distinct = distinct
            if share is not None and (load.top_share is None or share > load.top_share):
                load.top_share, load.basis = share, basis
            elif share is None and load.basis == "unknown":
                load.basis = basis
            rate = u * p.peak
            slot = 0 if kind == "read" else 1
            if kind == "read":
                load.read_units_peak += rate
            else:
                load.write_units_peak += rate
            current = hottest[(tname, index)][slot]
            hottest[(tname, index)][slot] = None if current is None or share is None else current + rate * share
            if p.id not in load.patterns:
                load.patterns.append(p.id)


def _advice(load: KeyLoad) -> str | None:
    if load.risk == "unknown":
        return "no skew measured for this key: measure its distribution before relying on it"
    parts = []
    if load.write_utilization is not None and load.write_utilization >= 1:
        shards = math.ceil((load.hottest_write_units or 0) / (PARTITION_WRITE_UNITS * TARGET_UTILIZATION))
        parts.append(f"write-shard the key: append #0..#{shards - 1} to {load.key_attribute} "
                     f"({shards} shards) and query every shard when reading")
    if load.read_utilization is not None and load.read_utilization >= 1:
        parts.append("cache the busiest items (DAX or an application cache), or copy them under "
                     f"{math.ceil((load.hottest_read_units or 0) / (PARTITION_READ_UNITS * TARGET_UTILIZATION))} "
                     "random-suffix keys")
    if not parts and load.risk == "watch":
        parts.append("within limits now, but the busiest value uses over half a partition: watch it as traffic grows")
    return "; ".join(parts) or None
