"""The conversion spec of each contract table: what build_converter (convert.py) needs to turn one
row of `ddb_<table>_view` into an item, as plain JSON (it travels to Glue executors and into the
copy's checkpoints, whose hash refuses a resume under a changed spec).

Column types are inferred from the contract and the SOURCE tables' catalog only, never from the
view itself, so the spec is the same before and after the views exist (a resumed run compares it).
A plain attribute, or a join/aggregate whose value is one column, takes that column's type; an
expression (CONCAT, CASE, templates, date-format) is text; json-construction is JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from mysql2ddb.tools.core.errors import ContractError
from mysql2ddb.tools.contract.catalog import Catalog
from mysql2ddb.tools.contract.fragments import parse_fragment
from mysql2ddb.tools.contract.model import (
    AggregateCalculation,
    Attribute,
    ChainJoin,
    ConditionalJoin,
    Contract,
    ContractTable,
    Entity,
    JsonConstructionJoin,
    SelfJoin,
)

ENTITY_TYPE = "entity_type"
_NUMERIC = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "float",
            "double", "real", "year", "bit", "bool", "boolean", "serial"}
_BINARY = {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"}
SPATIAL = {"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
           "geometrycollection", "geomcollection"}
_FSP = re.compile(r"\((\d+)\)")


@dataclass(frozen=True)
class ValueType:
    """The MySQL type of one view column: data type (lowercase) and full column type."""

    mysql_type: str
    column_type: str

    @property
    def fsp(self) -> int:
        found = _FSP.search(self.column_type)
        return int(found.group(1)) if found and self.mysql_type in ("datetime", "timestamp", "time") else 0

    @property
    def scale(self) -> int:
        found = re.search(r"\(\d+,\s*(\d+)\)", self.column_type)
        return int(found.group(1)) if found and self.mysql_type in ("decimal", "numeric") else 0


TEXT = ValueType("varchar", "varchar")
JSON = ValueType("json", "json")


def is_numeric(value_type: ValueType) -> bool:
    return value_type.mysql_type in _NUMERIC and value_type.column_type.lower() != "tinyint(1)"


def is_binary(value_type: ValueType) -> bool:
    return value_type.mysql_type in _BINARY


def _column_type(catalog: Catalog, table: str, column: str) -> ValueType | None:
    """A column's type; MariaDB's JSON (LONGTEXT with a json_valid() CHECK) is JSON, so a set
    attribute reads it as a JSON array, not as comma-separated text."""
    info = catalog.column(table, column)
    if info is None:
        return None
    return ValueType("json", info.column_type) if info.is_json else ValueType(info.data_type, info.column_type)


def _select_type(text: str, tables: dict[str, str], default_table: str, catalog: Catalog, where: str) -> ValueType:
    """The type of a select_column fragment: a bare column reference keeps its column's type."""
    node = parse_fragment(text, where)
    if isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
        table = tables.get(node.table, node.table) if node.table else default_table
        found = _column_type(catalog, table, node.name)
        if found is None and not node.table:
            found = next((t for t in (_column_type(catalog, x, node.name) for x in tables.values()) if t), None)
        if found:
            return found
    return TEXT


def attribute_type(entity_source: str, attr: Attribute, catalog: Catalog, where: str = "attribute") -> ValueType:
    """The MySQL type of the view column that carries `attr` (see the module docstring)."""
    if attr.transformation is not None:
        if attr.transformation.type == "date-format":
            return TEXT
    calc = attr.calculation
    if isinstance(calc, AggregateCalculation):
        if calc.operation == "COUNT":
            return ValueType("bigint", "bigint(21)")
        inner = _select_type(calc.select_column, {calc.target_table: calc.target_table, entity_source: entity_source},
                             calc.target_table, catalog, f"{where}.calculation.select_column")
        if calc.operation in ("SUM", "AVG"):
            return ValueType("decimal", "decimal(65,30)") if is_numeric(inner) and inner.mysql_type not in (
                "float", "double", "real") else ValueType("double", "double")
        return inner
    if calc is not None:
        return TEXT
    join = attr.join
    if join is None:
        return _column_type(catalog, entity_source, attr.source_columns[0]) or TEXT
    if isinstance(join, JsonConstructionJoin):
        return JSON
    if isinstance(join, ConditionalJoin):
        return TEXT  # CASE ... ELSE '<else_value>' END is text
    if isinstance(join, ChainJoin):
        if join.chain_separator is not None or not join.joins:
            return TEXT
        tables = {hop.target_table: hop.target_table for hop in join.joins}
        tables[entity_source] = entity_source
        return _select_type(join.joins[-1].select_column, tables, join.joins[-1].target_table, catalog,
                            f"{where}.join.joins[{len(join.joins) - 1}].select_column")
    if isinstance(join, SelfJoin):
        if join.null_value is not None:
            return TEXT
        tables = {join.join_alias: entity_source, entity_source: entity_source}
        return _select_type(join.select_column, tables, entity_source, catalog, f"{where}.join.select_column")
    target = getattr(join, "target_table")
    return _select_type(join.select_column, {target: target, entity_source: entity_source}, target, catalog,
                        f"{where}.join.select_column")


def exposed_type(ddb_type: str, value_type: ValueType) -> ValueType:
    """Spatial values leave the view as text the database writes: WKT for S (ST_AsText), GeoJSON
    for M (ST_AsGeoJSON); B keeps the raw SRID + WKB bytes."""
    if value_type.mysql_type in SPATIAL and ddb_type in ("S", "M"):
        return TEXT if ddb_type == "S" else JSON
    return value_type


def _merge(types: list[ValueType]) -> ValueType:
    """One column type for an attribute several entities carry (UNION ALL): equal data types keep
    the widest fractional seconds; different ones are text (the converter reads the value's own type)."""
    kinds = {t.mysql_type for t in types}
    if len(kinds) == 1:
        return max(types, key=lambda t: t.fsp)
    return TEXT


def _source_key_type(value_type: ValueType) -> str:
    if is_numeric(value_type):
        return "N"
    return "B" if is_binary(value_type) else "S"


def view_columns(table: ContractTable, catalog: Catalog) -> list[tuple[str, str, ValueType]]:
    """(name, DynamoDB type, MySQL type) of every view column, in view-column order."""
    declared: dict[str, str] = {}
    types: dict[str, list[ValueType]] = {}
    for entity, attr in table.iter_attributes():
        source = entity.source_table if entity else table.source_table
        where = f"{table.table}.{attr.name}"
        declared.setdefault(attr.name, attr.type)
        types.setdefault(attr.name, []).append(exposed_type(attr.type, attribute_type(source, attr, catalog, where)))
    if not table.is_multi_entity:
        for key in table.key_names:
            if key not in types:
                raise ContractError(
                    f"key {key!r} of {table.table} is not one of its attributes"
                    + (" (a composite key name is not defined by the contract schema, §10)" if "#" in key else ""),
                    where=f"{table.table}.{'pk' if key == table.pk else 'sk'}",
                    remedy="name an attribute; build a composite value with a calculation (case) or, in a "
                           "multi-entity table, with pk_template/sk_template")
    out = []
    for name in table.attribute_names():
        if name in types:
            out.append((name, declared[name], _merge(types[name])))
        else:  # pk/sk of a multi-entity table: built from templates
            out.append((name, "S", ValueType("varchar", "varchar(2048)")))
    if table.is_multi_entity and ENTITY_TYPE not in declared:
        out.append((ENTITY_TYPE, "S", ValueType("varchar", "varchar(255)")))
    return out


def key_names(table: ContractTable) -> list[str]:
    """Table and GSI key attributes, each once."""
    names = list(table.key_names)
    for gsi in table.gsis or []:
        for name in (gsi.pk, gsi.sk):
            if name and name not in names:
                names.append(name)
    return names


def key_types(table: ContractTable, catalog: Catalog) -> dict[str, str]:
    """attr -> 'S'|'N'|'B' for every table and GSI key: the declared type when it is a key type,
    else taken from the source column's type (numeric -> N, binary -> B, text -> S)."""
    columns = {name: (ddb, vt) for name, ddb, vt in view_columns(table, catalog)}
    out = {}
    for name in key_names(table):
        ddb, value_type = columns.get(name, ("S", TEXT))
        out[name] = ddb if ddb in ("S", "N", "B") else _source_key_type(value_type)
    return out


def table_spec(table: ContractTable, catalog: Catalog) -> dict[str, Any]:
    """JSON-serialisable spec for build_converter: table, view, pk, sk, columns (view order) with
    name, ddb_type, mysql_type, column_type (+ overflow "string" where an attribute declares
    `number_overflow: "string"`), key_types."""
    keys = key_types(table, catalog)
    columns = []
    for name, ddb, value_type in view_columns(table, catalog):
        column = {"name": name, "ddb_type": keys.get(name, ddb), "mysql_type": value_type.mysql_type,
                  "column_type": value_type.column_type}
        attr = table.attribute(name)
        if attr is not None and (attr.model_extra or {}).get("number_overflow") == "string":
            column["overflow"] = "string"
        columns.append(column)
    return {"table": table.table, "view": table.view_name, "pk": table.pk, "sk": table.sk,
            "columns": columns, "key_types": keys}


def contract_specs(contract: Contract, catalog: Catalog) -> dict[str, dict]:
    return {t.table: table_spec(t, catalog) for t in contract.tables}


def entity_source(table: ContractTable, entity: Entity | None) -> str:
    return entity.source_table if entity else table.source_table
