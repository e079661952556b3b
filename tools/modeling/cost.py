"""Monthly cost of a design, per table and per GSI, on demand and provisioned, from the patterns'
request rates and the item sizes.

Capacity units (DynamoDB rules): a read is 1 unit per started 4 KB (GetItem/BatchGetItem/ConditionCheck round
per item, Query/Scan round the summed size of the items read), eventual reads cost half, and
transactional requests double; a write is 1 unit per started 1 KB of the item (times the items an
operation touches: a loop's measured average repetitions). A write that
reaches a GSI also writes the index's projected copy (its own units, rounded per KB), twice when
the update changes the index key. Storage bills each item plus 100 bytes of overhead, for the
table and each GSI. Guard items of UNIQUE keys are priced like any write (transactional), also
when a mapping leaves them out. On-demand uses the average request rate; provisioned capacity is sized for
the peak at a target utilization."""

from __future__ import annotations

import math
from typing import Any, Iterable

from pydantic import BaseModel, Field

from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.modeling.design import Design, GsiDesign, Operation, TableDesign, expression_attributes
from mysql2ddb.tools.modeling.inputs import PatternFacts, SchemaFacts, patterns_facts, schema_facts
from mysql2ddb.tools.modeling.sizes import ItemSize, projected_bytes, resolve_item_sizes
from mysql2ddb.tools.modeling.unique_keys import complete_guards, implied_guard_writes
from mysql2ddb.tools.core.pricing import Prices, load_prices

READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024
GIB = 1024**3


# ---- unit arithmetic (property-tested) ----------------------------------------------------


def read_units(size_bytes: float, *, consistent: bool = False, transactional: bool = False) -> float:
    """Units to read ONE item: 1 per started 4 KB (at least 1), x0.5 eventual, x2 transactional."""
    units = max(1, math.ceil(size_bytes / READ_UNIT_BYTES))
    return units * (1.0 if consistent else 0.5) * (2 if transactional else 1)


def query_read_units(items: float, avg_bytes: float, *, consistent: bool = False) -> float:
    """A Query/Scan page: the summed size of the items read, rounded up to 4 KB once."""
    units = max(1, math.ceil(max(items, 0) * avg_bytes / READ_UNIT_BYTES))
    return units * (1.0 if consistent else 0.5)


def write_units(size_bytes: float, *, transactional: bool = False) -> float:
    """Units to write ONE item: 1 per started 1 KB (at least 1), x2 transactional."""
    return max(1, math.ceil(size_bytes / WRITE_UNIT_BYTES)) * (2 if transactional else 1)


# ---- report --------------------------------------------------------------------------------


class CapacityCost(BaseModel):
    table: str
    index: str | None = Field(None, description="GSI name; None for the base table")
    projection: str | None = None
    items: int | None = None
    item_bytes: float
    size_source: str
    read_units_avg: float = 0.0
    read_units_peak: float = 0.0
    write_units_avg: float = 0.0
    write_units_peak: float = 0.0
    on_demand_read_usd: float = 0.0
    on_demand_write_usd: float = 0.0
    provisioned_rcu: int = 0
    provisioned_wcu: int = 0
    provisioned_usd: float = 0.0
    storage_gb: float = 0.0
    storage_usd: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.table}.{self.index}" if self.index else self.table

    @property
    def on_demand_usd(self) -> float:
        return self.on_demand_read_usd + self.on_demand_write_usd


class PatternCost(BaseModel):
    pattern_id: str
    priced: bool = Field(description="false when the pattern has no known request rate")
    rps_average: float = 0.0
    rps_peak: float = 0.0
    read_units_per_call: float = 0.0
    write_units_per_call: float = 0.0
    gsi_write_units_per_call: float = 0.0
    on_demand_usd: float = 0.0
    steps: list[str] = Field(default_factory=list)


class CostReport(BaseModel):
    prices_source: str
    region: str
    price_date: str
    currency: str = "USD"
    target_utilization: float
    capacity: list[CapacityCost] = Field(default_factory=list)
    patterns: list[PatternCost] = Field(default_factory=list)
    on_demand_usd: float = Field(0.0, description="monthly requests on demand, plus storage")
    provisioned_usd: float = Field(0.0, description="monthly provisioned capacity for the peak, plus storage")
    storage_usd: float = 0.0
    unpriced_patterns: list[str] = Field(default_factory=list)
    unmeasured_tables: list[str] = Field(default_factory=list, description="item sizes estimated, not measured")
    assumptions: list[str] = Field(default_factory=list)

    @property
    def cheaper_mode(self) -> str:
        return "on-demand" if self.on_demand_usd <= self.provisioned_usd else "provisioned"

    def for_table(self, table: str) -> list[CapacityCost]:
        return [c for c in self.capacity if c.table == table]

    def table_usd(self, table: str, mode: str = "on-demand") -> float:
        rows = self.for_table(table)
        if mode == "provisioned":
            return sum(r.provisioned_usd + r.storage_usd for r in rows)
        return sum(r.on_demand_usd + r.storage_usd for r in rows)

    def summary(self) -> str:
        text = (f"Monthly cost: {_usd(self.on_demand_usd)} on demand, {_usd(self.provisioned_usd)} provisioned "
                f"at {self.target_utilization:.0%} target utilization (storage {_usd(self.storage_usd)} included); "
                f"{self.cheaper_mode} is cheaper. Prices: {self.prices_source}, {self.region}, {self.price_date}.")
        if self.unpriced_patterns:
            text += " Not priced (no request rate): " + ", ".join(self.unpriced_patterns) + "."
        if self.unmeasured_tables:
            text += " Item sizes estimated, not measured, for: " + ", ".join(self.unmeasured_tables) + "."
        return text

    def tables(self) -> list[Table]:
        cap = [[c.name, c.items if c.items is not None else "?", round(c.item_bytes), c.size_source,
                round(c.read_units_avg, 2), round(c.write_units_avg, 2), _usd(c.on_demand_usd),
                f"{c.provisioned_rcu}/{c.provisioned_wcu}", _usd(c.provisioned_usd), _usd(c.storage_usd)]
               for c in self.capacity]
        pats = [[p.pattern_id, p.rps_average if p.priced else "unknown", p.rps_peak if p.priced else "unknown",
                 round(p.read_units_per_call, 2), round(p.write_units_per_call, 2),
                 round(p.gsi_write_units_per_call, 2), _usd(p.on_demand_usd)] for p in self.patterns]
        return [
            Table("Capacity and monthly cost", ["table / index", "items", "avg bytes", "size", "RU/s avg",
                                                "WU/s avg", "on demand", "RCU/WCU prov.", "provisioned",
                                                "storage"], cap),
            Table("Cost per access pattern", ["pattern", "rps avg", "rps peak", "read units/call",
                                              "write units/call", "GSI write units/call", "on demand/month"], pats),
        ]


def _usd(value: float) -> str:
    return "<$0.01" if 0 < value < 0.005 else f"${value:,.2f}"


# ---- per-operation units --------------------------------------------------------------------


class PatternUnits:
    """Units one call of a pattern consumes, per (table, index)."""

    def __init__(self) -> None:
        self.reads: dict[tuple[str, str | None], float] = {}
        self.writes: dict[tuple[str, str | None], float] = {}
        self.steps: list[str] = []

    def add(self, kind: str, table: str, index: str | None, units: float) -> None:
        target = self.reads if kind == "read" else self.writes
        target[(table, index)] = target.get((table, index), 0.0) + units


def gsi_writes(op: Operation, table: TableDesign, gsi: GsiDesign) -> int:
    """How many index writes one base-table write causes (0, 1, or 2 when the index key moves)."""
    if op.entity:
        entity = next((e for e in table.entities if e.name == op.entity), None)
        if entity is not None and entity.attribute(gsi.partition_key.attribute) is None:
            return 0  # sparse index: this entity's items never carry its key
    if op.type in ("PutItem", "DeleteItem"):
        return 1
    if op.type != "UpdateItem":
        return 0
    if not op.update:
        return 1  # unknown update expression: assume it reaches the index
    touched = set(expression_attributes(op.update))
    keys = {gsi.partition_key.attribute} | ({gsi.sort_key.attribute} if gsi.sort_key else set())
    if touched & keys:
        return 2
    if gsi.projection == "ALL" or touched & set(gsi.projected_attributes):
        return 1
    return 0


def operation_units(op: Operation, transactional: bool, design: Design, sizes: dict[str, ItemSize],
                    units: PatternUnits) -> None:
    table = design.table(op.table or "")
    if table is None:
        return
    size = sizes[table.name]
    gsi = table.gsi(op.index) if op.index else None
    item_bytes = projected_bytes(table, gsi, size) if gsi else size.avg_bytes
    # Transactional reads are serializable: charged as two strongly consistent reads.
    consistent = (op.consistent_read or transactional) and gsi is None
    where = f"{op.type} {table.name}" + (f".{gsi.name}" if gsi else "")
    if op.type in ("GetItem", "BatchGetItem", "TransactGetItems"):
        u = op.items * read_units(item_bytes, consistent=consistent, transactional=transactional)
        units.add("read", table.name, None, u)
    elif op.type == "Query":
        u = query_read_units(op.items, item_bytes, consistent=consistent)
        units.add("read", table.name, op.index, u)
    elif op.type == "Scan":
        items = op.limit or size.items or op.items
        u = query_read_units(items, item_bytes, consistent=consistent)
        units.add("read", table.name, op.index, u)
    elif op.type == "ConditionCheck":
        # The check reads the item (strongly, doubled inside a transaction); it writes nothing.
        u = op.items * read_units(size.avg_bytes, consistent=True, transactional=transactional)
        units.add("read", table.name, None, u)
    else:  # PutItem, UpdateItem, DeleteItem, BatchWriteItem
        u = op.items * write_units(size.avg_bytes, transactional=transactional)
        units.add("write", table.name, None, u)
        for index in table.gsis:
            n = gsi_writes(op, table, index)
            if n:
                g = op.items * n * write_units(projected_bytes(table, index, size))
                units.add("write", table.name, index.name, g)
                where += f" + {index.name} {g:g}"
    repeated = f" for {op.items:g} items" if op.items != 1 and op.type not in ("Query", "Scan") else ""
    units.steps.append(f"{where}: {u:g} units{repeated}" + (" (transactional)" if transactional else ""))


def pattern_units(design: Design, pattern_id: str, sizes: dict[str, ItemSize]) -> PatternUnits:
    units = PatternUnits()
    mapping = design.mapping(pattern_id)
    for op, transactional in (mapping.leaves() if mapping else []):
        operation_units(op, transactional, design, sizes, units)
    return units


# ---- the estimate ---------------------------------------------------------------------------


def estimate_cost(design: Design, patterns: Iterable[Any], schema: Any = None,
                  item_sizes: dict[str, Any] | None = None, prices: Prices | None = None,
                  target_utilization: float = 0.7) -> CostReport:
    prices = prices or load_prices()
    facts: SchemaFacts = schema_facts(schema)
    pats: list[PatternFacts] = patterns_facts(patterns)
    design = complete_guards(design)  # the guard tables of guard_item unique constraints are priced too
    sizes = resolve_item_sizes(design.tables, facts, item_sizes)
    seconds = prices.hours_per_month * 3600
    report = CostReport(prices_source=prices.source, region=prices.region, price_date=prices.date,
                        currency=prices.currency, target_utilization=target_utilization)
    rows: dict[tuple[str, str | None], CapacityCost] = {}
    for table in design.tables:
        size = sizes[table.name]
        rows[(table.name, None)] = CapacityCost(table=table.name, items=size.items, item_bytes=size.avg_bytes,
                                                size_source=size.source)
        for gsi in table.gsis:
            rows[(table.name, gsi.name)] = CapacityCost(
                table=table.name, index=gsi.name, projection=gsi.projection, items=_gsi_items(table, gsi, facts, size),
                item_bytes=round(projected_bytes(table, gsi, size), 1), size_source=size.source)
    for p in pats:
        units = pattern_units(design, p.id, sizes)
        for guard_table, guard, writes in implied_guard_writes(design, p):
            u = writes * write_units(sizes[guard_table].avg_bytes, transactional=True)
            units.add("write", guard_table, None, u)
            units.steps.append(f"PutItem/DeleteItem {guard_table} ({guard} guard, which the mapping leaves out): "
                               f"{u:g} units (transactional)")
        gsi_w = sum(u for (t, i), u in units.writes.items() if i is not None)
        cost = PatternCost(pattern_id=p.id, priced=p.priced, rps_average=p.average, rps_peak=p.peak,
                           read_units_per_call=sum(units.reads.values()),
                           write_units_per_call=sum(units.writes.values()) - gsi_w,
                           gsi_write_units_per_call=gsi_w, steps=units.steps)
        if not p.priced:
            report.unpriced_patterns.append(p.id)
        for kind, per_call in (("read", units.reads), ("write", units.writes)):
            price = (prices.on_demand.read_request_unit_per_million if kind == "read"
                     else prices.on_demand.write_request_unit_per_million)
            for key, u in per_call.items():
                row = rows.get(key)
                if row is None:
                    continue
                usd = u * p.average * seconds / 1e6 * price
                cost.on_demand_usd += usd
                if kind == "read":
                    row.read_units_avg += u * p.average
                    row.read_units_peak += u * p.peak
                    row.on_demand_read_usd += usd
                else:
                    row.write_units_avg += u * p.average
                    row.write_units_peak += u * p.peak
                    row.on_demand_write_usd += usd
        report.patterns.append(cost)
    for row in rows.values():
        row.provisioned_rcu = math.ceil(row.read_units_peak / target_utilization - 1e-9)
        row.provisioned_wcu = math.ceil(row.write_units_peak / target_utilization - 1e-9)
        row.provisioned_usd = prices.provisioned.rcu_hour * row.provisioned_rcu * prices.hours_per_month + \
            prices.provisioned.wcu_hour * row.provisioned_wcu * prices.hours_per_month
        if row.items is not None:
            row.storage_gb = row.items * (row.item_bytes + prices.item_overhead_bytes) / GIB
            row.storage_usd = row.storage_gb * prices.storage_gb_month
        report.capacity.append(row)
    report.storage_usd = sum(r.storage_usd for r in report.capacity)
    report.on_demand_usd = sum(r.on_demand_usd for r in report.capacity) + report.storage_usd
    report.provisioned_usd = sum(r.provisioned_usd for r in report.capacity) + report.storage_usd
    report.unmeasured_tables = [t for t, s in sizes.items() if s.source != "measured"]
    report.assumptions = _assumptions(report, sizes, seconds)
    return report


def _gsi_items(table: TableDesign, gsi: GsiDesign, facts: SchemaFacts, size: ItemSize) -> int | None:
    """Items in the index: only entities carrying the index key (sparse indexes)."""
    if len(table.entities) == 1:
        return size.items
    total = 0
    for entity in table.entities:
        if entity.attribute(gsi.partition_key.attribute) is None:
            continue
        src = facts.table(entity.source_table)
        if src is None or src.rows is None:
            return size.items
        total += src.rows
    return total


def _assumptions(report: CostReport, sizes: dict[str, ItemSize], seconds: float) -> list[str]:
    out = [f"a month is {seconds / 3600:g} hours; on-demand uses each pattern's average rate, provisioned "
           f"capacity its peak at {report.target_utilization:.0%} utilization"]
    for name, s in sizes.items():
        if s.source != "measured":
            out.append(f"{name}: item size {s.avg_bytes:g} bytes {s.source.replace('_', ' ')} (not measured)")
    return out
