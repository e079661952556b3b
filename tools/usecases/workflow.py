"""Where a migration stands, read from the workspace itself (artifacts, approvals, runs), so
the state survives a restart and cannot disagree with what is on disk.

`workflow_status` tells the assistant and the user which steps are done and what comes next;
`require` is what tools call to refuse an out-of-order step with a remedy naming the missing one.
"""

from __future__ import annotations

import json
from typing import Callable

from pydantic import BaseModel

from mysql2ddb.tools.core.errors import WorkflowError
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.core.workspace import Workspace


class Step(BaseModel):
    name: str
    stage: str
    done: bool
    detail: str = ""
    tool: str
    cli: str


class WorkflowStatus(BaseModel):
    workdir: str
    steps: list[Step]
    next_step: str | None
    next_tool: str | None
    runs: list[dict] = []

    def summary(self) -> str:
        if self.next_step is None:
            return "Every step is done: the migration is verified."
        return f"Next: **{self.next_step}** (tool `{self.next_tool}`)."

    def tables(self) -> list[Table]:
        rows = [[s.stage, s.name, "done" if s.done else "", s.detail, s.tool] for s in self.steps]
        out = [Table("Migration status", ["stage", "step", "state", "detail", "tool"], rows)]
        if self.runs:
            out.append(Table("Runs", ["run", "state", "tables", "items written"],
                             [[r["run_id"], r["state"], r["tables"], f"{r['written']:,}"] for r in self.runs]))
        return out


def _approvals(ws: Workspace) -> list[dict]:
    if not ws.exists("approvals.json"):
        return []
    data = ws.read_json("approvals.json")
    return data.get("records", data) if isinstance(data, dict) else data


def _latest_decision(ws: Workspace, gate: str) -> str | None:
    decision = None
    for record in _approvals(ws):
        if record.get("gate") == gate:
            decision = record.get("decision")
    return decision


def _design_tables(ws: Workspace) -> list[str]:
    if not ws.exists("design.json"):
        return []
    return [t.get("name") for t in ws.read_json("design.json").get("tables", [])]


def _runs(ws: Workspace) -> list[dict]:
    from mysql2ddb.tools.execution.rundir import RUNS_DIR, RunDir

    runs = []
    for run_id in RunDir.list_runs(ws.root):
        run = RunDir(ws.path(RUNS_DIR) / run_id, run_id)
        if run.report_path.is_file():
            data = json.loads(run.report_path.read_text())
            ok = (data.get("verify") or {}).get("ok")
            state = "verified" if ok else ("finished, not verified" if ok is None else "verification failed")
            total = data.get("total") or {}
            tables, written = total.get("tables", 0), total.get("written", 0)
        else:
            state = "in progress or interrupted (resume with --resume)"
            states = run.states().values()  # the checkpoints: what is acknowledged so far
            tables, written = len(states), sum(s.written for s in states)
        runs.append({"run_id": run_id, "state": state, "tables": tables, "written": written})
    return runs


def _gate_step(ws: Workspace, gate: str) -> tuple[bool, str]:
    decision = _latest_decision(ws, gate)
    return decision == "approved", decision or "not asked yet"


def workflow_status(ws: Workspace) -> WorkflowStatus:
    checks: list[tuple[str, str, Callable[[], tuple[bool, str]], str, str]] = [
        ("analysis", "schema analysed", lambda: (ws.exists("analysis/schema.json"), "analysis/schema.json"),
         "analyze_schema", "mysql2ddb analyze schema"),
        ("analysis", "query log analysed", lambda: (ws.exists("analysis/query_log.json"), "analysis/query_log.json"),
         "analyze_query_log", "mysql2ddb analyze log"),
        ("modeling", "access patterns registered", lambda: (ws.exists("access_patterns.json"), "access_patterns.json"),
         "build_access_patterns", "mysql2ddb model patterns build"),
        ("modeling", "requirements confirmed", lambda: _gate_step(ws, "requirements"),
         "review_gate(gate='requirements')", "mysql2ddb gates approve requirements"),
        ("modeling", "design submitted", lambda: (ws.exists("design.json"), "design.json"),
         "submit_design / recommend_design", "mysql2ddb model recommend"),
    ]
    for table in _design_tables(ws):
        gate = f"table:{table}"
        checks.append(("modeling", f"table {table} approved", lambda g=gate: _gate_step(ws, g),
                       f"review_gate(gate='{gate}')", f"mysql2ddb gates approve {gate}"))
    checks += [
        ("modeling", "design approved", lambda: _gate_step(ws, "design"),
         "review_gate(gate='design')", "mysql2ddb gates approve design"),
        ("modeling", "contract generated", lambda: (ws.exists("contract.json"), "contract.json"),
         "generate_contract", "mysql2ddb model contract"),
        ("modeling", "contract approved", lambda: _gate_step(ws, "contract"),
         "review_gate(gate='contract')", "mysql2ddb gates approve contract"),
    ]
    steps = []
    for stage, name, check, tool, cli in checks:
        done, detail = check()
        steps.append(Step(name=name, stage=stage, done=done, detail=detail, tool=tool, cli=cli))
    runs = _runs(ws)
    verified = any(r["state"] == "verified" for r in runs)
    steps.append(Step(name="migration verified", stage="execution", done=verified,
                      detail=runs[-1]["state"] if runs else "no run yet", tool="migrate", cli="mysql2ddb migrate"))
    pending = next((s for s in steps if not s.done), None)
    return WorkflowStatus(
        workdir=str(ws.root), steps=steps, runs=runs,
        next_step=pending.name if pending else None, next_tool=pending.tool if pending else None,
    )


def require(ws: Workspace, step_name: str, *, for_what: str) -> None:
    """Refuse `for_what` unless `step_name` is done, naming the step and its tool."""
    status = workflow_status(ws)
    step = next((s for s in status.steps if s.name == step_name), None)
    if step is None or step.done:
        return
    raise WorkflowError(
        f"{for_what} needs '{step_name}' first",
        where=f"workflow ({ws.root})",
        remedy=f"run `{step.tool}` (CLI: `{step.cli}`), then retry",
    )
