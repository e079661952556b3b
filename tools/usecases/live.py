"""Live migration: copy while the application writes, follow the binlog, cut over with proof.

- `start`: the same consent and approved contract as `migrate`, then the preflight (nothing is
  written when it fails), then the source position is recorded BEFORE the copy reads, in a new
  run's `cdc.json`. Record-copy-replay: changes after that position are applied once the copy is
  done, each re-read through the view, so overlap with the copy converges (tools/cdc/apply.py).
- `run`: the copy (a resumable migrate of that run, no verification yet, with the write cap and
  stall timeout `start` kept in the run's settings), then the sync until a cutover or a stop. The
  CLI runs it in the foreground (`migrate --cdc`); over MCP `start_cdc` spawns it as a process
  owned by the workspace and returns the run id at once.
- `cutover`: the source's current position becomes the target; when the sync reaches it, every
  item is verified, the sync stops, and the report says what the application must switch.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from mysql2ddb.tools.cdc.follow import CUTOVER_REQUEST, STOP_REQUEST, CdcState
from mysql2ddb.tools.cdc.stream import SourcePosition
from mysql2ddb.tools.contract.digest import contract_sha256
from mysql2ddb.tools.core.errors import WorkflowError
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.core.workspace import atomic_write_bytes, to_jsonable
from mysql2ddb.tools.usecases.request import Request

CUTOVER_REPORT = "cutover-report.json"


class LiveStart(BaseModel):
    run_id: str
    start: SourcePosition
    background_pid: int | None = None
    checks: list[dict] = []

    def summary(self) -> str:
        how = f" in the background (pid {self.background_pid})" if self.background_pid else ""
        return (f"Live migration **{self.run_id}** started{how} from {self.start.file}:{self.start.pos}"
                f"{' (GTID ' + self.start.gtid + ')' if self.start.gtid else ''}: the copy runs, then the sync "
                f"follows the binlog. `status` shows the lag; `cutover` finishes it.")

    def tables(self) -> list[Table]:
        return [Table("Preflight", ["check", "detail"], [[c["name"], c["detail"]] for c in self.checks])]


class CutoverReport(BaseModel):
    run_id: str
    target: SourcePosition
    reached: SourcePosition
    lag_seconds_at_cutover: float
    seconds_taken: float
    catch_up_seconds: float = 0.0
    verify_seconds: float = 0.0
    applied_transactions: int
    applied_changes: int
    puts: int
    deletes: int
    verified: bool
    verify: dict[str, Any]
    switch: list[str]

    def summary(self) -> str:
        state = "verified: every item matches" if self.verified else "NOT verified: see the differences"
        return (f"Cutover of run **{self.run_id}** {state}. The sync reached {self.reached.file}:{self.reached.pos} "
                f"in {self.catch_up_seconds:.1f} s (lag at cutover {self.lag_seconds_at_cutover:.1f} s), verification "
                f"took {self.verify_seconds:.1f} s, and the sync stopped ({self.seconds_taken:.1f} s in all).")

    def tables(self) -> list[Table]:
        return [Table("Applied", ["transactions", "changes", "puts", "deletes"],
                      [[self.applied_transactions, self.applied_changes, self.puts, self.deletes]]),
                Table("Switch the application", ["step"], [[s] for s in self.switch])]


def _run_root(req: Request, run_id: str) -> Path:
    from mysql2ddb.tools.execution.rundir import RUNS_DIR, RunDir

    RunDir.open(req.workspace.root, run_id)  # refuses an unknown id, naming the latest
    return req.workspace.path(RUNS_DIR) / run_id


def _source_tables(model: Any, catalog: Any) -> list[str]:
    from mysql2ddb.tools.cdc.links import source_of, top_selects
    from mysql2ddb.tools.execution.views import compile_query

    return sorted({source_of(s) for t in model.tables for s in top_selects(compile_query(t, catalog))})


async def start(req: Request, contract: str | None = None, dsn: str | None = None, *, endpoint_url: str | None = None,
                region: str | None = None, confirm: bool = False, background: bool = False,
                max_write_units_per_s: float | None = None, stall_timeout_s: float | None = None) -> LiveStart:
    """`max_write_units_per_s`, `stall_timeout_s`: the copy's, kept in the run for `run` (and its resumes)."""
    from mysql2ddb.tools.cdc.preflight import check_source
    from mysql2ddb.tools.execution import stages
    from mysql2ddb.tools.execution.rundir import RunDir
    from mysql2ddb.tools.usecases.execution import run_settings
    from mysql2ddb.tools.usecases.write_policy import authorize

    settings = run_settings(max_write_units_per_s, stall_timeout_s)  # refused before anything else
    model, d = req.contract(contract), req.dsn(dsn)
    authorize(req, "start_cdc", confirm, sha=contract_sha256(model))
    endpoint = req.endpoint(endpoint_url)
    catalog = await stages.validate(model, d)
    preflight = await asyncio.to_thread(check_source, d, _source_tables(model, catalog))
    preflight.raise_if_failed()
    assert preflight.position is not None
    position = SourcePosition(**preflight.position.model_dump())
    run = RunDir.create(req.workspace.root, model)
    run.save_settings(settings)  # the background process's copy reads them (a resume of this run)
    state = CdcState(start=position, position=position)
    state.save(run.root)
    atomic_write_bytes(run.root / "cdc-target.json", json.dumps(
        {"endpoint_url": endpoint, "region": req.region(region), "dsn": d.redacted()}).encode())
    pid = spawn(req, run.run_id) if background else None
    if pid:
        state.pid = pid  # the run has its process from now on (status, and a resume meanwhile, see it)
        state.save(run.root)
    return LiveStart(run_id=run.run_id, start=position, background_pid=pid,
                     checks=[c.model_dump() for c in preflight.checks])


def spawn(req: Request, run_id: str, accept_schema_change: bool = False) -> int:
    """The sync as a process of its own (it survives this call and the client's restarts)."""
    log = req.workspace.path(f"runs/{run_id}/cdc.log")
    flags = ["--accept-schema-change"] if accept_schema_change else []
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "mysql2ddb", "--workdir", str(req.workspace.root),
                                 "live", "run", run_id, *flags], stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                start_new_session=True, env=dict(os.environ))
    return proc.pid


async def resume(req: Request, run_id: str, *, accept_schema_change: bool = False, confirm: bool = False) -> LiveStart:
    """A live run's copy and sync again, as a background process, from its checkpoint (after a crash,
    a restart of the machine, or a stop before a schema change the user accepts). Refused while its
    process runs, once it is cut over, and unless the run's contract is still the approved one."""
    from mysql2ddb.tools.contract.load import load_contract
    from mysql2ddb.tools.usecases.write_policy import authorize

    req.require_write("resume_cdc", confirm)
    root = _run_root(req, run_id)
    state = CdcState.load(root)
    if state is None:
        raise WorkflowError(f"run {run_id} is not a live migration", where="resume_cdc: run_id",
                            remedy="start one with start_cdc (CLI: `mysql2ddb migrate --cdc`)")
    if (root / CUTOVER_REPORT).exists():
        raise WorkflowError(f"run {run_id} is cut over", where="resume_cdc: run_id",
                            remedy="nothing to resume: start a new live migration with start_cdc if one is needed")
    _refuse_if_running(state, run_id, "resume_cdc: run_id")
    authorize(req, "resume_cdc", confirm, sha=contract_sha256(load_contract(root / "contract.json")))
    if state.schema_change is not None and not accept_schema_change:
        stop = state.schema_change
        raise WorkflowError(stop.why, where=stop.where, remedy=f"{stop.remedy} (MCP: show the user this change; "
                            f"if they accept it, resume_cdc(run_id='{run_id}', accept_schema_change=true, confirm=true))",
                            details=stop.error().details)
    pid = spawn(req, run_id, accept_schema_change)
    state.pid = pid  # a second resume, before the process writes its own state, is refused
    state.save(root)
    return LiveStart(run_id=run_id, start=state.position, background_pid=pid)


async def run(req: Request, run_id: str, dsn: str | None = None, *, batch_seconds: float = 0.2,
              max_write_units_per_s: float | None = None, stall_timeout_s: float | None = None,
              accept_schema_change: bool = False) -> CdcState:
    """The copy (resumable), then the sync until a cutover or a stop; resumes from the checkpoint.
    The copy keeps the run's write cap and stall timeout unless new ones are given. The run names
    this process (`pid`) while it runs, so a second one is refused."""
    from mysql2ddb.tools.usecases.execution import run_settings

    run_settings(max_write_units_per_s, stall_timeout_s)  # refused even when the copy is already done
    root = _run_root(req, run_id)
    state = CdcState.load(root)
    if state is None:
        raise WorkflowError(f"run {run_id} is not a live migration", where="live run",
                            remedy="start one with `mysql2ddb migrate --cdc` (MCP: start_cdc)")
    if state.pid != os.getpid():  # this process owns the run now (its copy too): a resume meanwhile is refused
        _refuse_if_running(state, run_id, "live run")
        state.pid = os.getpid()
        state.save(root)
    try:
        ended = await _copy_and_sync(req, run_id, root, state, dsn, batch_seconds, max_write_units_per_s,
                                     stall_timeout_s, accept_schema_change)
    finally:
        saved = CdcState.load(root)  # as saved: never an unsaved batch's position
        if saved is not None and saved.pid == os.getpid():  # ended (or refused): no process runs it now
            saved.pid = None
            saved.save(root)
    ended.pid = None
    return ended


def _refuse_if_running(state: CdcState, run_id: str, where: str) -> None:
    """One process per run: another one's copy or sync is running."""
    if _alive(state.pid):
        raise WorkflowError(f"the sync of run {run_id} is running (pid {state.pid})", where=where,
                            remedy="status shows its lag (`mysql2ddb status`); cutover finishes it")


async def _copy_and_sync(req: Request, run_id: str, root: Path, state: CdcState, dsn: str | None,
                         batch_seconds: float, max_write_units_per_s: float | None, stall_timeout_s: float | None,
                         accept_schema_change: bool) -> CdcState:
    from mysql2ddb.tools.cdc.apply import ContractIndex
    from mysql2ddb.tools.cdc.follow import follow
    from mysql2ddb.tools.cdc.preflight import row_keys
    from mysql2ddb.tools.cdc.schema_accept import checked_for_sync
    from mysql2ddb.tools.contract.load import load_contract
    from mysql2ddb.tools.core.aws import AwsClients
    from mysql2ddb.tools.core.db import sync_connection
    from mysql2ddb.tools.usecases.execution import migrate

    target = json.loads((root / "cdc-target.json").read_text())
    contract_path = str(root / "contract.json")
    if state.state == "copying":
        outcome = await migrate(req, contract_path, dsn, endpoint_url=target["endpoint_url"],
                                region=target["region"], resume=run_id, no_verify=True, confirm=True,
                                max_write_units_per_s=max_write_units_per_s, stall_timeout_s=stall_timeout_s)
        if not outcome.result.ok:
            state.state, state.errors = "failed", [*state.errors, "the copy failed: see the run's report"]
            state.save(root)
            raise WorkflowError("the copy failed", where=f"run {run_id}", remedy="fix it, then resume")
    model, d = load_contract(Path(contract_path)), req.dsn(dsn)
    if state.schema_change is not None:  # stopped before a DDL: past it only when told the contract survives it
        state = await _past_schema_change(req, run_id, model, d, state, target, accept_schema_change)
    catalog = await checked_for_sync(model, d, run_id, state)  # stages.validate, its error worded for the sync
    with sync_connection(d, "live sync: row keys") as conn, conn.cursor() as cur:
        keys = row_keys(cur, d.database, _source_tables(model, catalog))
    index = ContractIndex.build(model, catalog, keys)
    client = AwsClients(region=target["region"], endpoint_url=target["endpoint_url"]).client("dynamodb")
    (root / STOP_REQUEST).unlink(missing_ok=True)
    return await asyncio.to_thread(follow, d, index, client, root, state, progress=req.progress,
                                   batch_seconds=batch_seconds)


async def _past_schema_change(req: Request, run_id: str, model: Any, d: Any, state: CdcState, target: dict,
                              accept: bool) -> CdcState:
    from mysql2ddb.tools.cdc.schema_accept import accept_schema_change
    from mysql2ddb.tools.core.aws import AwsClients
    from mysql2ddb.tools.execution.rundir import RunDir

    assert state.schema_change is not None
    if not accept:
        raise state.schema_change.error()  # the stop's own where/why/remedy, as when it happened
    run = RunDir.open(req.workspace.root, run_id)
    (run.root / CUTOVER_REQUEST).unlink(missing_ok=True)  # a cutover asked while stopped failed: ask again later
    aws = AwsClients(region=target["region"], endpoint_url=target["endpoint_url"])
    return await accept_schema_change(model, d, aws, run, state, req.progress)


def _source_position(d: Any) -> SourcePosition:
    from mysql2ddb.tools.cdc.preflight import current_position

    position = current_position(d)
    if position is None:
        raise WorkflowError("the source has no binlog position", where="cutover", remedy="check log_bin on the source")
    return SourcePosition(**position.model_dump())


def sync_alive(state: CdcState) -> bool:
    """Whether the run's sync process (copy or sync) is running."""
    return _alive(state.pid)


def _alive(pid: int | None) -> bool:
    """The process runs (an exited child waiting to be reaped, a zombie, does not)."""
    if not pid:
        return False
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # our child, just reaped
    except ChildProcessError:
        pass  # not our child
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def cutover(req: Request, run_id: str | None = None, dsn: str | None = None, *, timeout: float = 300.0,
                  confirm: bool = False) -> CutoverReport:
    from mysql2ddb.tools.execution.rundir import RunDir
    from mysql2ddb.tools.usecases.execution import verify

    req.require_write("cutover", confirm)
    run_id = run_id or next((r for r in reversed(RunDir.list_runs(req.workspace.root))
                             if CdcState.load(req.workspace.path(f"runs/{r}")) is not None), None)
    if run_id is None:
        raise WorkflowError("no live migration in this workspace", where="cutover",
                            remedy="start one with `mysql2ddb migrate --cdc` (MCP: start_cdc)")
    root, d, began = _run_root(req, run_id), req.dsn(dsn), time.monotonic()
    target = _source_position(d)
    atomic_write_bytes(root / CUTOVER_REQUEST, json.dumps({"target": target.model_dump()}).encode())
    state = CdcState.load(root)
    while state is not None and not state.position.reached(target):
        if time.monotonic() - began > timeout:
            raise WorkflowError(f"the sync did not reach {target.file}:{target.pos} in {timeout:.0f} s (it is at "
                                f"{state.position.file}:{state.position.pos}, lag {state.lag_seconds:.1f} s)",
                                where="cutover", remedy="let it catch up (status shows the lag), then cut over again")
        if state.schema_change is not None:
            raise state.schema_change.error()  # the sync stopped before a DDL: it will not catch up by itself
        if not _alive(state.pid) and state.state != "copying":
            raise WorkflowError("the sync process is not running", where="cutover",
                                remedy=f"resume it (`mysql2ddb live run {run_id}`; MCP: resume_cdc), then cut over")
        await asyncio.sleep(0.2)
        state = CdcState.load(root)
    assert state is not None
    lag, caught_up = state.lag_seconds, time.monotonic()
    checked = await verify(req, str(root / "contract.json"), dsn, endpoint_url=json.loads(
        (root / "cdc-target.json").read_text())["endpoint_url"])
    verified_at = time.monotonic()
    await asyncio.to_thread(stop, root, state)  # waits for the sync to exit: off the event loop

    result = to_jsonable(checked)
    report = CutoverReport(
        run_id=run_id, target=target, reached=state.position, lag_seconds_at_cutover=lag,
        seconds_taken=time.monotonic() - began, catch_up_seconds=caught_up - began,
        verify_seconds=verified_at - caught_up, applied_transactions=state.applied_transactions,
        applied_changes=state.applied_changes, puts=state.puts, deletes=state.deletes,
        verified=bool(result.get("ok")), verify=result, switch=[
            "stop the application's writes to MySQL (or put it in read-only mode) before switching writers",
            "point reads and writes at the DynamoDB tables of the contract, using the access patterns of the design",
            "keep MySQL untouched until the application runs on DynamoDB; its binlog position is in this report"])
    atomic_write_bytes(root / CUTOVER_REPORT, report.model_dump_json(indent=2).encode())
    return report


def stop(root: Path, state: CdcState) -> None:
    """Ask the sync to stop, and end it if it does not within a few seconds."""
    (root / STOP_REQUEST).touch()
    deadline = time.monotonic() + 10
    while _alive(state.pid) and state.pid != os.getpid() and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(state.pid) and state.pid != os.getpid():
        os.kill(state.pid, signal.SIGTERM)
