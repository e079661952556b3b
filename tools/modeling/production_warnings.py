"""The five production warnings of the design notes, each raised only when its condition holds
in THIS design and workload, with the reason spelled out:

1. GSI throttling cascade: a GSI that writes reach, on a write-heavy table (peak writes >= peak
   reads) or with projection ALL (every attribute change writes the index).
2. Hot partition risk: a partition key whose busiest value takes at least `watch_fraction` of a
   partition's read or write limit (from the hot-partition analysis).
3. Entity boundary violation: a table mixing entities whose MySQL tables are not connected by
   foreign keys among themselves (unrelated clusters, often different services/teams).
4. Schema evolution trap: a denormalized copy (join/aggregate/embedded list) of data some write
   pattern changes: every change must now also rewrite the copies.
5. Debugging complexity: templated/composite keys together with heavy denormalization
   (at least `heavy_denormalization` copied attributes) in one table.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from mysql2ddb.tools.modeling.cost import gsi_writes
from mysql2ddb.tools.modeling.design import (
    READ_OPERATIONS, WRITE_OPERATIONS, Design, TableDesign, attribute_sources, template_fields,
)
from mysql2ddb.tools.modeling.hot_partitions import HotPartitionReport
from mysql2ddb.tools.modeling.inputs import ALL_ROWS, PatternFacts, SchemaFacts, written_columns

WarningKind = Literal["gsi_throttling_cascade", "hot_partition_risk", "entity_boundary_violation",
                      "schema_evolution_trap", "debugging_complexity"]
TITLES: dict[str, str] = {
    "gsi_throttling_cascade": "GSI throttling will affect the entire base table",
    "hot_partition_risk": "This access pattern may create hot partitions",
    "entity_boundary_violation": "Mixing data from different services/teams",
    "schema_evolution_trap": "This denormalization will complicate future schema changes",
    "debugging_complexity": "Composite keys and denormalized data will increase debugging difficulty",
}
ROW_SET_JOINS = {"json-construction", "conditional"}  # values change when target rows come and go


class ProductionWarning(BaseModel):
    kind: WarningKind
    title: str
    subject: str
    reason: str


def _warn(kind: WarningKind, subject: str, reason: str) -> ProductionWarning:
    return ProductionWarning(kind=kind, title=TITLES[kind], subject=subject, reason=reason)


def request_rates(design: Design, patterns: list[PatternFacts]) -> dict[str, dict[str, float]]:
    """Per design table, peak requests/s of reads and writes (and writes reaching each GSI)."""
    rates: dict[str, dict[str, float]] = {t.name: {"read": 0.0, "write": 0.0} for t in design.tables}
    for p in patterns:
        mapping = design.mapping(p.id)
        for op, _ in (mapping.leaves() if mapping else []):
            table = design.table(op.table or "")
            if table is None:
                continue
            rate = p.peak * op.items
            if op.type in READ_OPERATIONS:
                rates[table.name]["read"] += rate
            elif op.type in WRITE_OPERATIONS:
                rates[table.name]["write"] += rate
                for gsi in table.gsis:
                    n = gsi_writes(op, table, gsi)
                    if n:
                        rates[table.name][f"gsi:{gsi.name}"] = rates[table.name].get(f"gsi:{gsi.name}", 0.0) + rate * n
    return rates


def gsi_cascade(design: Design, rates: dict[str, dict[str, float]]) -> list[ProductionWarning]:
    out = []
    for table in design.tables:
        r = rates[table.name]
        for gsi in table.gsis:
            gsi_writes = r.get(f"gsi:{gsi.name}", 0.0)
            if gsi_writes <= 0:
                continue
            write_heavy = r["write"] >= r["read"]
            if not (write_heavy or gsi.projection == "ALL"):
                continue
            why = (f"{table.name} takes {r['write']:g} writes/s against {r['read']:g} reads/s at peak"
                   if write_heavy else f"{gsi.name} projects ALL, so every attribute change writes the index")
            out.append(_warn("gsi_throttling_cascade", f"{table.name}.{gsi.name}",
                             f"{why}; {gsi_writes:g} index writes/s reach {gsi.name}. When the index cannot keep "
                             f"up it throttles writes to the whole base table: give it capacity (or on-demand) "
                             f"at least matching the base table, and project only what its queries read."))
    return out


def hot_partition_risks(report: HotPartitionReport) -> list[ProductionWarning]:
    out = []
    for k in report.at_risk:
        busiest = max(k.read_utilization or 0, k.write_utilization or 0)
        out.append(_warn("hot_partition_risk", f"{k.name} ({k.key_attribute})",
                         f"the busiest {k.key_attribute} value takes {k.top_share:.1%} of the traffic "
                         f"({k.basis}), i.e. {busiest:.0%} of one partition's limit at peak "
                         f"(patterns {', '.join(k.patterns)}): {k.advice}"))
    return out


def entity_boundaries(design: Design, schema: SchemaFacts) -> list[ProductionWarning]:
    out = []
    for table in design.tables:
        sources = list(dict.fromkeys(e.source_table for e in table.entities))
        if len(sources) < 2 or not any(t.foreign_keys for t in schema.tables.values()):
            continue
        groups = _components(sources, schema)
        if len(groups) > 1:
            listed = " | ".join(", ".join(g) for g in groups)
            out.append(_warn("entity_boundary_violation", table.name,
                             f"its entities come from MySQL tables with no foreign key between the groups "
                             f"({listed}); unrelated data usually belongs to different owners and evolves "
                             f"separately: give each group its own table"))
    return out


def _components(names: list[str], schema: SchemaFacts) -> list[list[str]]:
    groups: list[list[str]] = []
    for name in names:
        linked = [g for g in groups if any(schema.related(name, other) for other in g)]
        merged = [name] + [n for g in linked for n in g]
        groups = [g for g in groups if g not in linked] + [merged]
    return [sorted(g) for g in groups]


def schema_evolution(design: Design, patterns: list[PatternFacts], frequent_rps: float) -> list[ProductionWarning]:
    changed: dict[str, dict[str, list[str]]] = {}  # mysql table -> column or '*' -> pattern ids
    for p in patterns:
        if not p.is_write or (p.priced and p.average < frequent_rps):
            continue
        for t, columns in written_columns(p).items():
            for c in columns:
                changed.setdefault(t.lower(), {}).setdefault(c.lower(), []).append(p.id)
    out = []
    for table in design.tables:
        for entity in table.entities:
            for attr in entity.attributes:
                if attr.is_plain and attr.transformation is None:
                    continue
                hits: list[str] = []
                row_set = (attr.join is not None and attr.join.type in ROW_SET_JOINS) or \
                    (attr.calculation is not None and attr.calculation.type == "aggregate")
                for src_table, column in attribute_sources(attr):
                    if src_table.lower() == entity.source_table.lower():
                        continue
                    cols = changed.get(src_table.lower(), {})
                    hits += [f"{i} ({src_table}.{column})" for i in cols.get(column.lower(), [])]
                    hits += [f"{i} (inserts/deletes {src_table} rows)" for i in cols.get(ALL_ROWS, []) if row_set]
                if hits:
                    decision = next((d for d in design.denormalizations if d.table == table.name
                                     and attr.name in d.attributes), None)
                    kept = f" It is kept current by: {decision.update_strategy}." if decision and \
                        decision.update_strategy else " No update strategy is recorded."
                    out.append(_warn("schema_evolution_trap", f"{table.name}.{attr.name}",
                                     f"{entity.name}.{attr.name} copies data that write patterns change: "
                                     f"{', '.join(dict.fromkeys(hits))}. Every change, and any later change to "
                                     f"that source's shape, must also rewrite the copies.{kept}"))
    return out


def debugging_complexity(design: Design, heavy: int) -> list[ProductionWarning]:
    out = []
    for table in design.tables:
        templates = [t for e in table.entities for t in (e.pk_template, e.sk_template) if t]
        templates += [k.template for k in (table.partition_key, table.sort_key) if k and k.template]
        composite = [t for t in templates if len(template_fields(t)) >= 2 or (template_fields(t) and "#" in t)]
        copied = sorted({a.name for e in table.entities for a in e.attributes
                         if not a.is_plain and any(s.lower() != e.source_table.lower()
                                                   for s, _ in attribute_sources(a))})
        if composite and len(copied) >= heavy:
            out.append(_warn("debugging_complexity", table.name,
                             f"keys are built from templates ({', '.join(dict.fromkeys(composite))}) and "
                             f"{len(copied)} attributes are copies of other tables ({', '.join(copied)}): an item "
                             f"no longer shows which rows it came from; keep the source ids on the item and "
                             f"document the templates"))
    return out


def production_warnings(design: Design, schema: SchemaFacts, patterns: list[PatternFacts],
                        hot: HotPartitionReport, *, frequent_rps: float = 0.0,
                        heavy_denormalization: int = 3) -> list[ProductionWarning]:
    rates = request_rates(design, patterns)
    return (gsi_cascade(design, rates) + hot_partition_risks(hot) + entity_boundaries(design, schema)
            + schema_evolution(design, patterns, frequent_rps) + debugging_complexity(design, heavy_denormalization))


def mixed_key_tables(design: Design) -> list[TableDesign]:
    """Multi-entity tables whose entities do NOT share the partition-key placeholders (not one
    item collection per key, so not the 'related data together' exception to multi-table)."""
    out = []
    for table in design.tables:
        if not table.is_multi_entity:
            continue
        shapes = {tuple(template_fields(e.pk_template)) for e in table.entities}
        if len(shapes) > 1:
            out.append(table)
    return out
