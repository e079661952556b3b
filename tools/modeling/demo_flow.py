"""The modeling stage as `mysql2ddb demo` runs it: registry from the log analysis, context
document, recommended design, its validation, cost and data model, and the gates answered by
the demo itself (each record says so; a real user answers through review_gate or the CLI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.modeling import design_io, gate_views, steps
from mysql2ddb.tools.modeling.versions import store
from mysql2ddb.tools.core.approvals import record_approval
from mysql2ddb.tools.core.pricing import load_prices


def _approve(ws: Workspace, gate: str, note: str) -> None:
    """The demo approves exactly what the gate shows, bound to its hash, and says who answered."""
    view = gate_views.gate_view(ws, gate)
    record_approval(ws, view.gate, view.subject, "approved", note, None, view.artifact_sha256, via="demo")


def model_and_approve(schema: Any, logs: Any, ws: Workspace, *, note: str) -> Any:
    """Run the modeling steps on the workspace's analysis artifacts; return the design validation."""
    from mysql2ddb.tools.modeling.render_model import ARTIFACT, analyze_design, render_data_model

    steps.build_patterns(ws)
    _approve(ws, "requirements", note)
    steps.write_context(ws)
    recommendation = steps.recommend(ws)
    design = design_io.load_design(ws, None)
    patterns = design_io.load_patterns(ws)
    analysis = analyze_design(design, design_io.load_schema(ws), patterns, design_io.load_item_sizes(ws), load_prices())
    ws.write_text(ARTIFACT, render_data_model(design, analysis, patterns))
    for table in gate_views.table_order(ws):
        _approve(ws, f"table:{table}", note)
    _approve(ws, "design", note)
    return recommendation.validation


async def adopt_contract(ws: Workspace, path: Path, dsn: Any, *, note: str) -> Any:
    """Make the shared contract the workspace's contract.json (an approved earlier one is kept as a
    version), validate it against the live database and approve it; the validation when invalid."""
    from mysql2ddb.tools.contract.load import load_contract
    from mysql2ddb.tools.contract.validate import validate_contract

    contract = load_contract(path)
    validation = await validate_contract(contract.dump(), dsn)
    if not validation.valid:
        return validation
    store(ws, "contract.json", contract.dump())
    _approve(ws, "contract", note)
    return contract
