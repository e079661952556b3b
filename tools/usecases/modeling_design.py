"""Stage 2 use cases, part two: the DynamoDB design, submitted, validated, priced, measured, checked
for hot partitions, weighed against alternatives and rendered, for both front ends.

Inputs are resolved here once:
- the design: inline (MCP), a file the caller may read (`req.readable`: the CLI names any file, an
  MCP caller only the workspace and MYSQL2DDB_READ_DIRS), else the workspace's design.json; a design
  that maps nothing (no tables, a table without entities or attributes, none of the schema's
  tables) is refused with its JSON path before anything is written;
- the schema analysis, patterns, item sizes and price sheet: the workspace's (and settings'), or
  files the caller names; item sizes given inline are checked field by field;
- the database for measuring: `req.dsn`.
`submit_design` makes the design current through tools/modeling/versions.py: an approved previous
design is kept under versions/, an identical one is a no-op, and the result names the approvals
that became stale. Tools reading a design from a file (the CLI) store no workspace artifacts but
the ones asked for (item sizes, the data model).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.errors import InputError
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.modeling import design_io
from mysql2ddb.tools.modeling.design import Design
from mysql2ddb.tools.modeling.validate_design import DesignValidation
from mysql2ddb.tools.modeling.versions import Stored, store
from mysql2ddb.tools.usecases.modeling import Modeled
from mysql2ddb.tools.usecases.request import Request


@dataclass
class DesignInputs:
    design: Design
    schema: Any
    patterns: list[Any]
    sizes: dict[str, Any] | None
    from_file: bool = False


class SubmittedDesign(DesignValidation):
    """The submitted design's validation, and what making it current did."""

    stored: Stored | None = None

    def summary(self) -> str:
        note = self.stored.note() if self.stored is not None else ""
        return (note + "\n\n" if note else "") + super().summary()


class RenderedModel(BaseModel):
    path: str
    valid: bool
    on_demand_usd: float
    provisioned_usd: float
    text: str = ""

    def summary(self) -> str:
        return f"{self.text}\n\nWrote `{self.path}`."

    def tables(self) -> list[Table]:
        return []


def _json_file(req: Request, path: str | Path, what: str, where: str) -> Any:
    target = req.readable(path, where)
    try:
        return json.loads(target.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the {what}: {exc}", where=where, remedy=f"give a JSON {what} file") from None


def inputs(req: Request, design: dict[str, Any] | None = None, *, design_path: str | Path | None = None,
           item_sizes: dict[str, Any] | None = None, schema_path: str | Path | None = None,
           patterns_path: str | Path | None = None, sizes_path: str | Path | None = None) -> DesignInputs:
    """The design and what it is checked against (see the module doc)."""
    ws = req.workspace
    given = _json_file(req, sizes_path, "item sizes", "--sizes") if sizes_path else item_sizes
    given = design_io.check_item_sizes(given, where="--sizes" if sizes_path else "item_sizes")
    schema = _json_file(req, schema_path, "schema analysis", "--schema") if schema_path else design_io.load_schema(ws)
    if design_path is not None:
        parsed = design_io.parse_design(req.readable(design_path, "design file"), where=str(design_path))
    else:
        parsed = design_io.load_design(ws, design)
    design_io.require_mapping(parsed, schema, where=str(design_path) if design_path else "design")
    if patterns_path:
        data = _json_file(req, patterns_path, "access patterns", "--patterns")
        patterns = data.get("patterns", []) if isinstance(data, dict) else data
    else:
        patterns = design_io.load_patterns(ws)
    return DesignInputs(parsed, schema, patterns, design_io.load_item_sizes(ws, given),
                        from_file=design_path is not None)


def prices(req: Request, path: str | Path | None = None) -> Any:
    from mysql2ddb.tools.core.pricing import load_prices

    return load_prices(req.readable(path, "--prices") if path else req.settings.prices_file)


def _validation(req: Request, i: DesignInputs, persist: bool) -> DesignValidation:
    from mysql2ddb.tools.modeling.validate_design import validate_design as run

    outcome = run(i.design, i.schema, i.patterns, i.sizes)
    if persist:
        req.workspace.write_json(design_io.VALIDATION_ARTIFACT, outcome)
    return outcome


async def submit_design(req: Request, design: dict[str, Any], item_sizes: dict[str, Any] | None = None) -> Modeled:
    """Check the design's shape and mapping, make it the current design.json, validate it."""
    i = inputs(req, design, item_sizes=item_sizes)  # refuses before anything is written
    stored = store(req.workspace, design_io.DESIGN_ARTIFACT, i.design)
    outcome = await asyncio.to_thread(_validation, req, i, True)
    submitted = SubmittedDesign.model_construct(**dict(outcome), stored=stored)
    return Modeled(submitted, [design_io.DESIGN_ARTIFACT, design_io.VALIDATION_ARTIFACT])


async def validate_design(req: Request, design: dict[str, Any] | None = None, **sources: Any) -> Modeled:
    i = inputs(req, design, **sources)
    outcome = await asyncio.to_thread(_validation, req, i, not i.from_file)
    return Modeled(outcome, [] if i.from_file else [design_io.VALIDATION_ARTIFACT])


async def estimate_cost(req: Request, design: dict[str, Any] | None = None, *, target_utilization: float = 0.7,
                        prices_path: str | Path | None = None, **sources: Any) -> Modeled:
    from mysql2ddb.tools.modeling.cost import estimate_cost as run

    if not 0 < target_utilization <= 1:
        raise InputError(f"target utilization {target_utilization} is not in (0, 1]", where="target_utilization",
                         remedy="give the share of provisioned capacity to use at peak, e.g. 0.7")
    i = inputs(req, design, **sources)
    report = await asyncio.to_thread(run, i.design, i.patterns, i.schema, i.sizes, prices(req, prices_path),
                                     target_utilization)
    if i.from_file:
        return Modeled(report)
    req.workspace.write_json(design_io.COST_ARTIFACT, report)
    return Modeled(report, [design_io.COST_ARTIFACT])


async def measure_item_sizes(req: Request, design: dict[str, Any] | None = None, dsn: str | None = None, *,
                             prices_path: str | Path | None = None, **sources: Any) -> Modeled:
    """Item sizes from the data (read-only on MySQL), written to item_sizes.json."""
    from mysql2ddb.tools.usecases.measure_sizes import measure_item_sizes as run

    target = req.dsn(dsn, where="measure_item_sizes: dsn")
    i = inputs(req, design, **sources)
    measured = await asyncio.to_thread(run, i.design, target, schema=i.schema, prices=prices(req, prices_path),
                                       progress=req.progress)
    req.workspace.write_json(design_io.ITEM_SIZES_ARTIFACT, measured.item_sizes())
    return Modeled(measured, [design_io.ITEM_SIZES_ARTIFACT])


async def hot_partitions(req: Request, design: dict[str, Any] | None = None, **sources: Any) -> Modeled:
    from mysql2ddb.tools.modeling.hot_partitions import analyze_hot_partitions as run

    i = inputs(req, design, **sources)
    return Modeled(await asyncio.to_thread(run, i.design, i.schema, i.patterns, i.sizes))


async def alternatives(req: Request, design: dict[str, Any] | None = None, **sources: Any) -> Modeled:
    from mysql2ddb.tools.modeling.alternatives import design_alternatives as run

    i = inputs(req, design, **sources)
    return Modeled(await asyncio.to_thread(run, i.design, i.patterns, i.schema, i.sizes, prices(req)))


async def render_data_model(req: Request, design: dict[str, Any] | None = None, *, out: str | Path | None = None,
                            prices_path: str | Path | None = None, **sources: Any) -> Modeled:
    """dynamodb_data_model.md for the design, in the workspace (or at `out`, for the CLI user)."""
    from mysql2ddb.tools.modeling.render_model import ARTIFACT, analyze_design, render_data_model as render

    if out is not None and req.caller is not Caller.CLI:
        raise InputError("an output path is for the CLI", where="render_data_model: out",
                         remedy="leave it out: the data model is written to the workspace")
    i = inputs(req, design, **sources)
    sheet = prices(req, prices_path)

    def build() -> tuple[str, Any]:
        from mysql2ddb.tools.usecases.review_extras import design_examples

        analysis = analyze_design(i.design, i.schema, i.patterns, i.sizes, sheet)
        examples = design_examples(req, i.design, i.schema, i.sizes)  # real rows, when a database is configured
        return render(i.design, analysis, i.patterns, examples), analysis

    text, analysis = await asyncio.to_thread(build)
    written: list[str] = []
    if out is not None:
        Path(out).write_text(text)
        path = str(out)
    else:
        req.workspace.write_text(ARTIFACT, text)
        path, written = ARTIFACT, [ARTIFACT]
    if not i.from_file:
        req.workspace.write_json(design_io.VALIDATION_ARTIFACT, analysis.validation)
        written.append(design_io.VALIDATION_ARTIFACT)
    summary = analysis.validation.summary().split("\n\n")[0] + "\n\n" + analysis.cost.summary()
    return Modeled(RenderedModel(path=path, valid=analysis.validation.valid, on_demand_usd=analysis.cost.on_demand_usd,
                                 provisioned_usd=analysis.cost.provisioned_usd, text=summary), written)
