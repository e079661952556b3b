"""Live checks of each table's attributes: source tables and columns exist, each join, calculation
and transformation is one the contract semantics define, with its SQL fragments resolved against
the tables in its scope; and what each attribute yields (value class, nullability, size) for the
key and size checks in validate_keys.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mysql2ddb.tools.contract.catalog import Catalog
from mysql2ddb.tools.contract.findings import AttrInfo
from mysql2ddb.tools.contract.validate_joins import check_calculation, check_join, check_transformation
from mysql2ddb.tools.contract.validate_scope import check_table_name, column_bytes, column_class, table_columns_remedy

if TYPE_CHECKING:
    from mysql2ddb.tools.contract.findings import Findings


def _avg(catalog: Catalog | None, table: str | None) -> int | None:
    if catalog is None or table is None or table not in catalog.stats:
        return None
    return catalog.stats[table].avg_row_length or None


def _plain_value(attr: dict[str, Any], info: AttrInfo, home: str, catalog: Catalog | None, out: "Findings") -> None:
    st, sc = attr.get("source_table"), attr.get("source_column")
    if isinstance(sc, list):
        if len(sc) != 1:
            out.error(f"{info.path}/source_column", "a plain attribute takes exactly one source column",
                      "name one column, or build the value with a case calculation (then: CONCAT(...))")
            return
        sc = sc[0]
    if st != home and isinstance(st, str):
        out.error(f"{info.path}/source_table",
                  f"a plain attribute reads the row of `{home}`, but names table `{st}`",
                  f"set source_table to `{home}`; to copy a column of `{st}`, add a foreign-key join to it")
        return
    if catalog is None or not isinstance(sc, str) or not catalog.has_table(home):
        return
    column = catalog.column(home, sc)
    if column is None:
        return  # reported by _source_columns
    info.value_class = column_class(column)
    info.nullable = column.nullable
    info.typical, info.worst = column_bytes(column, _avg(catalog, home))
    json_note = ", JSON" if column.is_json and column.data_type != "json" else ""
    info.source = f"column {home}.{column.name} ({column.column_type}{json_note})"


def _source_columns(attr: dict[str, Any], path: str, catalog: Catalog | None, out: "Findings") -> None:
    """§11: source_table/source_column must exist, even where they are informational."""
    st, sc = attr.get("source_table"), attr.get("source_column")
    if not check_table_name(catalog, st, f"{path}/source_table", out) or catalog is None:
        return
    columns = catalog.columns(st)
    names = sc if isinstance(sc, list) else [sc]
    for k, name in enumerate(names):
        if isinstance(name, str) and catalog.column(st, name) is None:
            where = f"{path}/source_column" + (f"/{k}" if isinstance(sc, list) else "")
            out.error(where, f"unknown column `{name}` in table `{st}`", table_columns_remedy(columns, name, st))


_TYPE_RULES: dict[str, tuple[set[str], set[str]]] = {
    # DynamoDB type -> (value classes that fit, classes that need care: warning); the rest is an error
    "N": ({"numeric", "bool"}, {"string"}),
    "S": ({"numeric", "bool", "string", "temporal", "set", "json"}, {"binary", "spatial"}),
    "B": ({"binary", "spatial"}, {"string", "json"}),
    "BOOL": ({"bool"}, {"numeric"}),
    "SS": ({"set"}, {"string", "json"}),
    "NS": (set(), {"json", "numeric"}),
    "BS": (set(), {"binary", "json"}),
    "M": ({"json"}, {"string"}),
    "L": ({"json"}, {"string"}),
}


def check_value_type(info: AttrInfo, out: "Findings") -> None:
    if info.type == "NULL":
        out.warn(f"{info.path}/type", f"attribute `{info.name}` has type NULL: it carries no value",
                 "give it the type of its source, or drop it")
        return
    if info.value_class is None or info.type not in _TYPE_RULES:
        return
    fits, careful = _TYPE_RULES[info.type]
    if info.value_class in fits:
        return
    source = info.source or f"a {info.value_class} value"
    if info.value_class in careful:
        out.warn(f"{info.path}/type", f"attribute `{info.name}` of type {info.type} comes from {source}",
                 f"rows whose value is not a valid {info.type} are rejected at copy time; check the type")
        return
    out.error(f"{info.path}/type", f"attribute `{info.name}` of type {info.type} cannot hold {source}",
              f"declare a type that fits a {info.value_class} value (S fits almost anything), or convert it in SQL")


def check_attribute(attr: Any, path: str, home: str | None, catalog: Catalog | None, out: "Findings",
                    entity: int | None = None) -> AttrInfo | None:
    if not isinstance(attr, dict) or not isinstance(attr.get("name"), str):
        return None
    info = AttrInfo(name=attr["name"], type=attr.get("type") if isinstance(attr.get("type"), str) else None,
                    path=path, entity=entity)
    if not info.name:
        out.error(f"{path}/name", "empty attribute name", "name the attribute")
    _source_columns(attr, path, catalog, out)
    join, calc, transformation = attr.get("join"), attr.get("calculation"), attr.get("transformation")
    if join is not None and calc is not None:
        out.error(path, f"attribute `{info.name}` has both a join and a calculation",
                  "keep one: a join copies a related column, a calculation derives a value")
    if home is None:
        return info
    if isinstance(join, dict):
        check_join(join, f"{path}/join", home, info, catalog, out)
    elif isinstance(calc, dict):
        check_calculation(calc, f"{path}/calculation", home, info, catalog, out)
    else:
        _plain_value(attr, info, home, catalog, out)
    if isinstance(transformation, dict):
        if join is not None or calc is not None:
            out.error(f"{path}/transformation", "a transformation applies to the source column of a plain attribute",
                      "drop it and format in the join's select_column or the calculation (e.g. DATE_FORMAT(...))")
        else:
            check_transformation(transformation, f"{path}/transformation", info, out)
    check_value_type(info, out)
    return info


def _duplicates(attrs: list[AttrInfo], reserved: set[str], out: "Findings", where: str) -> None:
    seen: dict[str, AttrInfo] = {}
    for info in attrs:
        if info.name in reserved:
            out.error(f"{info.path}/name", f"attribute `{info.name}` has the name of the table's key attribute",
                      "rename it: on a multi-entity table the key attributes are built from the templates")
        elif info.name in seen:
            out.error(f"{info.path}/name", f"duplicate attribute name `{info.name}` in {where} "
                      f"(first at {seen[info.name].path})", "give each attribute its own name, or drop one")
        else:
            seen[info.name] = info


def check_table(table: dict[str, Any], path: str, catalog: Catalog | None, out: "Findings") -> list[AttrInfo]:
    """Attribute checks of one table; returns every attribute's info (entities included)."""
    source = table.get("source_table")
    source_ok = check_table_name(catalog, source, f"{path}/source_table", out)
    attrs = table.get("attributes") if isinstance(table.get("attributes"), list) else []
    entities = table.get("entities") if isinstance(table.get("entities"), list) else []
    infos: list[AttrInfo] = []
    if table.get("type") == "multi-entity":
        if not entities:
            out.error(f"{path}/entities", "a multi-entity table has no entities",
                      "add one entity per source table (entity_type, source_table, pk_template, sk_template, attributes)")
        if attrs:
            out.error(f"{path}/attributes", "a multi-entity table declares its attributes per entity (§1)",
                      "move these attributes into the entities that carry them; leave `attributes: []`")
        first = entities[0].get("source_table") if entities and isinstance(entities[0], dict) else None
        if isinstance(first, str) and source != first:
            out.warn(f"{path}/source_table", f"source_table `{source}` is not the first entity's table `{first}` (§1)",
                     f"set source_table to `{first}`")
        keys = {k for k in (table.get("pk"), table.get("sk")) if isinstance(k, str)}
        for e, entity in enumerate(entities):
            if not isinstance(entity, dict):
                continue
            epath = f"{path}/entities/{e}"
            home = entity.get("source_table")
            home_ok = check_table_name(catalog, home, f"{epath}/source_table", out)
            mine = [check_attribute(a, f"{epath}/attributes/{j}", home if home_ok else None, catalog, out, e)
                    for j, a in enumerate(entity.get("attributes") or [])]
            mine = [m for m in mine if m is not None]
            _duplicates(mine, keys, out, f"entity `{entity.get('entity_type')}`")
            infos += mine
    else:
        if entities:
            out.error(f"{path}/entities", "entities belong to multi-entity tables",
                      'set "type": "multi-entity", or move the attributes into the table\'s `attributes`')
        if not attrs:
            out.error(f"{path}/attributes", "the table has no attributes", "list the attributes its items carry")
        home = source if source_ok else None
        infos = [i for j, a in enumerate(attrs)
                 if (i := check_attribute(a, f"{path}/attributes/{j}", home, catalog, out)) is not None]
        _duplicates(infos, set(), out, f"table `{table.get('table')}`")
    return infos


def check_tables(data: dict[str, Any], catalog: Catalog | None, out: "Findings") -> list[str]:
    from mysql2ddb.tools.contract.validate_keys import check_keys, check_table_name_rules

    tables = data.get("tables")
    if not isinstance(tables, list):
        return []
    seen: dict[str, int] = {}
    checked = []
    for i, table in enumerate(tables):
        if not isinstance(table, dict):
            continue
        path = f"/tables/{i}"
        name = table.get("table")
        if isinstance(name, str):
            if name in seen:
                out.error(f"{path}/table", f"duplicate table name `{name}` (also /tables/{seen[name]})",
                          "give each DynamoDB table its own name, or merge the two")
            seen.setdefault(name, i)
            check_table_name_rules(name, f"{path}/table", "table", out)
            checked.append(name)
        infos = check_table(table, path, catalog, out)
        check_keys(table, path, infos, catalog, out)
    return checked
