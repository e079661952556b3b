"""UNIQUE keys in a DynamoDB design: the guard items that keep a value unique, and which writes
must maintain them.

A table's `unique_constraints` say how each UNIQUE key of its MySQL tables is kept. A `guard_item`
constraint lives in a guard table (default `<table>UniqueValues`, multi-entity, keys PK/SK): one
guard entity per constraint, a second mapping of the same MySQL table whose pk template is
`<GUARD>#{column}` (the entity name as prefix) and whose sort key is the fixed `UNIQUE`, carrying
the unique columns and the owner item's key. The contract's views (a UNION ALL per entity) then
produce one guard item per row, and the copy writes them. The application writes the guard in the
same TransactWriteItems as the row: a Put with attribute_not_exists(PK) on insert (the transaction
fails when the value is taken), Delete old + Put new when the value changes, Delete on delete.

`complete_guards` adds the guard table and entities a design declares but does not spell out, so
the validator, the cost model and the contract all see the same items.
"""

from __future__ import annotations

import re

from mysql2ddb.tools.contract.model import Attribute
from mysql2ddb.tools.modeling.design import Design, EntityDesign, KeyDef, TableDesign, UniqueConstraint, template_fields
from mysql2ddb.tools.modeling.inputs import ALL_ROWS, PatternFacts, written_columns

GUARD_SK = "UNIQUE"
GUARD_WRITES = ("PutItem", "DeleteItem", "UpdateItem")


def guard_name(source_table: str, columns: list[str]) -> str:
    """`users`, [`email`] -> `USERS_EMAIL`: the guard entity's name and its partition-key prefix."""
    return re.sub(r"[^A-Z0-9]+", "_", f"{source_table}_{'_'.join(columns)}".upper()).strip("_")


def guard_table_name(table: str) -> str:
    return f"{table}UniqueValues"


def same_columns(a: list[str], b: list[str]) -> bool:
    return sorted(c.lower() for c in a) == sorted(c.lower() for c in b)


def data_entity(table: TableDesign, constraint: UniqueConstraint) -> EntityDesign | None:
    """The entity whose rows the constraint is about: its source_table's, else the table's first."""
    if constraint.source_table:
        return next((e for e in table.entities if e.source_table.lower() == constraint.source_table.lower()), None)
    return table.entities[0] if table.entities else None


def guard_of(table: TableDesign, constraint: UniqueConstraint) -> tuple[str, str] | None:
    """(guard table, guard entity) of a guard_item constraint, defaults filled in."""
    entity = data_entity(table, constraint)
    if constraint.enforced_by != "guard_item" or entity is None:
        return None
    return (constraint.guard_table or guard_table_name(table.name),
            constraint.guard_entity or guard_name(entity.source_table, constraint.columns))


def guard_entities(design: Design) -> set[tuple[str, str]]:
    """(design table, entity) of every guard entity the design's constraints name."""
    return {g for t in design.tables for c in t.unique_constraints if (g := guard_of(t, c)) is not None}


def guard_tables(design: Design) -> set[str]:
    """Design tables holding only guard items (their entities do not share one key shape, by design)."""
    guards = guard_entities(design)
    return {t.name for t in design.tables if t.entities and all((t.name, e.name) in guards for e in t.entities)}


def key_attributes(table: TableDesign, entity: EntityDesign) -> list[str]:
    """The entity's attributes its item key is built from (templates' placeholders or key attributes)."""
    if table.is_multi_entity:
        names = template_fields(entity.pk_template) + template_fields(entity.sk_template)
    else:
        names = []
        for key in (table.partition_key, table.sort_key):
            if key is not None:
                names += template_fields(key.template) if key.template else [key.attribute]
    return list(dict.fromkeys(names))


def key_columns(table: TableDesign, entity: EntityDesign) -> set[str] | None:
    """MySQL columns (lower case) of the entity's item key; None when a key part is computed or joined."""
    cols: set[str] = set()
    for name in key_attributes(table, entity):
        attr = entity.attribute(name)
        if attr is None or not attr.is_plain or attr.source_table.lower() != entity.source_table.lower():
            return None
        cols |= {c.lower() for c in attr.source_columns}
    return cols or None


def kept_by_key(table: TableDesign, entity: EntityDesign, columns: list[str]) -> bool:
    """True when the item key's columns lie within `columns`: two rows equal on `columns` would be
    one item, so a Put with attribute_not_exists refuses the second."""
    key = key_columns(table, entity)
    return key is not None and key <= {c.lower() for c in columns}


def _column_attribute(entity: EntityDesign, column: str) -> Attribute | None:
    plain = [a for a in entity.attributes if a.is_plain and [c.lower() for c in a.source_columns] == [column.lower()]]
    return next((a for a in plain if a.name.lower() == column.lower()), plain[0] if plain else None)


def _guard_attributes(guards: TableDesign, table: TableDesign, entity: EntityDesign,
                      columns: list[str]) -> tuple[list[Attribute], dict[str, str]]:
    """Copies of the unique columns' and the owner key's attributes; names clashing in type with
    another guard entity of the table get the source table as prefix."""
    taken = {a.name: a.type for e in guards.entities for a in e.attributes}
    attrs: list[Attribute] = []
    names: dict[str, str] = {}
    wanted = [(c, _column_attribute(entity, c)) for c in columns]
    wanted += [(n, entity.attribute(n)) for n in key_attributes(table, entity)]
    for column, source in wanted:
        attr = (source.model_copy(deep=True) if source is not None else
                Attribute(name=column, type="S", source_table=entity.source_table, source_column=column))
        attr.denormalized, attr.justification = None, None
        if attr.name in taken and taken[attr.name] != attr.type:
            attr.name = f"{entity.source_table}_{attr.name}"
        if all(a.name != attr.name for a in attrs):
            attrs.append(attr)
        names.setdefault(column.lower(), attr.name)
    return attrs, names


def _guard_table(name: str, table: TableDesign) -> TableDesign:
    return TableDesign(
        name=name, type="multi-entity",
        purpose=f"guard items keeping the UNIQUE keys of {table.name} unique: one item per value, written in the "
                f"same transaction as the {table.name} item",
        partition_key=KeyDef(attribute="PK", justification="<GUARD>#<value>: one item per unique value"),
        sort_key=KeyDef(attribute="SK", justification=f"always {GUARD_SK}"), entities=[])


def complete_guards(design: Design) -> Design:
    """The design with every guard_item constraint's guard table and entity present (a copy when
    something was added; the design itself when nothing was missing)."""
    missing = [(t.name, g) for t in design.tables for c in t.unique_constraints if (g := guard_of(t, c))
               and not ((gt := design.table(g[0])) and any(e.name == g[1] for e in gt.entities))]
    if not missing:
        return design
    out = design.model_copy(deep=True)
    for table in list(out.tables):
        for constraint in table.unique_constraints:
            found = guard_of(table, constraint)
            entity = data_entity(table, constraint)
            if found is None or entity is None:
                continue
            name, entity_name = found
            guards = out.table(name)
            if guards is None:
                guards = _guard_table(name, table)
                out.tables.insert(out.tables.index(table) + 1, guards)
            if any(e.name == entity_name for e in guards.entities):
                continue
            attrs, names = _guard_attributes(guards, table, entity, constraint.columns)
            template = f"{entity_name}#" + "#".join("{" + names[c.lower()] + "}" for c in constraint.columns)
            guards.entities.append(EntityDesign(
                name=entity_name, source_table=entity.source_table, pk_template=template, sk_template=GUARD_SK,
                attributes=attrs, description=f"guard: keeps {entity.source_table} ({', '.join(constraint.columns)}) "
                                              f"unique; points at its {table.name} item"))
    return out


def guard_writes_needed(pattern: PatternFacts, source_table: str, columns: list[str]) -> int:
    """Guard writes one call of a write pattern needs, from its SQL: an INSERT or DELETE of the
    table 1 (put / delete the guard), an UPDATE of a unique column 2 (delete old, put new)."""
    changed = next((cols for t, cols in written_columns(pattern).items() if t.lower() == source_table.lower()), set())
    if ALL_ROWS in changed:
        return 1
    return 2 if {c.lower() for c in changed} & {c.lower() for c in columns} else 0


def mapped_guard_writes(design: Design, pattern_id: str, guard: tuple[str, str]) -> tuple[float, bool]:
    """(guard writes per call in the pattern's mapping, all of them inside a transaction)."""
    mapping = design.mapping(pattern_id)
    writes, transactional = 0.0, True
    for op, in_transaction in (mapping.leaves() if mapping else []):
        if op.type in GUARD_WRITES and op.table == guard[0] and op.entity == guard[1]:
            writes += op.items
            transactional = transactional and in_transaction
    return writes, transactional


def implied_guard_writes(design: Design, pattern: PatternFacts) -> list[tuple[str, str, int]]:
    """(guard table, guard entity, writes per call) the pattern's SQL needs but its mapping leaves
    out: the cost model prices them anyway, the validator says they are missing."""
    out = []
    for table in design.tables:
        for constraint in table.unique_constraints:
            guard, entity = guard_of(table, constraint), data_entity(table, constraint)
            if guard is None or entity is None or not pattern.is_write:
                continue
            needed = guard_writes_needed(pattern, entity.source_table, constraint.columns)
            if needed and mapped_guard_writes(design, pattern.id, guard)[0] == 0:
                out.append((guard[0], guard[1], needed))
    return out
