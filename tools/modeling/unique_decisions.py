"""Every UNIQUE key of a mapped MySQL table, with the design's decision and its cost: kept by the
table's own key (`table_key`), by a guard item written in the same transaction (`guard_item`), or
knowingly not kept (`not_enforced`, a warning). Unique keys the design never mentions are listed
too: kept by the key when it lies within them, otherwise `not_enforced` with a warning asking for a
decision. A primary key the design does not key by (a junction keyed by its pair) is listed as well.

The guard's cost: one guard write per INSERT or DELETE of the row and two per UPDATE of a unique
column (delete the old value's guard, put the new one), each a transactional write (2 WCU per KB),
plus the guard items' storage."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from mysql2ddb.tools.analysis.schema_model import SchemaAnalysis
from mysql2ddb.tools.core.pricing import Prices, load_prices
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.modeling.design import Design, EnforcedBy, EntityDesign, TableDesign, UniqueConstraint
from mysql2ddb.tools.modeling.design_checks import Issue
from mysql2ddb.tools.modeling.inputs import PatternFacts
from mysql2ddb.tools.modeling.unique_keys import (
    GUARD_SK, data_entity, guard_entities, guard_of, guard_writes_needed, kept_by_key, mapped_guard_writes,
    same_columns,
)

GUARD_BASE_BYTES = 100  # PK, SK and the owner's key, before the unique values
GIB = 1024**3


class UniqueCost(BaseModel):
    write_units_per_guard_write: float = Field(0.0, description="WCU of one guard write (transactional: x2)")
    guard_writes_per_call: dict[str, float] = Field(default_factory=dict, description="pattern -> guard writes")
    guard_writes_per_second: float = Field(0.0, description="average, over the priced patterns")
    guard_items: int | None = Field(None, description="guard items stored (one per row)")
    monthly_usd: float = Field(0.0, description="on-demand guard writes plus guard storage")


class UniqueDecision(BaseModel):
    table: str = Field(description="the MySQL table")
    key: str = Field(description="its name in MySQL (PRIMARY, the unique index), or '(design)'")
    columns: list[str]
    enforced_by: EnforcedBy
    declared: bool = Field(description="false: the design does not mention it (the decision is the default)")
    design_table: str | None = None
    guard_table: str | None = None
    guard_entity: str | None = None
    guard_key: str | None = Field(None, description="the guard item's key: pk template / sk")
    justification: str | None = None
    cost: UniqueCost = Field(default_factory=UniqueCost)
    warning: str | None = None
    problems: list[str] = Field(default_factory=list)

    @property
    def subject(self) -> str:
        return f"{self.table} ({', '.join(self.columns)})"


@dataclass
class SourceUnique:
    table: str
    key: str
    columns: list[str]
    nulls: int | None  # rows with a NULL in a key column (0 when NOT NULL), None unknown
    rows: int | None


def _analysis(schema: Any) -> SchemaAnalysis | None:
    if isinstance(schema, SchemaAnalysis):
        return schema
    if isinstance(schema, dict) and isinstance(schema.get("tables"), list):
        try:
            return SchemaAnalysis.model_validate(schema)
        except ValueError:
            return None
    return None


def schema_uniques(schema: Any) -> list[SourceUnique]:
    """UNIQUE keys (and primary keys, marked PRIMARY) of the analysed tables; [] without an analysis."""
    analysis = _analysis(schema)
    if analysis is None:
        return []
    stats = {(k.table.lower(), tuple(c.lower() for c in k.columns)): k for k in analysis.key_stats}
    out = []
    for info in analysis.tables:
        keys = ([("PRIMARY", info.primary_key)] if info.primary_key else []) + [(u.name, u.columns) for u in info.unique_keys]
        for name, columns in keys:
            nullable = any((c := info.column(n)) is None or c.nullable for n in columns)
            known = stats.get((info.name.lower(), tuple(c.lower() for c in columns)))
            nulls = 0 if not nullable else (known.nulls if known is not None and not known.estimated else None)
            out.append(SourceUnique(info.name, name, list(columns), nulls, info.rows))
    return out


def _mapped(design: Design, source_table: str) -> tuple[int, TableDesign, EntityDesign] | None:
    guards = guard_entities(design)
    for i, table in enumerate(design.tables):
        for entity in table.entities:
            if entity.source_table.lower() == source_table.lower() and (table.name, entity.name) not in guards:
                return i, table, entity
    return None


def _declared(table: TableDesign, entity: EntityDesign, columns: list[str]) -> tuple[int, UniqueConstraint] | None:
    for j, c in enumerate(table.unique_constraints):
        if same_columns(c.columns, columns) and data_entity(table, c) is entity:
            return j, c
    return None


def _price(decision: UniqueDecision, design: Design, patterns: list[PatternFacts], guard: tuple[str, str],
           source: str, rows: int | None, prices: Prices) -> None:
    guard_table = design.table(guard[0])
    entity = next((e for e in guard_table.entities if e.name == guard[1]), None) if guard_table else None
    size = GUARD_BASE_BYTES + 40 * len(entity.attributes if entity else decision.columns)
    units = math.ceil(size / 1024) * 2.0
    cost = decision.cost
    cost.write_units_per_guard_write, cost.guard_items = units, rows
    for p in patterns:
        needed = guard_writes_needed(p, source, decision.columns) if p.is_write else 0
        mapped, transactional = mapped_guard_writes(design, p.id, guard)
        if needed and not mapped:
            decision.problems.append(f"{p.id} writes {source} but its mapping writes no {guard[1]} guard item: add a "
                                     f"PutItem on {guard[0]} (entity {guard[1]}) with attribute_not_exists(PK) to its "
                                     "TransactWriteItems (priced here as if it did)")
        elif mapped and not transactional:
            decision.problems.append(f"{p.id} writes the {guard[1]} guard outside a transaction: the row and its "
                                     "guard must succeed or fail together (TransactWriteItems)")
        writes = mapped or needed
        if writes:
            cost.guard_writes_per_call[p.id] = writes
            cost.guard_writes_per_second += writes * p.average
    seconds = prices.hours_per_month * 3600
    requests = cost.guard_writes_per_second * units * seconds / 1e6 * prices.on_demand.write_request_unit_per_million
    storage = (rows or 0) * (size + prices.item_overhead_bytes) / GIB * prices.storage_gb_month
    cost.guard_writes_per_second = round(cost.guard_writes_per_second, 6)
    cost.monthly_usd = round(requests + storage, 4)


def _decide(design: Design, u: SourceUnique, where: tuple[int, TableDesign, EntityDesign],
            patterns: list[PatternFacts], prices: Prices, issues: list[Issue]) -> UniqueDecision:
    i, table, entity = where
    found = _declared(table, entity, u.columns)
    by_key = kept_by_key(table, entity, u.columns)
    d = UniqueDecision(table=u.table, key=u.key, columns=list(u.columns), design_table=table.name,
                       enforced_by="table_key" if by_key else "not_enforced", declared=found is not None)
    if found is None:
        if not by_key:
            d.warning = (f"the design does not say how {d.subject} stays unique, so nothing keeps it: declare it in "
                         f"tables[{i}].unique_constraints as guard_item (a guard item per value, "
                         f"{2:g} WCU more per insert) or not_enforced with a justification")
        return d
    j, constraint = found
    d.enforced_by, d.justification = constraint.enforced_by, constraint.justification
    path = f"/tables/{i}/unique_constraints/{j}"
    if constraint.enforced_by == "table_key" and not by_key:
        d.problems.append(f"declared table_key, but the item key of {table.name} is not made of "
                          f"{', '.join(u.columns)} (or fewer of them)")
        issues.append(Issue(path=f"{path}/enforced_by", message=f"{d.subject}: {d.problems[-1]}",
                            remedy="key the table by those columns, or keep it with a guard_item"))
    elif constraint.enforced_by == "not_enforced":
        d.warning = f"{d.subject} is not kept unique in DynamoDB" + (
            f": {constraint.justification}" if constraint.justification else ": say why (justification)")
    elif constraint.enforced_by == "guard_item":
        guard = guard_of(table, constraint)
        assert guard is not None
        gt = design.table(guard[0])
        gentity = next((e for e in gt.entities if e.name == guard[1]), None) if gt else None
        d.guard_table, d.guard_entity = guard
        if gentity is None or gt is None or not gt.is_multi_entity:
            d.problems.append(f"no guard entity {guard[1]} in a multi-entity table {guard[0]}")
            issues.append(Issue(path=f"{path}/guard_table", message=f"{d.subject}: {d.problems[-1]}",
                                remedy="leave guard_table/guard_entity out (the guard table is built), or name a "
                                       "multi-entity table with PK/SK keys"))
            return d
        d.guard_key = f"{gentity.pk_template} / {gentity.sk_template or GUARD_SK}"
        if u.nulls:
            d.problems.append(f"{u.nulls} row(s) hold NULL in {', '.join(u.columns)}: their guard items have no key "
                              "and the copy rejects them (MySQL lets NULLs repeat)")
        _price(d, design, patterns, guard, entity.source_table, u.rows, prices)
    return d


def unique_decisions(design: Design, schema: Any, patterns: list[PatternFacts],
                     prices: Prices | None = None) -> tuple[list[UniqueDecision], list[Issue]]:
    """Decisions for `design` with its guards completed (unique_keys.complete_guards)."""
    prices = prices or load_prices()
    issues: list[Issue] = []
    out: list[UniqueDecision] = []
    for u in schema_uniques(schema):
        where = _mapped(design, u.table)
        if where is None:
            continue  # not mapped as items: dropped, or embedded in a parent
        if u.key == "PRIMARY" and kept_by_key(where[1], where[2], u.columns) and _declared(where[1], where[2], u.columns) is None:
            continue  # the usual case: keyed by the primary key
        out.append(_decide(design, u, where, patterns, prices, issues))
    listed = {(d.design_table, tuple(sorted(c.lower() for c in d.columns))) for d in out}
    for i, table in enumerate(design.tables):
        for constraint in table.unique_constraints:  # the design's own (no UNIQUE index in MySQL)
            entity = data_entity(table, constraint)
            if entity is None:
                issues.append(Issue(path=f"/tables/{i}/unique_constraints", message=f"no entity of {table.name} "
                                    f"reads {constraint.source_table}", remedy="name a source_table of the table's entities"))
                continue
            if (table.name, tuple(sorted(c.lower() for c in constraint.columns))) in listed:
                continue
            out.append(_decide(design, SourceUnique(entity.source_table, "(design)", constraint.columns, None, None),
                               (i, table, entity), patterns, prices, issues))
    return out, issues


# ---- rendering ------------------------------------------------------------------------------


def _row(u: UniqueDecision) -> list[Any]:
    how = {"table_key": f"the key of {u.design_table}", "guard_item": f"guard {u.guard_key} in {u.guard_table}",
           "not_enforced": "NOT enforced"}[u.enforced_by]
    cost = (f"{u.cost.write_units_per_guard_write:g} WCU x {u.cost.guard_writes_per_second:g}/s, "
            f"${u.cost.monthly_usd:,.2f}/month" if u.enforced_by == "guard_item" else "")
    return [u.table, ", ".join(u.columns), how, "yes" if u.declared else "default", cost,
            "; ".join(([u.warning] if u.warning else []) + u.problems)]


def unique_summary(decisions: list[UniqueDecision]) -> list[str]:
    if not decisions:
        return []
    loose = [u for u in decisions if u.enforced_by == "not_enforced"]
    guarded = [u for u in decisions if u.enforced_by == "guard_item"]
    text = (f"{len(decisions)} unique key(s): {sum(u.enforced_by == 'table_key' for u in decisions)} kept by the "
            f"table key, {len(guarded)} by guard items"
            + (f" (${sum(u.cost.monthly_usd for u in guarded):,.2f}/month)" if guarded else "")
            + f", {len(loose)} not enforced")
    if loose:
        text += ": " + "; ".join(u.warning or u.subject for u in loose)
    return [text + "."]


def unique_tables(decisions: list[UniqueDecision]) -> list[Table]:
    if not decisions:
        return []
    return [Table("Unique constraints", ["table", "columns", "kept by", "declared", "cost", "warning"],
                  [_row(u) for u in decisions])]


def unique_rows(decisions: list[UniqueDecision]) -> list[dict[str, str]]:
    """The data model document's 'Unique constraints' rows, formatted."""
    kept = {"table_key": "the table key", "guard_item": "a guard item", "not_enforced": "**not enforced**"}
    return [{"table": u.table, "columns": ", ".join(u.columns), "kept": kept[u.enforced_by],
             "where": (u.design_table or "") + (f" -> {u.guard_table}" if u.guard_table else ""),
             "guard": f"`{u.guard_key}`" if u.guard_key else "",
             "writes": ", ".join(f"{p} x{n:g}" for p, n in u.cost.guard_writes_per_call.items()),
             "cost": (f"{u.cost.write_units_per_guard_write:g} WCU per write; "
                      + ("<$0.01" if 0 < u.cost.monthly_usd < 0.005 else f"${u.cost.monthly_usd:,.2f}") + "/month")
             if u.enforced_by == "guard_item" else "",
             "why": "; ".join([x for x in ([u.warning] if u.warning else [u.justification or ""]) + u.problems if x]),
             "declared": "" if u.declared else " (default)"} for u in decisions]
