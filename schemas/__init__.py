"""JSON Schemas of every artifact, generated from the pydantic models (the single source).

`python -m mysql2ddb.schemas` (or `make schemas`) rewrites them; tests/test_schemas.py fails
when a committed schema drifts from its model. `reference_migration_contract.schema.json` is
the upstream reference schema (MIT-0), kept verbatim: our contracts must validate under it.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# file name -> "module:Model"
MODELS: dict[str, str] = {
    "migration_contract.schema.json": "mysql2ddb.tools.contract.model:Contract",
    "approvals.schema.json": "mysql2ddb.tools.core.approvals:ApprovalLog",
    "schema_analysis.schema.json": "mysql2ddb.tools.analysis.schema_model:SchemaAnalysis",
    "query_log.schema.json": "mysql2ddb.tools.analysis.logs.model:LogAnalysis",
    "contract_validation.schema.json": "mysql2ddb.tools.contract.validate:ContractValidation",
    "design.schema.json": "mysql2ddb.tools.modeling.design:Design",
    "design_validation.schema.json": "mysql2ddb.tools.modeling.validate_design:DesignValidation",
    "design_cost.schema.json": "mysql2ddb.tools.modeling.cost:CostReport",
    "copy_table_state.schema.json": "mysql2ddb.tools.execution.checkpoint:TableState",
    "run_settings.schema.json": "mysql2ddb.tools.execution.rundir:RunSettings",
    "access_patterns.schema.json": "mysql2ddb.tools.modeling.registry:Registry",
    "copy_plan.schema.json": "mysql2ddb.tools.execution.plan:CopyPlan",
    "migration_report.schema.json": "mysql2ddb.tools.execution.report:MigrationReport",
    "replay_report.schema.json": "mysql2ddb.tools.replay.report:ReplayReport",
    "cdc_state.schema.json": "mysql2ddb.tools.cdc.follow:CdcState",
    "cutover_report.schema.json": "mysql2ddb.tools.usecases.live:CutoverReport",
}


def model_schema(target: str) -> dict[str, Any]:
    module_name, _, attr = target.partition(":")
    model = getattr(importlib.import_module(module_name), attr)
    schema = model.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def render(target: str) -> str:
    return json.dumps(model_schema(target), indent=2, sort_keys=True) + "\n"


def generate() -> list[Path]:
    written = []
    for name, target in MODELS.items():
        path = HERE / name
        path.write_text(render(target))
        written.append(path)
    return written
