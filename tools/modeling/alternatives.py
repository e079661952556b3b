"""Alternatives to a design and what they trade (performance vs cost, complexity vs flexibility,
consistency vs availability). Each alternative is a transformed copy of the design priced by the
same cost model, so the monthly delta is computed, not claimed. Where a transformation needs a
number the inputs do not give (the bytes of an embedded list when sizes are not measured per
attribute), the assumption is written next to the delta."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Literal

from pydantic import BaseModel, Field

from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.modeling.cost import CostReport, estimate_cost
from mysql2ddb.tools.modeling.design import Design, KeyDef, Operation, TableDesign, expression_attributes
from mysql2ddb.tools.modeling.inputs import patterns_facts, schema_facts
from mysql2ddb.tools.modeling.sizes import KEY_BYTES, ItemSize, resolve_item_sizes
from mysql2ddb.tools.core.pricing import Prices

Dimension = Literal["performance_vs_cost", "complexity_vs_flexibility", "consistency_vs_availability"]


class Alternative(BaseModel):
    id: str
    dimension: Dimension
    title: str
    subject: str
    description: str
    pros: list[str] = Field(default_factory=list)
    cons: list[str] = Field(default_factory=list)
    baseline_usd: float
    alternative_usd: float
    assumptions: list[str] = Field(default_factory=list)

    @property
    def delta_usd(self) -> float:
        return self.alternative_usd - self.baseline_usd


class AlternativesReport(BaseModel):
    design: str
    on_demand_usd: float
    provisioned_usd: float
    alternatives: list[Alternative] = Field(default_factory=list)

    def summary(self) -> str:
        cheaper = [a for a in self.alternatives if a.delta_usd < -0.005]
        text = (f"{len(self.alternatives)} alternative(s) to {self.design} priced against its "
                f"${self.on_demand_usd:,.2f}/month on demand.")
        if cheaper:
            best = min(cheaper, key=lambda a: a.delta_usd)
            text += f" Largest saving: {best.title} ({best.subject}), ${-best.delta_usd:,.2f}/month, at a price: " \
                    + "; ".join(best.cons) + "."
        return text

    def tables(self) -> list[Table]:
        return [Table("Alternatives and trade-offs", ["id", "trade-off", "alternative", "subject", "monthly",
                                                      "delta", "gains", "costs"],
                      [[a.id, a.dimension.replace("_", " "), a.title, a.subject, f"${a.alternative_usd:,.2f}",
                        format_delta(a.delta_usd), "; ".join(a.pros),
                        "; ".join(a.cons)] for a in self.alternatives])]


def format_delta(value: float) -> str:
    cents = round(value, 2)
    return f"{'-' if cents < 0 else '+'}${abs(cents):,.2f}"


class _Pricer:
    def __init__(self, patterns: list, schema: Any, item_sizes: dict | None, prices: Prices | None):
        self.patterns, self.schema, self.prices = patterns, schema, prices
        self.item_sizes = item_sizes

    def __call__(self, design: Design, sizes: dict[str, ItemSize] | None = None) -> CostReport:
        facts = schema_facts(self.schema)
        resolved = resolve_item_sizes(design.tables, facts, {**(self.item_sizes or {}), **(sizes or {})})
        return estimate_cost(design, self.patterns, facts, resolved, self.prices)


def _copy(design: Design) -> Design:
    return Design.model_validate(design.model_dump(by_alias=True))


def _ops(design: Design) -> Iterable[Operation]:
    for mapping in design.pattern_mappings:
        for op in mapping.operations:
            yield op
            yield from op.actions


def capacity_mode(base: CostReport) -> Alternative:
    other = "provisioned" if base.cheaper_mode == "on-demand" else "on-demand"
    alt = base.provisioned_usd if other == "provisioned" else base.on_demand_usd
    return Alternative(
        id="capacity-mode", dimension="performance_vs_cost", title=f"{other} capacity", subject="all tables",
        description=f"bill the same traffic {other}: provisioned capacity is sized for the peak at "
                    f"{base.target_utilization:.0%} utilization, on demand bills each request",
        pros=["cheaper for steady traffic near the peak"] if other == "provisioned"
        else ["no capacity planning; absorbs spikes up to twice the previous peak instantly"],
        cons=["throttles above the provisioned peak until auto scaling reacts"] if other == "provisioned"
        else ["costs more per request when traffic is steady"],
        baseline_usd=base.on_demand_usd, alternative_usd=alt)


def narrow_projection(design: Design, table: TableDesign, gsi_name: str, price: Callable, base: CostReport) -> Alternative:
    alt = _copy(design)
    t = alt.table(table.name)
    gsi = t.gsi(gsi_name)  # type: ignore[union-attr]
    gsi.projection, gsi.projected_attributes = "KEYS_ONLY", []  # type: ignore[union-attr]
    keys = set(t.key_attributes()) | {gsi.partition_key.attribute}  # type: ignore[union-attr]
    keys |= {gsi.sort_key.attribute} if gsi.sort_key else set()  # type: ignore[union-attr]
    for mapping in alt.pattern_mappings:
        extra = []
        for op in mapping.operations:
            if op.table != table.name or op.index != gsi_name or op.type != "Query":
                continue
            needed = set(op.attributes) | set(expression_attributes(op.filter))
            if needed - keys or (not op.attributes and op.select != "COUNT"):
                extra.append(Operation(type="BatchGetItem", table=table.name, items=op.items,
                                       description=f"fetch the items {gsi_name} now only points to"))
        mapping.operations += extra
    return Alternative(
        id=f"keys-only:{table.name}.{gsi_name}", dimension="performance_vs_cost", title="KEYS_ONLY projection",
        subject=f"{table.name}.{gsi_name}",
        description=f"project only keys into {gsi_name} and read each result back with BatchGetItem",
        pros=["smaller index: cheaper index writes and storage", "attribute changes no longer write the index"],
        cons=["a second round trip per query (latency)", "reads the full items from the base table"],
        baseline_usd=base.on_demand_usd, alternative_usd=price(alt).on_demand_usd)


def duplicate_table(design: Design, table: TableDesign, gsi_name: str, price: Callable, base: CostReport) -> Alternative:
    alt = _copy(design)
    t = alt.table(table.name)
    assert t is not None
    gsi = t.gsi(gsi_name)
    assert gsi is not None
    dup_name = f"{table.name}By{gsi_name}"
    # The copy is keyed like the index, with the base key appended to keep keys unique.
    sort = gsi.sort_key or KeyDef(attribute=t.partition_key.attribute, type=t.partition_key.type)
    dup = t.model_copy(deep=True, update={"name": dup_name, "type": "single-entity" if len(t.entities) == 1 else t.type,
                                          "partition_key": gsi.partition_key, "sort_key": sort, "gsis": []})
    t.gsis = [g for g in t.gsis if g.name != gsi_name]
    alt.tables.append(dup)
    for mapping in alt.pattern_mappings:
        for op in list(mapping.operations):
            targets = [op] + list(op.actions)
            for target in targets:
                if target.table == table.name and target.index == gsi_name:
                    target.table, target.index = dup_name, None
            writes = [w for w in targets if w.table == table.name and w.type in ("PutItem", "UpdateItem", "DeleteItem")]
            for w in writes:
                copy_op = w.model_copy(update={"table": dup_name, "key_condition": None, "description": "keep the copy"})
                (op.actions if op.actions else mapping.operations).append(copy_op)
    sizes = {dup_name: price.item_sizes.get(table.name)} if price.item_sizes and table.name in price.item_sizes else {}
    return Alternative(
        id=f"duplicate-table:{table.name}.{gsi_name}", dimension="consistency_vs_availability",
        title="duplicate table instead of a GSI", subject=f"{table.name}.{gsi_name}",
        description=f"maintain {dup_name} from the application (in the same transaction) instead of {gsi_name}",
        pros=["strongly consistent reads on the copy", "the copy's throttling cannot back-pressure the base table"],
        cons=["every write is written twice by the application", "a bug leaves the copy stale; no automatic backfill"],
        baseline_usd=base.on_demand_usd, alternative_usd=price(alt, {k: v for k, v in sizes.items() if v}).on_demand_usd)


def separate_items(design: Design, table: TableDesign, attr_name: str, price: Callable, base: CostReport,
                   sizes: dict[str, ItemSize]) -> Alternative:
    alt = _copy(design)
    t = alt.table(table.name)
    assert t is not None
    size = sizes[table.name]
    attr = next(a for e in t.entities for a in e.attributes if a.name == attr_name)
    per_parent = float(getattr(getattr(attr.join, "construction", None), "limit", None) or 5)
    assumptions = []
    embedded = size.attribute_bytes.get(attr_name)
    if embedded is None:
        embedded = size.avg_bytes / 2
        assumptions.append(f"the embedded {attr_name} list taken as half the item ({embedded:,.0f} bytes); "
                           "measure attribute sizes for an exact figure")
    assumptions.append(f"up to {per_parent:g} child items per {table.name} item (the construction's limit)")
    child_name = f"{table.name}_{attr_name}"
    child = t.model_copy(deep=True, update={"name": child_name, "gsis": [],
                                            "sort_key": KeyDef(attribute="child_id", type="S")})
    for e in t.entities:
        e.attributes = [a for a in e.attributes if a.name != attr_name]
    alt.tables.append(child)
    for mapping in alt.pattern_mappings:
        reads = [op for op in mapping.operations if op.table == table.name and op.type in ("GetItem", "Query")
                 and (not op.attributes or attr_name in op.attributes)]
        for op in reads:
            mapping.operations.append(Operation(type="Query", table=child_name, items=per_parent * op.items,
                                                description=f"read the {attr_name} items"))
    parent_items = size.items or 0
    new_sizes = {
        table.name: size.model_copy(update={"avg_bytes": max(size.avg_bytes - embedded, 2 * KEY_BYTES),
                                            "max_bytes": None, "source": size.source}),
        child_name: ItemSize(avg_bytes=embedded / per_parent + 2 * KEY_BYTES, items=int(parent_items * per_parent),
                             source=size.source),
    }
    return Alternative(
        id=f"separate-items:{table.name}.{attr_name}", dimension="complexity_vs_flexibility",
        title="separate items instead of an embedded list", subject=f"{table.name}.{attr_name}",
        description=f"store each element of {attr_name} as its own item, read with a Query",
        pros=["elements change without rewriting the parent", "no item-size ceiling on the list"],
        cons=["a second request to read the list", "more items to store and copy"],
        baseline_usd=base.on_demand_usd, alternative_usd=price(alt, new_sizes).on_demand_usd, assumptions=assumptions)


def single_table(design: Design, price: Callable, base: CostReport, sizes: dict[str, ItemSize]) -> Alternative:
    bigger = {n: s.model_copy(update={"avg_bytes": s.avg_bytes + 3 * KEY_BYTES}) for n, s in sizes.items()}
    return Alternative(
        id="single-table", dimension="complexity_vs_flexibility", title="one table for every entity",
        subject="all tables",
        description="put every entity under generic PK/SK keys (with an entity type) in one table, GSIs overloaded",
        pros=["one table to provision, back up and stream", "related items of different tables in one Query"],
        cons=["generic keys hide what an item is", "overloaded GSIs and one capacity pool for all entities",
              "per-table access control and evolution are lost"],
        baseline_usd=base.on_demand_usd, alternative_usd=price(design, bigger).on_demand_usd,
        assumptions=[f"every item grows by the generic PK, SK and entity-type attributes (~{3 * KEY_BYTES} bytes); "
                     "the requests stay the same"])


def strong_reads(design: Design, price: Callable, base: CostReport) -> Alternative | None:
    alt = _copy(design)
    changed = [op for op in _ops(alt) if op.type in ("GetItem", "Query", "BatchGetItem") and not op.index
               and not op.consistent_read]
    if not changed:
        return None
    for op in changed:
        op.consistent_read = True
    return Alternative(
        id="strong-reads", dimension="consistency_vs_availability", title="strongly consistent base-table reads",
        subject=f"{len(changed)} read request(s)",
        description="read the latest committed value on every base-table read",
        pros=["no stale reads after a write"],
        cons=["twice the read units", "not available on GSIs, nor on global-table replicas in other regions"],
        baseline_usd=base.on_demand_usd, alternative_usd=price(alt).on_demand_usd)


def design_alternatives(design: Design, patterns: Iterable[Any], schema: Any = None,
                        item_sizes: dict[str, Any] | None = None, prices: Prices | None = None) -> AlternativesReport:
    pats = patterns_facts(patterns)
    facts = schema_facts(schema)
    price = _Pricer(pats, facts, item_sizes, prices)
    sizes = resolve_item_sizes(design.tables, facts, item_sizes)
    base = price(design)
    out = [capacity_mode(base)]
    for table in design.tables:
        for gsi in table.gsis:
            if gsi.projection != "KEYS_ONLY":
                out.append(narrow_projection(design, table, gsi.name, price, base))
            out.append(duplicate_table(design, table, gsi.name, price, base))
        for entity in table.entities:
            for attr in entity.attributes:
                if attr.join is not None and attr.join.type == "json-construction":
                    out.append(separate_items(design, table, attr.name, price, base, sizes))
    if design.approach == "multi-table" and len(design.tables) > 1:
        out.append(single_table(design, price, base, sizes))
    strong = strong_reads(design, price, base)
    if strong:
        out.append(strong)
    return AlternativesReport(design=design.name, on_demand_usd=base.on_demand_usd,
                              provisioned_usd=base.provisioned_usd, alternatives=out)
