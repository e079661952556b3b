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
from mysql2ddb.tools.usecases.workflow import require, workflow_status


def test_empty_workspace_starts_with_schema_analysis(tmp_path):
    status = workflow_status(Workspace(tmp_path))
    assert status.next_step == "schema analysed" and status.next_tool == "analyze_schema"


def test_table_gates_follow_the_design_and_out_of_order_is_refused(tmp_path):
    ws = Workspace(tmp_path)
    for rel in ("analysis/schema.json", "analysis/query_log.json", "access_patterns.json"):
        ws.write_json(rel, {})
    ws.write_json("design.json", {"tables": [{"name": "Films"}, {"name": "Actors"}]})
    ws.write_json("approvals.json", {"records": [{"gate": "requirements", "decision": "approved"}]})
    status = workflow_status(ws)
    assert status.next_step == "table Films approved"
    with pytest.raises(WorkflowError) as info:
        require(ws, "contract approved", for_what="migrate")
    assert "review_gate" in info.value.remedy


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
