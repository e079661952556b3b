"""Reading a design and what it is checked against. A design arrives as JSON (from the assistant
or a file); shape errors come back all at once with JSON pointer paths. The schema analysis,
the access-pattern registry and optional measured item sizes are read from the workspace."""

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


def load_schema(workspace: Any) -> Any:
    """The schema analysis as its model (or None when analyze_schema has not run)."""
    if not workspace.exists(SCHEMA_ARTIFACT):
        return None
    data = workspace.read_json(SCHEMA_ARTIFACT)
    try:
        from mysql2ddb.tools.analysis.schema_model import SchemaAnalysis

        return SchemaAnalysis.model_validate(data)
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
