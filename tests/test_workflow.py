"""Workflow state is read from the workspace, survives a restart, and names the next step."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mysql2ddb.tools.core.errors import WorkflowError
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.execution.checkpoint import TableState
from mysql2ddb.tools.execution.rundir import RunDir
from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.approvals import record_approval
from mysql2ddb.tools.modeling.gate_views import current_sha256
from mysql2ddb.tools.usecases.workflow import require, workflow_status


def test_empty_workspace_starts_with_schema_analysis(tmp_path):
    status = workflow_status(Workspace(tmp_path))
    assert status.next_step == "schema analysed" and status.next_tool == "analyze_schema"


def _approve(ws: Workspace, gate: str) -> None:
    record_approval(ws, gate, None, "approved", None, None, current_sha256(ws, gate), via="test")


def _modeled(ws: Workspace, *, source: str = "log") -> None:
    ws.write_json("analysis/schema.json", {})
    if source == "log":
        ws.write_json("analysis/query_log.json", {})
    ws.write_json("access_patterns.json", {"patterns": [{"id": "AP1", "source": source, "rps_peak": 5.0}]})
    _approve(ws, "requirements")
    ws.write_json("design.json", {"tables": [{"name": "Films"}, {"name": "Actors"}]})
    ws.write_text("dynamodb_data_model.md", "# the design\n")


def test_table_gates_follow_the_design_and_out_of_order_is_refused(tmp_path):
    ws = Workspace(tmp_path)
    _modeled(ws)
    status = workflow_status(ws)
    assert status.next_step == "table Films approved"
    assert status.next_tool == "review_gate(gate='table:Films')"
    with pytest.raises(WorkflowError) as info:
        require(ws, "contract approved", for_what="migrate")
    assert "review_gate" in info.value.remedy


def test_schema_only_path_skips_the_log_and_asks_for_rates(tmp_path):
    ws = Workspace(tmp_path)
    ws.write_json("analysis/schema.json", {})
    status = workflow_status(ws)
    assert status.next_step == "query log analysed"
    assert status.steps[1].alternative_tool == "build_access_patterns(source='schema')"
    assert "(or `build_access_patterns(source='schema')`)" in status.summary()
    ws.write_json("access_patterns.json", {"patterns": [{"id": "AP1", "source": "schema", "rps_peak": None}]})
    status = workflow_status(ws)
    log_step = next(s for s in status.steps if s.name == "query log analysed")
    assert log_step.state == "skipped"
    assert status.next_tool == "set_pattern_rps(pattern_id='AP1', rps_peak=<from the user>)"
    assert status.next_command == "mysql2ddb model patterns set-rps AP1 --peak <rate>"


def test_a_changed_design_makes_its_approvals_stale(tmp_path):
    ws = Workspace(tmp_path)
    _modeled(ws, source="schema")
    for gate in ("table:Films", "table:Actors", "design"):
        _approve(ws, gate)
    assert workflow_status(ws).next_step == "contract generated"
    ws.write_json("design.json", {"tables": [{"name": "Films", "purpose": "changed"}, {"name": "Actors"}]})
    status = workflow_status(ws)
    assert status.next_step == "table Films approved"
    films = next(s for s in status.steps if s.name == "table Films approved")
    assert films.state == "stale" and "changed" in films.detail
    cli = workflow_status(ws, Caller.CLI)
    assert cli.summary().endswith("run `mysql2ddb gates approve table:Films`.")
    assert "review_gate(gate='table:Films')" in status.summary()
    assert "REQUEST_" not in status.model_dump_json()


async def test_status_tool_and_cli_agree(mcp_client, settings):
    res = await mcp_client.call_tool("status", {})
    assert res.structured_content["next_tool"] == "analyze_schema"
    proc = subprocess.run([sys.executable, "-m", "mysql2ddb", "--workdir", str(settings.workdir), "status", "--json"],
                          capture_output=True, text=True, timeout=60)
    assert json.loads(proc.stdout)["next_step"] == "schema analysed"


def test_runs_show_their_state_tables_and_items(tmp_path):
    ws = Workspace(tmp_path)
    ws.write_json("runs/20260101-000000-aaaaaa/report.json",
                  {"verify": {"ok": True}, "total": {"tables": 2, "written": 15}})
    interrupted_run = RunDir.create(ws.root, {"tables": []}, run_id="20260102-000000-bbbbbb")
    for table, written in (("Films", 40), ("Actors", 2)):
        interrupted_run.save_state(TableState(table=table, view=f"ddb_{table.lower()}_view", spec_sha256="0" * 64,
                                              key_columns=["id"], written=written))
    finished, interrupted = workflow_status(ws).runs
    assert finished == {"run_id": "20260101-000000-aaaaaa", "state": "verified", "tables": 2, "written": 15}
    assert interrupted["state"].startswith("in progress") and (interrupted["tables"], interrupted["written"]) == (2, 42)
