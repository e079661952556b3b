"""Design -> migration contract, mechanically: an entity's attributes ARE contract attributes, its
key templates are the contract's pk/sk templates, GSIs keep their keys and projections, each
table `satisfies` the patterns with a request on it, and the item size comes from measurements
when given, else the schema's row sizes (tools/modeling/sizes.py). A UNIQUE key kept by guard
items gets its guard table, one entity per key (a second mapping of the same MySQL table, pk
`<GUARD>#{column}`, sk `UNIQUE`: tools/modeling/unique_keys.py), so the views and the copy
produce the guard items. Nothing is invented here: a design that cannot be expressed as a
contract is refused with the path to fix."""

from __future__ import annotations

import math
from typing import Any

from mysql2ddb.tools.core.errors import DesignError
from mysql2ddb.tools.contract.model import CONTRACT_VERSION, Contract, ContractTable, Entity, Gsi
from mysql2ddb.tools.modeling.design import Design, TableDesign
from mysql2ddb.tools.modeling.inputs import schema_facts
from mysql2ddb.tools.modeling.sizes import ItemSize, resolve_item_sizes
from mysql2ddb.tools.modeling.unique_keys import complete_guards


def _gsis(table: TableDesign) -> list[Gsi] | None:
    out = [Gsi(index_name=g.name, pk=g.partition_key.attribute, sk=g.sort_key.attribute if g.sort_key else None,
               projection=g.projection,
               projected_attributes=list(g.projected_attributes) if g.projection == "INCLUDE" else None)
           for g in table.gsis]
    return out or None


def _size(size: ItemSize) -> int:
    return int(math.ceil(size.largest if size.max_bytes is not None and size.source == "measured" else size.avg_bytes))


def _check(table: TableDesign, path: str, errors: list[dict[str, str]]) -> None:
    if not table.entities:
        errors.append({"path": f"{path}/entities", "message": f"{table.name} maps no entity"})
        return
    if table.is_multi_entity:
        for j, entity in enumerate(table.entities):
            if not entity.pk_template:
                errors.append({"path": f"{path}/entities/{j}/pk_template",
                               "message": f"entity {entity.name} of multi-entity {table.name} has no pk_template"})
            if table.sort_key is None or not entity.sk_template:
                errors.append({"path": f"{path}/entities/{j}/sk_template",
                               "message": f"contract entities need an sk_template (and the table a sort key); "
                                          f"{entity.name} of {table.name} has none"})
        return
    if len(table.entities) > 1:
        errors.append({"path": f"{path}/type", "message": f"{table.name} is single-entity with several entities"})
    entity = table.entities[0]
    for role, key in (("partition_key", table.partition_key), ("sort_key", table.sort_key)):
        if key is None:
            continue
        if key.template:
            errors.append({"path": f"{path}/{role}/template", "message": f"single-entity {table.name} keys must be "
                           "attributes, not templates (contract-semantics §10)"})
        elif entity.attribute(key.attribute) is None:
            errors.append({"path": f"{path}/{role}/attribute",
                           "message": f"{key.attribute} is no attribute of {entity.name}"})


def contract_table(table: TableDesign, design: Design, size: ItemSize) -> ContractTable:
    common: dict[str, Any] = dict(
        table=table.name, type=table.type, source_table=table.entities[0].source_table,
        pk=table.partition_key.attribute, sk=table.sort_key.attribute if table.sort_key else None,
        gsis=_gsis(table), satisfies=design.patterns_served_by(table.name), estimated_item_size_bytes=_size(size))
    if table.is_multi_entity:
        entities = [Entity(entity_type=e.name, source_table=e.source_table, pk_template=e.pk_template or "",
                           sk_template=e.sk_template or "", attributes=[a.model_copy(deep=True) for a in e.attributes])
                    for e in table.entities]
        return ContractTable(**common, entities=entities, attributes=[])
    return ContractTable(**common, attributes=[a.model_copy(deep=True) for a in table.entities[0].attributes])


def design_to_contract(design: Design, schema: Any = None, item_sizes: dict[str, Any] | None = None) -> Contract:
    """`schema`: SchemaAnalysis(-like) for item sizes; `item_sizes`: measured {table: {avg_bytes, max_bytes}}."""
    design = complete_guards(design)  # guard items of guard_item unique constraints: an entity each
    errors: list[dict[str, str]] = []
    for i, table in enumerate(design.tables):
        _check(table, f"/tables/{i}", errors)
    if errors:
        raise DesignError(f"the design cannot be written as a contract ({len(errors)} problem(s))",
                          where="design.json", details={"errors": errors},
                          remedy="fix each listed path in the design, then generate the contract again")
    sizes = resolve_item_sizes(design.tables, schema_facts(schema), item_sizes)
    return Contract(contract_version=CONTRACT_VERSION,
                    tables=[contract_table(t, design, sizes[t.name]) for t in design.tables])
