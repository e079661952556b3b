"""MCP prompts: each tells the assistant what to do next and which tool to call, filled with
the workspace's current state."""

from __future__ import annotations

from fastmcp import FastMCP

from mysql2ddb.prompts import render
from mysql2ddb.server.adapters.common import Deps
from mysql2ddb.tools.usecases.workflow import workflow_status


def _patterns_missing_rps(deps: Deps) -> tuple[int, list[str]]:
    ws = deps.workspace
    if not ws.exists("access_patterns.json"):
        return 0, []
    data = ws.read_json("access_patterns.json")
    patterns = data.get("patterns", data) if isinstance(data, dict) else data
    missing = [p.get("id", "?") for p in patterns if p.get("rps_peak") is None]
    return len(patterns), missing


def register(app: FastMCP, deps: Deps) -> None:
    @app.prompt(name="start_migration", description="Start a MySQL to DynamoDB migration and follow it to the end.")
    def start_migration(dsn_hint: str = "", log_hint: str = "") -> str:
        status = workflow_status(deps.workspace)
        return render("start_migration.md.j2", workdir=str(deps.workspace.root), status_summary=status.summary(),
                      next_step=status.next_step or "none", next_tool=status.next_tool or "status",
                      dsn_hint=dsn_hint, log_hint=log_hint)

    @app.prompt(name="analyze", description="Analyse the live schema and the query logs (read-only).")
    def analyze(dsn_hint: str = "", log_hint: str = "") -> str:
        return render("analyze.md.j2", dsn_hint=dsn_hint, log_hint=log_hint)

    @app.prompt(name="model", description="Design the DynamoDB data model from the access patterns.")
    def model() -> str:
        count, missing = _patterns_missing_rps(deps)
        return render("model.md.j2", pattern_count=count, missing_rps=missing)

    @app.prompt(name="review_gates", description="Walk the user through the approval gates in order.")
    def review_gates() -> str:
        status = workflow_status(deps.workspace)
        gates = [{"name": s.tool.split("'")[1], "state": s.detail} for s in status.steps if s.tool.startswith("review_gate")]
        all_approved = all(s.done for s in status.steps if s.tool.startswith("review_gate"))
        return render("review_gates.md.j2", gates=gates, all_approved=all_approved)

    @app.prompt(name="execute", description="Plan, confirm and run the migration, then report.")
    def execute(contract_path: str = "contract.json", endpoint: str = "") -> str:
        return render("execute.md.j2", contract_path=contract_path, endpoint=endpoint)

    @app.prompt(name="recover_failed_run", description="Recover from a failed or interrupted migration run.")
    def recover_failed_run(run_id: str = "") -> str:
        runs = {r["run_id"]: r["state"] for r in workflow_status(deps.workspace).runs}
        if not run_id and runs:
            run_id = sorted(runs)[-1]
        return render("recover_failed_run.md.j2", run_id=run_id, run_state=runs.get(run_id, "unknown"))
