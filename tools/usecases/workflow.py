"""Where a migration stands, derived from the workspace alone (artifacts, approvals, runs), so the
state survives a restart and cannot disagree with what is on disk. One derivation serves every path
(query log, schema only, CLI only, chat) and both front ends:

- a step is `done`, `skipped` (on purpose: no query log when the patterns came from the schema),
  `stale` (approved, but the artifact changed since) or `pending`;
- the next step is the first pending or stale one, named as an MCP tool call for the assistant and
  as a CLI command for a person, never as an internal code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, computed_field

from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.errors import WorkflowError
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.core.workspace import Workspace

if TYPE_CHECKING:
    from mysql2ddb.tools.usecases.request import Request

StepState = Literal["done", "skipped", "stale", "pending"]


class Step(BaseModel):
    name: str
    stage: str
    state: StepState
    detail: str = ""
    tool: str  # the MCP tool call that does it
    cli: str  # the CLI command that does it
    alternative_tool: str | None = None  # another way to the same place (no query log: patterns from the schema)
    alternative_cli: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def done(self) -> bool:
        return self.state in ("done", "skipped")


class WorkflowStatus(BaseModel):
    workdir: str
    steps: list[Step]
    next_step: str | None
    next_tool: str | None
    next_command: str | None
    audience: Caller = Caller.MCP
    runs: list[dict] = []
    local_endpoint: str | None = None  # the workspace's running local endpoint (tools/usecases/local_endpoint.py)

    def summary(self) -> str:
        if self.next_step is None:
            return "Every step is done: the migration is verified."
        step = next(s for s in self.steps if s.name == self.next_step)
        why = f" ({step.detail})" if step.state == "stale" else ""
        if self.audience is Caller.CLI:
            other = f" (or `{step.alternative_cli}`)" if step.alternative_cli else ""
            return f"Next: **{self.next_step}**{why}: run `{self.next_command}`{other}."
        other = f" (or `{step.alternative_tool}`)" if step.alternative_tool else ""
        return f"Next: **{self.next_step}**{why}: call `{self.next_tool}`{other}."

    def tables(self) -> list[Table]:
        how = "command" if self.audience is Caller.CLI else "tool"
        rows = [[s.stage, s.name, s.state, s.detail, s.cli if self.audience is Caller.CLI else s.tool]
                for s in self.steps]
        out = [Table("Migration status", ["stage", "step", "state", "detail", how], rows)]
        if self.runs:
            out.append(Table("Runs", ["run", "state", "tables", "items written"],
                             [[r["run_id"], r["state"], r["tables"], f"{r['written']:,}"] for r in self.runs]))
        if self.local_endpoint:
            out.append(Table("Local endpoint", ["running"], [[self.local_endpoint]]))
        return out


@dataclass
class _Facts:
    """What the workspace holds, read once."""

    ws: Workspace

    def has(self, rel: str) -> bool:
        return self.ws.exists(rel)

    def json(self, rel: str) -> dict:
        try:
            data = self.ws.read_json(rel) if self.ws.exists(rel) else {}
        except (ValueError, UnicodeDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def patterns(self) -> list[dict]:
        return [p for p in self.json("access_patterns.json").get("patterns", []) if isinstance(p, dict)]

    def design_tables(self) -> list[str]:
        return [t.get("name") for t in self.json("design.json").get("tables", []) if isinstance(t, dict)]


def _runs(ws: Workspace) -> list[dict]:
    from mysql2ddb.tools.execution.rundir import RUNS_DIR, RunDir

    runs = []
    for run_id in RunDir.list_runs(ws.root):
        run = RunDir(ws.path(RUNS_DIR) / run_id, run_id)
        live = _live_state(run.root)
        if live is not None:
            state, tables, written = live
        elif run.report_path.is_file():
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


def _live_state(root: Path) -> tuple[str, int, int] | None:
    """A live run's state from its sync checkpoint and cutover report; None for a plain run."""
    from mysql2ddb.tools.cdc.follow import CdcState
    from mysql2ddb.tools.cdc.schema_change import shortened
    from mysql2ddb.tools.usecases.live import sync_alive

    state = CdcState.load(root)
    if state is None:
        return None
    cut = root / "cutover-report.json"
    if cut.is_file():
        verified = json.loads(cut.read_text()).get("verified")
        text = "verified (cut over)" if verified else "cut over, verification failed"
    elif state.schema_change is not None:
        stop = state.schema_change
        text = (f"live: stopped on a schema change of {', '.join(stop.tables)} at {stop.before.file}:"
                f"{stop.before.pos}, {state.applied_changes:,} change(s) applied before it: "
                f"`{shortened(stop.statement)}`. Remedy: {stop.remedy}")
    elif state.state in ("copying", "following", "caught-up") and not sync_alive(state):
        text = (f"live: not running (its process ended while {state.state}; a crash or a restart), "
                f"{state.applied_changes:,} change(s) applied; it resumes from its checkpoint")
    else:
        text = (f"live: {state.state}, lag {state.lag_seconds:.1f} s, {state.applied_changes:,} change(s) applied"
                + (f", {len(state.errors)} error(s)" if state.errors else ""))
    if state.schema_changes_passed_over:
        text += (f"; {state.schema_changes_passed_over} schema change(s) on tables the contract does not read "
                 f"passed over")
    return text, 0, state.puts


_GATE_WORDS = {"approved": "done", "stale": "stale"}


def _gate(ws: Workspace, name: str, gate: str) -> Step:
    from mysql2ddb.tools.modeling.gate_views import gate_state

    answer = gate_state(ws, gate)
    state: StepState = _GATE_WORDS.get(answer, "pending")  # type: ignore[assignment]
    detail = {"stale": "approved before the artifact changed: review it again",
              "rejected": "rejected: revise it, then ask again", "feedback": "feedback given: revise, then ask again",
              }.get(answer, answer)
    return Step(name=name, stage="modeling", state=state, detail=detail,
                tool=f"review_gate(gate='{gate}')", cli=f"mysql2ddb gates approve {gate}")


def _artifact(name: str, stage: str, present: bool, rel: str, tool: str, cli: str) -> Step:
    return Step(name=name, stage=stage, state="done" if present else "pending", detail=rel if present else "",
                tool=tool, cli=cli)


def _analysis_steps(facts: _Facts) -> list[Step]:
    patterns = facts.patterns()
    from_schema_only = bool(patterns) and not any(p.get("source") == "log" for p in patterns)
    log = _artifact("query log analysed", "analysis", facts.has("analysis/query_log.json"),
                    "analysis/query_log.json", "analyze_query_log(paths=['<general or slow log>'])",
                    "mysql2ddb analyze log <general or slow log>")
    if log.state == "pending" and from_schema_only:
        log = log.model_copy(update={"state": "skipped", "detail": "no query log: patterns come from the schema"})
    elif log.state == "pending":
        log = log.model_copy(update={"detail": "no log? build the patterns from the schema instead",
                                     "alternative_tool": "build_access_patterns(source='schema')",
                                     "alternative_cli": "mysql2ddb model patterns build --from-schema"})
    missing_rps = [p.get("id") for p in patterns if p.get("rps_peak") is None]
    rates = Step(name="rates known for every pattern", stage="modeling",
                 state="pending" if missing_rps or not patterns else "done",
                 detail=f"no peak rate for {', '.join(map(str, missing_rps))}" if missing_rps else "",
                 tool=f"set_pattern_rps(pattern_id='{missing_rps[0]}', rps_peak=<from the user>)" if missing_rps
                 else "set_pattern_rps", cli=f"mysql2ddb model patterns set-rps {missing_rps[0]} --peak <rate>"
                 if missing_rps else "mysql2ddb model patterns set-rps")
    return [
        _artifact("schema analysed", "analysis", facts.has("analysis/schema.json"), "analysis/schema.json",
                  "analyze_schema", "mysql2ddb analyze schema"),
        log,
        _artifact("access patterns registered", "modeling", bool(patterns), "access_patterns.json",
                  "build_access_patterns" + ("(source='schema')" if log.state == "pending" else ""),
                  "mysql2ddb model patterns build"),
        rates,
    ]


def _execution_step(runs: list[dict]) -> Step:
    last = runs[-1] if runs else None
    if last and last["state"].startswith("verified"):
        return Step(name="migration verified", stage="execution", state="done", detail=f"run {last['run_id']}",
                    tool="migrate", cli="mysql2ddb migrate contract.json")
    if last and last["state"].startswith("live: stopped on a schema change"):
        command = f"mysql2ddb live run {last['run_id']} --accept-schema-change"
        return Step(name="migration verified", stage="execution", state="pending",
                    detail=f"run {last['run_id']} {last['state']}",
                    tool=f"show the user the schema change; if they accept it, resume_cdc(run_id='{last['run_id']}', "
                         "accept_schema_change=true, confirm=true); otherwise fix the contract, approve it, and call "
                         "start_cdc again",
                    cli=command)
    if last and last["state"].startswith("live: not running"):
        return Step(name="migration verified", stage="execution", state="pending",
                    detail=f"run {last['run_id']} {last['state']}",
                    tool=f"resume_cdc(run_id='{last['run_id']}', confirm=true) after the user agrees",
                    cli=f"mysql2ddb live run {last['run_id']}")
    if last and last["state"].startswith("live:"):
        return Step(name="migration verified", stage="execution", state="pending",
                    detail=f"run {last['run_id']} {last['state']}",
                    tool=f"cutover(run_id='{last['run_id']}', confirm=true) when the application is ready to switch",
                    cli=f"mysql2ddb cutover {last['run_id']} --yes")
    if last and last["state"].startswith("in progress"):
        return Step(name="migration verified", stage="execution", state="pending",
                    detail=f"run {last['run_id']} was interrupted: resume it",
                    tool=f"migrate(resume_run_id='{last['run_id']}', confirm=true) after the user agrees",
                    cli=f"mysql2ddb migrate contract.json --resume {last['run_id']}")
    detail = f"run {last['run_id']}: {last['state']}" if last else "no run yet"
    return Step(name="migration verified", stage="execution", state="pending", detail=detail,
                tool="migrate(dry_run=true), then migrate(confirm=true) after the user agrees",
                cli="mysql2ddb migrate contract.json --dry-run, then --yes")


def _table_key_steps(ws: Workspace) -> list[Step]:
    """Tables without a usable key (no primary key, no UNIQUE key free of NULLs, no choice made):
    one step naming them with the reason, only when there are some (tools/modeling/table_keys.py)."""
    from mysql2ddb.tools.core.errors import Mysql2DdbError
    from mysql2ddb.tools.modeling.design_io import load_schema
    from mysql2ddb.tools.modeling.table_keys import keyless_tables

    try:
        schema = load_schema(ws)
        keyless = keyless_tables(schema) if hasattr(schema, "tables") and hasattr(schema, "key_stats") else []
    except (ValueError, OSError, Mysql2DdbError):  # a broken schema.json or table_keys.json: other steps say so
        return []
    if not keyless:
        return []
    first = keyless[0].table
    return [Step(name="every table has a key", stage="modeling", state="pending",
                 detail="; ".join(f"{k.table}: {k.reason}" for k in keyless),
                 tool=f"choose_table_key(table='{first}', columns=[...]) or synthetic=true",
                 cli=f"mysql2ddb model key {first} --columns a,b | --synthetic")]


def workflow_status(ws: Workspace, caller: Caller = Caller.MCP) -> WorkflowStatus:
    facts = _Facts(ws)
    steps = _analysis_steps(facts)
    steps.append(_gate(ws, "requirements confirmed", "requirements"))
    steps += _table_key_steps(ws)
    steps.append(_artifact("design submitted", "modeling", facts.has("design.json"), "design.json",
                           "recommend_design (or submit_design)", "mysql2ddb model recommend"))
    steps.append(_artifact("data model documented", "modeling", facts.has("dynamodb_data_model.md"),
                           "dynamodb_data_model.md", "render_data_model", "mysql2ddb design render design.json"))
    steps += [_gate(ws, f"table {t} approved", f"table:{t}") for t in facts.design_tables()]
    steps.append(_gate(ws, "design approved", "design"))
    steps.append(_artifact("contract generated", "modeling", facts.has("contract.json"), "contract.json",
                           "generate_contract", "mysql2ddb model contract"))
    steps.append(_gate(ws, "contract approved", "contract"))
    runs = _runs(ws)
    steps.append(_execution_step(runs))
    pending = next((s for s in steps if not s.done), None)
    return WorkflowStatus(
        workdir=str(ws.root), steps=steps, runs=runs, audience=caller,
        next_step=pending.name if pending else None, next_tool=pending.tool if pending else None,
        next_command=pending.cli if pending else None,
    )


def status(req: "Request") -> WorkflowStatus:
    """The `status` use case: the state, worded for the caller (tool calls or commands)."""
    from mysql2ddb.tools.usecases.local_endpoint import status_line

    return workflow_status(req.workspace, req.caller).model_copy(
        update={"local_endpoint": status_line(req.workspace.root)})


def require(ws: Workspace, step_name: str, *, for_what: str) -> None:
    """Refuse `for_what` unless `step_name` is done, naming the step and its tool."""
    status = workflow_status(ws)
    step = next((s for s in status.steps if s.name == step_name), None)
    if step is None or step.done:
        return
    raise WorkflowError(
        f"{for_what} needs '{step_name}' first" + (f" ({step.detail})" if step.state == "stale" else ""),
        where=f"workflow ({ws.root})",
        remedy=f"call `{step.tool}` (CLI: `{step.cli}`), then retry",
    )
