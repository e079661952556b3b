"""Reading a design and what it is checked against. A design arrives as JSON (from the assistant
or a file); shape errors come back all at once with JSON pointer paths, and a design that maps
nothing (no tables, a table without entities or attributes, none of the schema's tables) is
refused before anything is written. The schema analysis, the access-pattern registry and optional
measured item sizes are read from the workspace."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mysql2ddb.tools.core.errors import DesignError, NotFoundError
from mysql2ddb.tools.modeling.design import Design

DESIGN_ARTIFACT = "design.json"
VALIDATION_ARTIFACT = "design_validation.json"
COST_ARTIFACT = "design_cost.json"
SCHEMA_ARTIFACT = "analysis/schema.json"
ITEM_SIZES_ARTIFACT = "item_sizes.json"


def pointer(loc: tuple[Any, ...]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in loc) or "/"


def parse_design(data: Any, *, where: str = "design") -> Design:
    """A Design from a dict, JSON text or a file path; every shape error listed with its path."""
    if isinstance(data, Path):
        try:
            data = json.loads(data.read_text())
        except (OSError, ValueError) as exc:
            raise DesignError(f"cannot read the design: {exc}", where=str(data),
                              remedy="give a JSON file shaped like tests/data/sakila_design.json") from None
    elif isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise DesignError(f"the design is not JSON: {exc}", where=where, remedy="send the design as a JSON object")
    try:
        return Design.model_validate(data)
    except ValidationError as exc:
        errors = [{"path": pointer(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        listed = "; ".join(f"{e['path']}: {e['message']}" for e in errors[:8])
        more = f" (and {len(errors) - 8} more)" if len(errors) > 8 else ""
        raise DesignError(f"{len(errors)} problem(s) in the design: {listed}{more}", where=where,
                          remedy="fix each listed path; schemas/design.schema.json describes the shape",
                          details={"errors": errors}) from None


def require_mapping(design: Design, schema: Any = None, *, where: str = "design") -> Design:
    """Refuse a design that would migrate nothing: no tables, a table with no entity, an entity with
    no attributes, or (with the schema analysis) none of the schema's tables mapped."""
    if not design.tables:
        raise DesignError("the design has no tables: it would migrate nothing", where=f"{where}: /tables",
                          remedy="give at least one table with its keys and the entities (MySQL tables) it holds; "
                                 "recommend_design builds a baseline to start from")
    for i, table in enumerate(design.tables):
        if not table.entities:
            raise DesignError(f"table {table.name!r} maps no entity", where=f"{where}: /tables/{i}/entities",
                              remedy="list the MySQL table(s) whose rows become its items, each with its attributes; "
                                     "or remove the table")
        for j, entity in enumerate(table.entities):
            if not entity.attributes:
                raise DesignError(f"entity {entity.name!r} of table {table.name!r} has no attributes",
                                  where=f"{where}: /tables/{i}/entities/{j}/attributes",
                                  remedy="list the item's attributes (each with its source column, join or "
                                         "calculation), at least the key attributes")
    if schema is not None:
        from mysql2ddb.tools.modeling.inputs import schema_facts

        known = {name.lower() for name in schema_facts(schema).tables}
        sources = sorted({e.source_table for t in design.tables for e in t.entities})
        if known and not any(s.lower() in known for s in sources):
            raise DesignError(f"the design maps none of the schema's tables (its sources: {', '.join(sources)})",
                              where=f"{where}: /tables/0/entities/0/source_table",
                              remedy="name the analysed MySQL tables as entity source_table "
                                     f"(e.g. {', '.join(sorted(schema_facts(schema).tables)[:5])})")
    return design


def check_item_sizes(given: Any, *, where: str = "item_sizes") -> dict[str, Any] | None:
    """Measured sizes given by a caller: {table: {avg_bytes, max_bytes, items}} (or a number of bytes)."""
    from mysql2ddb.tools.modeling.sizes import _coerce

    if given is None:
        return None
    if not isinstance(given, dict):
        raise DesignError("item sizes must be an object {table: {avg_bytes, max_bytes, items}}", where=where,
                          remedy="give measured sizes per design table, or leave them out (measure_item_sizes "
                                 "measures them from the data)")
    for table, value in given.items():
        try:
            _coerce(value)
        except (TypeError, ValueError) as exc:
            first = exc.errors()[0] if isinstance(exc, ValidationError) else {"loc": (), "msg": str(exc)}
            raise DesignError(f"item size of {table!r}: {first['msg']}", where=f"{where}: {pointer((table, *first['loc']))}",
                              remedy="give {avg_bytes: number, max_bytes: number, items: integer}") from None
    return given


def load_schema(workspace: Any) -> Any:
    """The schema analysis as its model (or None when analyze_schema has not run), with the keys the
    user chose for tables without one (table_keys.json, tools/modeling/table_keys.py)."""
    if not workspace.exists(SCHEMA_ARTIFACT):
        return None
    data = workspace.read_json(SCHEMA_ARTIFACT)
    try:
        from mysql2ddb.tools.analysis.schema_model import SchemaAnalysis
        from mysql2ddb.tools.modeling.table_keys import load_table_keys, with_choices

        return with_choices(SchemaAnalysis.model_validate(data), load_table_keys(workspace))
    except (ImportError, ValidationError):
        return data  # read through tools/modeling/inputs.py, whatever its exact shape


def load_patterns(workspace: Any) -> list[Any]:
    from mysql2ddb.tools.modeling.registry import load_registry

    return list(load_registry(workspace).patterns)


def load_item_sizes(workspace: Any, given: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Measured sizes passed in, else the workspace's item_sizes.json, else None (estimated)."""
    if given is not None:
        return given
    return workspace.read_json(ITEM_SIZES_ARTIFACT) if workspace.exists(ITEM_SIZES_ARTIFACT) else None


def load_design(workspace: Any, data: Any = None) -> Design:
    """The design given inline, else the workspace's design.json."""
    if data is not None:
        return parse_design(data)
    if not workspace.exists(DESIGN_ARTIFACT):
        raise NotFoundError("no design submitted yet", where=DESIGN_ARTIFACT,
                            remedy="submit one with `submit_design` (or `recommend_design` for a baseline)")
    return parse_design(workspace.read_json(DESIGN_ARTIFACT), where=DESIGN_ARTIFACT)
