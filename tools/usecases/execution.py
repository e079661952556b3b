"""Stage 3 use cases: plan, create_views, create_tables, migrate, verify, for both front ends.

Each resolves its inputs through the Request (the contract file, the DSN and its password, the
AWS endpoint and region), applies the one write policy (tools/usecases/write_policy.py: consent
for this call AND an approved contract) before anything is written, and calls the stage cores
(tools/execution/). Every writing use case has a dry run that returns exactly what would be
written: the views' SQL, the CreateTable requests, the items per table (the copy plan)."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, TypeVar

from pydantic import BaseModel, Field

from mysql2ddb.tools.contract.digest import contract_sha256
from mysql2ddb.tools.contract.model import Contract
from mysql2ddb.tools.core.aws import EMBEDDED, AwsClients, aws_clients
from mysql2ddb.tools.core.db import Dsn
from mysql2ddb.tools.core.errors import InputError
from mysql2ddb.tools.core.pricing import load_prices
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.execution import stages
from mysql2ddb.tools.execution.pipeline import REPORT_MD_PATH, REPORT_PATH, MigrateOptions, select_tables
from mysql2ddb.tools.execution.pipeline import migrate as run_migration
from mysql2ddb.tools.execution.plan import CopyPlan, PlanOptions, copy_plan
from mysql2ddb.tools.execution.report import MigrationReport
from mysql2ddb.tools.execution.rundir import RunSettings
from mysql2ddb.tools.execution.tables import TablesResult
from mysql2ddb.tools.execution.views import ViewsResult
from mysql2ddb.tools.usecases import local_endpoint
from mysql2ddb.tools.usecases.downstream import migration_downstream
from mysql2ddb.tools.usecases.request import Request
from mysql2ddb.tools.usecases.write_policy import authorize, contract_state, dry_run_notes

T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    """A use case's result model and the workspace artifacts (relative paths) it wrote."""

    result: T
    artifacts: list[str] = field(default_factory=list)


class ViewsOutcome(BaseModel):
    """create_views: the statements (always), and what was created (a real run)."""

    dry_run: bool
    database: str
    contract_sha256: str
    views: dict[str, str] = Field(description="view name -> CREATE OR REPLACE VIEW statement")
    created: ViewsResult | None = None
    notes: list[str] = Field(default_factory=list)

    def summary(self) -> str:
        head = (f"Dry run: {len(self.views)} view(s) would be created or replaced in {self.database}; nothing was written."
                if self.dry_run else self.created.summary() if self.created else "")
        return "\n\n".join([head, *self.notes])

    def tables(self) -> list[Table]:
        return self.created.tables() if self.created else []


class TablesOutcome(BaseModel):
    """create_tables: the CreateTable requests (always), and what happened to each table (a real run)."""

    dry_run: bool
    endpoint: str
    requests: list[dict[str, Any]]
    created: TablesResult | None = None
    notes: list[str] = Field(default_factory=list)

    @property
    def conflicts(self) -> list[Any]:
        return self.created.conflicts if self.created else []

    def summary(self) -> str:
        head = (f"Dry run: {len(self.requests)} CreateTable request(s) for {self.endpoint}; nothing was written."
                if self.dry_run else f"{self.endpoint}: " + (self.created.summary() if self.created else ""))
        return "\n\n".join([head, *self.notes])

    def tables(self) -> list[Table]:
        return self.created.tables() if self.created else []


def _inputs(req: Request, contract: str | None, dsn: str | None) -> tuple[Contract, Dsn]:
    return req.contract(contract), req.dsn(dsn)


def _prices(req: Request, prices: str | None) -> Any:
    return load_prices(req.readable(prices, "prices") if prices else req.settings.prices_file)


def _positive(value: float | None, where: str, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise InputError(f"{value!r} is not a positive number of {what}", where=where,
                         remedy=f"give a number above 0 ({what}), or leave it out for the default")
    return float(value)


def run_settings(max_write_units_per_s: float | None = None, stall_timeout_s: float | None = None) -> RunSettings:
    """The copy settings the user gave (None: not given), each refused unless a positive number."""
    return RunSettings(
        max_write_units_per_s=_positive(max_write_units_per_s, "max_write_units_per_s (--max-wcu)",
                                        "write units a second per table"),
        stall_timeout_s=_positive(stall_timeout_s, "stall_timeout_s (--stall-timeout)", "seconds"))


async def plan(req: Request, contract: str | None = None, dsn: str | None = None, tables: list[str] | None = None,
               prices: str | None = None, *, max_write_units_per_s: float | None = None) -> CopyPlan:
    """The copy plan, read-only: items, measured sizes, write units, cost and duration per table
    (at most `max_write_units_per_s` a table, when the user caps the copy)."""
    cap = run_settings(max_write_units_per_s).max_write_units_per_s
    model, d = _inputs(req, contract, dsn)
    subset = select_tables(model, tables)
    catalog = await stages.validate(model, d)
    return await asyncio.to_thread(copy_plan, subset, d, catalog, _prices(req, prices),
                                   PlanOptions(max_write_units_per_s=cap), progress=req.progress)


async def create_views(req: Request, contract: str | None = None, dsn: str | None = None, *, dry_run: bool = True,
                       confirm: bool = False) -> ViewsOutcome:
    """The `ddb_<table>_view` of every contract table: the SQL (dry run), or CREATE OR REPLACE VIEW
    in the source database, then a check of each view's columns."""
    model, d = _inputs(req, contract, dsn)
    sha = contract_sha256(model)
    if not dry_run:
        authorize(req, "create_views", confirm, sha=sha)
    catalog = await stages.validate(model, d)
    sql = stages.views_sql(model, catalog)
    if dry_run:
        return ViewsOutcome(dry_run=True, database=d.database, contract_sha256=sha, views=sql,
                            notes=dry_run_notes(req, sha))
    async with migration_downstream(req, d, AwsClients(region=req.region(None))) as downstream:
        created = await stages.apply_views(model, d, req.progress, catalog, downstream.views_port)
    return ViewsOutcome(dry_run=False, database=d.database, contract_sha256=sha, views=sql, created=created)


async def create_tables(req: Request, contract: str | None = None, dsn: str | None = None, *,
                        endpoint_url: str | None = None, region: str | None = None, dry_run: bool = True,
                        confirm: bool = False, say: Callable[[str], None] | None = None) -> TablesOutcome:
    """The DynamoDB table of every contract table: the CreateTable requests (dry run), or each table
    created, or reused when it matches (one that differs is reported field by field, left alone)."""
    model, d = _inputs(req, contract, dsn)
    endpoint, region_name = req.endpoint(endpoint_url), req.region(region)
    sha = contract_sha256(model)
    if not dry_run:
        authorize(req, "create_tables", confirm, sha=sha)
    catalog = await stages.validate(model, d)
    requests = stages.table_requests(model, catalog, AwsClients(region=region_name), {})
    if dry_run:
        return TablesOutcome(dry_run=True, endpoint=endpoint or f"AWS {region_name}", requests=requests,
                             notes=dry_run_notes(req, sha))
    said: list[str] = []
    with aws_clients(endpoint, region_name, say=say or said.append, workspace=req.workspace.root) as aws:
        async with migration_downstream(req, d, aws) as downstream:
            client = await downstream.tables_client()
            created = await asyncio.to_thread(stages.ensure, model, catalog, aws, None, req.progress, client)
            await downstream.check_same_tables([t.table for t in created.outcomes if t.status != "conflict"])
        where = aws.endpoint_url or f"AWS {region_name}"
    return TablesOutcome(dry_run=False, endpoint=where, requests=requests, created=created, notes=said + aws.notes)


async def migrate(req: Request, contract: str | None = None, dsn: str | None = None, *,
                  endpoint_url: str | None = None, region: str | None = None, tables: list[str] | None = None,
                  resume: str | None = None, dry_run: bool = False, no_verify: bool = False,
                  warm_throughput: bool = False, prices: str | None = None, confirm: bool = False,
                  max_write_units_per_s: float | None = None, stall_timeout_s: float | None = None,
                  on_plan: Callable[[CopyPlan], None] | None = None,
                  say: Callable[[str], None] | None = None) -> Outcome[MigrationReport]:
    """Views, tables, a resumable copy and verification, after the plan; a dry run returns the plan,
    the views' SQL and the CreateTable requests and writes nothing (not even a run directory).
    `max_write_units_per_s` caps each table's write rate and `stall_timeout_s` sets how long a table
    may make no progress; the run keeps both, so a resume that gives neither copies the same way.
    `say` receives what the run tells the user at once (the embedded endpoint); without it that
    goes into the report's notes."""
    settings = run_settings(max_write_units_per_s, stall_timeout_s)  # refused before anything else
    model, d = _inputs(req, contract, dsn)
    endpoint, region_name = req.endpoint(endpoint_url), req.region(region)
    select_tables(model, tables)  # unknown names are refused before anything else
    sha = contract_sha256(model)
    if not dry_run:
        authorize(req, "migrate", confirm, sha=sha)
    elif endpoint == EMBEDDED:
        endpoint = None  # a dry run sends nothing to AWS: no server to start
    options = MigrateOptions(tables=tables or None, resume=resume, dry_run=dry_run, no_verify=no_verify,
                             warm_throughput=warm_throughput, settings=settings,
                             prices_file=req.readable(prices, "prices") if prices else req.settings.prices_file)
    said: list[str] = []
    with aws_clients(endpoint, region_name, say=say or said.append, workspace=req.workspace.root) as aws:
        async with migration_downstream(req, d, aws) as downstream:  # the team's MCP servers, where configured
            report = await run_migration(model, d, aws, req.workspace, options, req.progress, on_plan=on_plan,
                                         downstream=downstream)
    report.approved = contract_state(req, sha) == "approved"
    report.notes[:0] = said + aws.notes  # the local endpoint, and the table features it lacked
    if dry_run:
        report.notes += dry_run_notes(req, sha)
        return Outcome(report)
    return Outcome(report, [REPORT_PATH, REPORT_MD_PATH])


async def verify(req: Request, contract: str | None = None, dsn: str | None = None, *,
                 endpoint_url: str | None = None, region: str | None = None, tables: list[str] | None = None) -> Any:
    """Source against target per table: counts and order-independent per-item checksums (read-only)."""
    # `embedded` reads the workspace's running local endpoint (where an earlier migrate left its items)
    aws = local_endpoint.reading_clients(req, req.endpoint(endpoint_url), req.region(region))
    model, d = _inputs(req, contract, dsn)
    subset = select_tables(model, tables)
    catalog = await stages.validate(model, d)
    run = latest_run_of(req.workspace, model)
    return await asyncio.to_thread(stages.verify_result, subset, d, aws, catalog, req.progress, run)


def latest_run_of(workspace: Any, model: Any) -> Any:
    """The newest run that copied this very contract: the items DynamoDB refused in it are not expected."""
    from mysql2ddb.tools.contract.digest import contract_sha256
    from mysql2ddb.tools.execution.rundir import RUNS_DIR, RunDir

    sha = contract_sha256(model)
    for run_id in reversed(RunDir.list_runs(workspace.root)):
        run = RunDir(workspace.path(RUNS_DIR) / run_id, run_id)
        try:
            if contract_sha256(run.read_contract()) == sha:
                return run
        except (OSError, ValueError):
            continue
    return None
