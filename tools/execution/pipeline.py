"""`migrate`: one run from a contract to verified items. The core just runs: the write policy
(consent for the call, an approved contract) is applied before it is called, by the use case
(tools/usecases/execution.py, tools/usecases/write_policy.py).

Order matters for safety: the contract is validated against the live database (a fragment that
tries a second statement is refused here, before anything exists), then the copy plan is
measured and shown; only then are views created, tables created or reused (a differing table is
reported field by field and left alone, and the run stops), the items copied into a run
directory that makes the copy resumable, and everything verified. The report goes to the run
directory and the workspace, whatever happened."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field

from mysql2ddb.tools.core.errors import InputError, Mysql2DdbError
from mysql2ddb.tools.core.progress import NullProgress, ProgressSink
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.contract.load import load_contract
from mysql2ddb.tools.contract.model import Contract
from mysql2ddb.tools.core.db import Dsn
from mysql2ddb.tools.execution.plan import CopyPlan, PlanOptions, copy_plan
from mysql2ddb.tools.execution.report import MigrationReport
from mysql2ddb.tools.execution.rundir import RunDir, RunSettings
from mysql2ddb.tools.core.pricing import load_prices

log = logging.getLogger("mysql2ddb.migrate")
REPORT_PATH = "execution/migration-report.json"
REPORT_MD_PATH = "execution/migration-report.md"


class MigrateOptions(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    tables: list[str] | None = Field(None, description="copy only these contract tables")
    resume: str | None = Field(None, description="run id to resume")
    dry_run: bool = Field(False, description="plan, views SQL and table requests; write nothing")
    no_verify: bool = False
    warm_throughput: bool = Field(False, description="create tables the plan calls large with WarmThroughput")
    plan: PlanOptions = Field(default_factory=PlanOptions)
    prices_file: Path | None = None
    copy_options: Any = Field(None, description="copy_engine.CopyOptions, or None for its defaults")
    settings: RunSettings = Field(default_factory=RunSettings, description=(
        "the write cap and stall timeout the user chose; a resume keeps the run's own for what is not given"))


def endpoint_text(aws: AwsClients) -> str:
    if aws.endpoint_url:
        return aws.endpoint_url + (" (embedded moto server)" if aws.embedded else "")
    return f"AWS {aws.region}"


def select_tables(contract: Contract, names: list[str] | None) -> Contract:
    """The contract restricted to `names` (all tables when None); unknown names are an input error."""
    if not names:
        return contract
    unknown = [n for n in names if contract.table(n) is None]
    if unknown:
        raise InputError(
            f"no table {', '.join(unknown)} in the contract",
            where="--tables",
            remedy="name contract tables, comma-separated: " + ",".join(t.table for t in contract.tables),
        )
    return contract.model_copy(update={"tables": [t for t in contract.tables if t.table in names]})


def as_contract(contract: Contract | dict | str | Path) -> Contract:
    return contract if isinstance(contract, Contract) else load_contract(contract)


# ---- the stages, each a thin call into its core ------------------------------------------------


async def validate_live(contract: Contract, dsn: Dsn) -> Any:
    """Validate against the live schema (raising ContractError with every problem) and return the
    catalog the later stages read."""
    from mysql2ddb.tools.execution import stages

    return await stages.validate(contract, dsn)


async def measure_plan(contract: Contract, dsn: Dsn, catalog: Any, options: MigrateOptions,
                       progress: ProgressSink) -> CopyPlan:
    prices = load_prices(options.prices_file)
    return await asyncio.to_thread(copy_plan, contract, dsn, catalog, prices, options.plan, progress=progress)


async def migrate(contract: Contract | dict | str | Path, dsn: Dsn, aws: AwsClients, workspace: Workspace,
                  options: MigrateOptions | None = None, progress: ProgressSink | None = None, *,
                  on_plan: Callable[[CopyPlan], None] | None = None, downstream: Any = None) -> MigrationReport:
    """Run (or dry-run) one migration. `on_plan` receives the plan before anything is written,
    so front ends can print it as the first lines of the run. Whoever calls this has applied the
    write policy already (tools/usecases/write_policy.py). `downstream`: the adapters serving the
    views and the tables (tools/downstream/migration.py, the team's MCP servers where configured),
    checked before anything is written; None: the DSN's own connection and boto3 on `aws`."""
    from mysql2ddb.tools.execution import stages
    from mysql2ddb.tools.contract.digest import contract_sha256

    options = options or MigrateOptions()
    progress = progress or NullProgress()
    contract = as_contract(contract)
    sha = contract_sha256(contract)
    report = MigrationReport(contract_sha256=sha, endpoint=endpoint_text(aws), dry_run=options.dry_run)

    via = downstream.via if downstream is not None else (lambda service: "direct")
    with report.phase("validate", "contract against the live schema") as row:
        catalog = await validate_live(contract, dsn)
        if downstream is not None and not options.dry_run:
            row.detail += "; " + await downstream.check_ready(dsn.database)
    subset = select_tables(contract, options.tables)
    settings = run_settings(workspace, options)
    plan_options = options.plan.model_copy(update={"tables": None, "warm_throughput": options.warm_throughput,
                                                   "max_write_units_per_s": settings.max_write_units_per_s})

    with report.phase("plan", "item sizes measured from each view"):
        report.plan = await measure_plan(subset, dsn, catalog, options.model_copy(update={"plan": plan_options}), progress)
    if on_plan:
        on_plan(report.plan)
    warm = warm_throughput(report.plan) if options.warm_throughput else {}

    if options.dry_run:
        report.views_sql = stages.views_sql(subset, catalog)
        report.add_phase("views", "dry-run", f"{len(report.views_sql)} view(s) would be created or replaced")
        report.phases[-1].via = via("mysql")
        report.table_requests = await asyncio.to_thread(stages.table_requests, subset, catalog, aws, warm)
        report.add_phase("tables", "dry-run", f"{len(report.table_requests)} CreateTable request(s)")
        report.phases[-1].via = via("dynamodb")
        report.add_phase("copy", "dry-run", f"{report.plan.total_items:,} item(s) would be written")
        report.add_phase("verify", "skipped" if options.no_verify else "dry-run")
        return report.finish()

    run = stages.open_run(workspace, contract, options.resume)
    run.save_settings(settings)  # before the copy: an interrupted run resumes with them
    report.run_id, report.run_dir = run.run_id, str(run.root)
    try:
        with report.phase("views") as row:
            row.via = via("mysql")
            views_port = downstream.views_port if downstream is not None else None
            row.detail = await stages.create_views(subset, dsn, progress, catalog, views_port)
        with report.phase("tables") as row:
            row.via = via("dynamodb")
            client = await downstream.tables_client() if downstream is not None else None
            row.detail = await asyncio.to_thread(stages.create_tables, subset, catalog, aws, warm, progress, client)
            if downstream is not None:
                await downstream.check_same_tables([t.table for t in subset.tables])
        with report.phase("copy") as row:
            totals = {t.table: t.items for t in report.plan.table_plans}
            copy_options = settings.copy_options(options.copy_options)
            stats = await stages.copy(subset, catalog, dsn, aws, run, copy_options, progress, totals)
            report.set_tables(stats)
            report.rejects = stages.reject_files(run, stats)
            row.detail = f"{report.total.written:,} written, {report.total.rejected:,} rejected"
        if options.no_verify:
            report.add_phase("verify", "skipped", "--no-verify")
        else:
            with report.phase("verify") as row:
                report.verify = await asyncio.to_thread(stages.verify, subset, dsn, aws, catalog, progress, run)
                row.status = "ok" if report.verify.get("ok") else "failed"
                row.detail = "source and target equal" if report.verify.get("ok") else "differences found"
        report.finish()
        save_report(workspace, run, report, finished=True)
        return report
    except (Mysql2DdbError, asyncio.CancelledError, KeyboardInterrupt):
        report.finish()
        save_report(workspace, run, report, finished=False)
        raise


def run_settings(workspace: Workspace, options: MigrateOptions) -> RunSettings:
    """The settings this run copies with: those given, and for a resume the run's own where none is."""
    if not options.resume:
        return options.settings
    return RunDir.open(workspace.root, options.resume).load_settings().overridden_by(options.settings)


def warm_throughput(plan: CopyPlan) -> dict[str, dict[str, Any]]:
    """table -> CreateTable additions, for the tables the plan offers warm throughput."""
    return {t.table: t.warm.create_table for t in plan.table_plans if t.warm}


def save_report(workspace: Workspace, run: Any, report: MigrationReport, *, finished: bool) -> None:
    """report.json in the run directory (only for a finished run: its absence marks an interrupted
    one), report.failed.json otherwise; and the latest report in the workspace either way."""
    from mysql2ddb.tools.core.render import to_markdown

    try:
        if finished:
            run.write_report(report)
        else:
            run.write_json("report.failed.json", report)
        workspace.write_json(REPORT_PATH, report)
        workspace.write_text(REPORT_MD_PATH, to_markdown(report))
    except OSError as exc:  # the report must never hide the run's own outcome
        log.warning("could not write the migration report: %s", exc)

