"""Structural checks of a design (keys built from attributes that exist, with key types; GSIs
projecting attributes that exist; names unique), its references to the MySQL schema, and the
column accounting: every source table and column is mapped somewhere or deliberately dropped."""

from __future__ import annotations

from pydantic import BaseModel

from mysql2ddb.tools.modeling.design import (
    Design, EntityDesign, KeyDef, TableDesign, attribute_sources, template_fields,
)
from mysql2ddb.tools.modeling.inputs import SchemaFacts

MAX_GSIS = 20
KEY_TYPES = {"S", "N", "B"}


class Issue(BaseModel):
    path: str
    message: str
    remedy: str | None = None


def _key_attr_type(table: TableDesign, name: str) -> str | None:
    for entity in table.entities:
        attr = entity.attribute(name)
        if attr is not None:
            return attr.type
    return None


def _check_key(issues: list[Issue], table: TableDesign, key: KeyDef, path: str, role: str) -> None:
    if key.template:
        for entity in table.entities:
            missing = [f for f in template_fields(key.template) if entity.attribute(f) is None]
            if missing:
                issues.append(Issue(path=f"{path}/template", message=f"{role} template {key.template!r} names "
                                    f"{', '.join(missing)}, not attributes of entity {entity.name}",
                                    remedy="use {attribute} placeholders of the entity's attributes"))
        return
    typ = _key_attr_type(table, key.attribute)
    if typ is None:
        if not (table.is_multi_entity and role in ("partition key", "sort key")):
            issues.append(Issue(path=f"{path}/attribute", message=f"{role} {key.attribute} of {table.name} is no "
                                "attribute of its entities", remedy=f"add an attribute {key.attribute} or key on one"))
    elif typ not in KEY_TYPES:
        issues.append(Issue(path=f"{path}/attribute", message=f"{role} {key.attribute} is of type {typ}; "
                            "keys must be S, N or B", remedy="key on a scalar attribute, or convert it"))
    elif typ != key.type:
        issues.append(Issue(path=f"{path}/type", message=f"{role} {key.attribute} is declared {key.type} but the "
                            f"attribute is {typ}", remedy=f"declare it {typ}"))


def _check_entity(issues: list[Issue], table: TableDesign, entity: EntityDesign, path: str) -> None:
    names = entity.attribute_names()
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        issues.append(Issue(path=f"{path}/attributes", message=f"entity {entity.name} declares "
                            f"{', '.join(dupes)} more than once", remedy="keep one attribute per name"))
    if not table.is_multi_entity:
        return
    if not entity.pk_template:
        issues.append(Issue(path=f"{path}/pk_template", message=f"entity {entity.name} of multi-entity table "
                            f"{table.name} has no pk_template", remedy="give e.g. 'CUSTOMER#{customer_id}'"))
    if table.sort_key and not entity.sk_template:
        issues.append(Issue(path=f"{path}/sk_template", message=f"entity {entity.name} has no sk_template but "
                            f"{table.name} has a sort key", remedy="give e.g. 'RENTAL#{rental_date}#{rental_id}'"))
    for field in ("pk_template", "sk_template"):
        missing = [f for f in template_fields(getattr(entity, field)) if entity.attribute(f) is None]
        if missing:
            issues.append(Issue(path=f"{path}/{field}", message=f"{field} of {entity.name} names "
                                f"{', '.join(missing)}, not among its attributes",
                                remedy="add those attributes or fix the placeholders"))


def _check_table(issues: list[Issue], table: TableDesign, path: str) -> None:
    if not table.entities:
        issues.append(Issue(path=f"{path}/entities", message=f"{table.name} maps no entity",
                            remedy="map at least one MySQL table into it"))
    if not table.is_multi_entity and len(table.entities) > 1:
        issues.append(Issue(path=f"{path}/type", message=f"{table.name} is single-entity with "
                            f"{len(table.entities)} entities", remedy="set type 'multi-entity' with key templates"))
    for j, entity in enumerate(table.entities):
        _check_entity(issues, table, entity, f"{path}/entities/{j}")
    _check_key(issues, table, table.partition_key, f"{path}/partition_key", "partition key")
    if table.sort_key:
        _check_key(issues, table, table.sort_key, f"{path}/sort_key", "sort key")
    if len(table.gsis) > MAX_GSIS:
        issues.append(Issue(path=f"{path}/gsis", message=f"{table.name} has {len(table.gsis)} GSIs; DynamoDB "
                            f"allows {MAX_GSIS}", remedy="overload GSI keys or split the table"))
    seen: set[str] = set()
    known = set(table.attribute_names())
    for k, gsi in enumerate(table.gsis):
        gpath = f"{path}/gsis/{k}"
        if gsi.name in seen:
            issues.append(Issue(path=f"{gpath}/name", message=f"GSI name {gsi.name} repeats", remedy="rename it"))
        seen.add(gsi.name)
        _check_key(issues, table, gsi.partition_key, f"{gpath}/partition_key", f"GSI {gsi.name} partition key")
        if gsi.sort_key:
            _check_key(issues, table, gsi.sort_key, f"{gpath}/sort_key", f"GSI {gsi.name} sort key")
        if gsi.projection == "INCLUDE" and not gsi.projected_attributes:
            issues.append(Issue(path=f"{gpath}/projected_attributes", message=f"{gsi.name} projects INCLUDE "
                                "but names no attribute", remedy="list them, or use KEYS_ONLY"))
        if gsi.projection != "INCLUDE" and gsi.projected_attributes:
            issues.append(Issue(path=f"{gpath}/projected_attributes", message=f"{gsi.name} lists projected "
                                f"attributes with projection {gsi.projection}", remedy="use INCLUDE or drop the list"))
        unknown = [a for a in gsi.projected_attributes if a not in known]
        if unknown:
            issues.append(Issue(path=f"{gpath}/projected_attributes", message=f"{gsi.name} projects "
                                f"{', '.join(unknown)}, not attributes of {table.name}", remedy="fix the names"))


def structure_issues(design: Design, pattern_ids: list[str]) -> list[Issue]:
    issues: list[Issue] = []
    names = [t.name for t in design.tables]
    for i, table in enumerate(design.tables):
        if names.count(table.name) > 1 and names.index(table.name) != i:
            issues.append(Issue(path=f"/tables/{i}/name", message=f"table {table.name} is defined twice",
                                remedy="merge or rename"))
        _check_table(issues, table, f"/tables/{i}")
    seen: set[str] = set()
    for i, mapping in enumerate(design.pattern_mappings):
        if mapping.pattern_id in seen:
            issues.append(Issue(path=f"/pattern_mappings/{i}/pattern_id", message=f"{mapping.pattern_id} is "
                                "mapped twice", remedy="keep one mapping per pattern (list its operations)"))
        seen.add(mapping.pattern_id)
        if pattern_ids and mapping.pattern_id not in pattern_ids:
            issues.append(Issue(path=f"/pattern_mappings/{i}/pattern_id", message=f"{mapping.pattern_id} is not "
                                "in the access-pattern registry", remedy="add the pattern or fix its id"))
    for i, d in enumerate(design.denormalizations):
        table = design.table(d.table)
        if table is None:
            issues.append(Issue(path=f"/denormalizations/{i}/table", message=f"no table {d.table}",
                                remedy="name a design table"))
            continue
        unknown = [a for a in d.attributes if a not in table.attribute_names()]
        if unknown:
            issues.append(Issue(path=f"/denormalizations/{i}/attributes", message=f"{d.table} has no attribute "
                                f"{', '.join(unknown)}", remedy="name attributes of the table's entities"))
    return issues


def reference_issues(design: Design, schema: SchemaFacts) -> list[Issue]:
    """Every MySQL table/column the design names exists (skipped without a schema)."""
    if not schema.tables:
        return []
    issues: list[Issue] = []

    def table_ok(name: str, path: str) -> bool:
        if schema.table(name) is None:
            issues.append(Issue(path=path, message=f"no MySQL table {name}", remedy="name a table of the schema"))
            return False
        return True

    for i, table in enumerate(design.tables):
        for j, entity in enumerate(table.entities):
            epath = f"/tables/{i}/entities/{j}"
            if not table_ok(entity.source_table, f"{epath}/source_table"):
                continue
            for k, attr in enumerate(entity.attributes):
                apath = f"{epath}/attributes/{k}"
                if not table_ok(attr.source_table, f"{apath}/source_table"):
                    continue
                for src_table, column in attribute_sources(attr):
                    if schema.table(src_table) is not None and not schema.has_column(src_table, column):
                        issues.append(Issue(path=apath, message=f"attribute {attr.name} reads {src_table}.{column}, "
                                            f"which does not exist", remedy=f"use a column of {src_table}"))
        for role, key, kpath in _keys(table, f"/tables/{i}"):
            if key.source_column:
                src_table, _, column = key.source_column.rpartition(".")
                src_table = src_table or (table.entities[0].source_table if table.entities else "")
                if schema.table(src_table) is not None and not schema.has_column(src_table, column):
                    issues.append(Issue(path=f"{kpath}/source_column", message=f"{role} source {key.source_column} "
                                        "does not exist", remedy="name an existing column as table.column"))
    for i, d in enumerate(design.dropped):
        if d.source_table == "*":
            continue
        if table_ok(d.source_table, f"/dropped/{i}/source_table") and d.column and \
                not schema.has_column(d.source_table, d.column):
            issues.append(Issue(path=f"/dropped/{i}/column", message=f"no column {d.source_table}.{d.column}",
                                remedy="name an existing column"))
    return issues


def _keys(table: TableDesign, path: str) -> list[tuple[str, KeyDef, str]]:
    out = [("partition key", table.partition_key, f"{path}/partition_key")]
    if table.sort_key:
        out.append(("sort key", table.sort_key, f"{path}/sort_key"))
    for k, gsi in enumerate(table.gsis):
        out.append((f"GSI {gsi.name} partition key", gsi.partition_key, f"{path}/gsis/{k}/partition_key"))
        if gsi.sort_key:
            out.append((f"GSI {gsi.name} sort key", gsi.sort_key, f"{path}/gsis/{k}/sort_key"))
    return out


def unmapped(design: Design, schema: SchemaFacts) -> tuple[list[str], list[str]]:
    """(tables, 'table.column's) of the schema neither mapped nor deliberately dropped."""
    used: set[tuple[str, str]] = set()
    sources: set[str] = set()
    for table in design.tables:
        sources |= {s.lower() for s in table.source_tables()}
        for entity in table.entities:
            for attr in entity.attributes:
                used |= {(t.lower(), c.lower()) for t, c in attribute_sources(attr)}
        for _, key, _ in _keys(table, ""):
            if key.source_column and "." in key.source_column:
                t, _, c = key.source_column.rpartition(".")
                used.add((t.lower(), c.lower()))
    tables, columns = [], []
    for name, facts in schema.tables.items():
        if facts.is_view or (design.is_dropped(name) and design.is_dropped(name).column is None):  # type: ignore[union-attr]
            continue
        if name.lower() not in sources:
            tables.append(name)
            continue
        for column in facts.columns:
            if (name.lower(), column.lower()) not in used and not _column_dropped(design, name, column):
                columns.append(f"{name}.{column}")
    return tables, columns


def _column_dropped(design: Design, table: str, column: str) -> bool:
    return any(d.column is not None and d.column.lower() == column.lower()
               and d.source_table in ("*", table) for d in design.dropped)
