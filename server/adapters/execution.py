"""Stage 3 tools: `plan_migration`, `create_views`, `migrate`, `verify_migration`.

`migrate` is annotated destructive: it writes views into MySQL and items into DynamoDB. It refuses
a contract without a recorded approval at the `contract` gate unless the caller confirms
(`confirm=true`, after asking the user) or the server runs with MYSQL2DDB_ALLOW_WRITES."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, McpProgress, annotations, in_thread, mapped, result
from mysql2ddb.tools.core.errors import ConfigError, WorkflowError
from mysql2ddb.tools.core.render import to_markdown
from mysql2ddb.tools.core.aws import EMBEDDED, AwsClients, aws_clients
from mysql2ddb.tools.contract.load import load_contract
from mysql2ddb.tools.contract.model import Contract
from mysql2ddb.tools.core.db import Dsn

DEFAULT_CONTRACT = "contract.json"


def report_markdown(report: Any) -> str:
    """The report for chat, with a dry run's view SQL and CreateTable requests in code blocks."""
    import json

    parts = [to_markdown(report)]
    for name, text in (report.views_sql or {}).items():
        parts.append(f"View `{name}`:\n\n```sql\n{text.rstrip().rstrip(';')};\n```")
    for request in report.table_requests or []:
        parts.append(f"```json\n{json.dumps(request, indent=2, default=str)}\n```")
    return "\n\n".join(parts) + "\n"


def register(app: FastMCP, deps: Deps) -> None:
    def contract_of(path: str) -> Contract:
        """A workspace-relative path (default contract.json), or an absolute one."""
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = deps.workspace.path(path)
        return load_contract(candidate)

    def dsn_of(dsn: str | None) -> Dsn:
        s = deps.settings
        text = dsn or (s.dsn.get_secret_value() if s.dsn else None)
        if not text:
            raise ConfigError("no database given", where="dsn",
                              remedy="pass dsn='mysql://user:password@host:port/database' or set MYSQL2DDB_DSN")
        return Dsn.parse(text, password=s.password())

    def endpoint_of(endpoint_url: str | None) -> str | None:
        from mysql2ddb.tools.execution.pipeline import resolve_endpoint

        return resolve_endpoint(endpoint_url, deps.settings.aws_endpoint_url)

    def may_write(confirm: bool) -> bool:
        return confirm or deps.settings.allow_writes

    @app.tool(annotations=annotations("plan_migration"))
    @mapped
    async def plan_migration(contract: str = DEFAULT_CONTRACT, dsn: str | None = None,
                             tables: list[str] | None = None, ctx: Context = CurrentContext()) -> ToolResult:
        """The copy plan, before anything is written: per table the item count, the average and largest
        item size measured from the view, write units, on-demand write cost, expected duration at the
        table's write throughput (4,000 units/s for a new on-demand table, 1,000 per partition key), the
        warm-throughput option for large tables and its cost; the slowest table and the totals."""
        from mysql2ddb.tools.execution import stages
        from mysql2ddb.tools.execution.pipeline import select_tables
        from mysql2ddb.tools.execution.plan import copy_plan
        from mysql2ddb.tools.core.pricing import load_prices

        model, d = contract_of(contract), dsn_of(dsn)
        catalog = await stages.validate(model, d)
        plan = await in_thread(copy_plan, select_tables(model, tables), d, catalog,
                               load_prices(deps.settings.prices_file), progress=McpProgress(ctx))
        return result(plan)

    @app.tool(annotations=annotations("create_views"))
    @mapped
    async def create_views(contract: str = DEFAULT_CONTRACT, dsn: str | None = None, dry_run: bool = True,
                           confirm: bool = False, ctx: Context = CurrentContext()) -> ToolResult:
        """The `ddb_<table>_view` of every contract table: with dry_run (the default) the SQL only;
        otherwise CREATE OR REPLACE VIEW in the source database (needs confirm=true after asking the
        user), then a check that each view's columns equal the contract's attributes."""
        from mysql2ddb.tools.execution import stages

        model, d = contract_of(contract), dsn_of(dsn)
        catalog = await stages.validate(model, d)
        if dry_run:
            sql = stages.views_sql(model, catalog)
            text = "\n\n".join(f"```sql\n{s.rstrip().rstrip(';')};\n```" for s in sql.values())
            return result({"dry_run": True, "views": sql}, markdown=text or "(no tables)")
        if not may_write(confirm):
            raise WorkflowError(
                "creating views writes to the source database and needs the user's go-ahead",
                where="create_views", remedy="ask the user, then call again with confirm=true (or dry_run=true to see the SQL)",
            )
        return result(await stages.apply_views(model, d, McpProgress(ctx)))

    @app.tool(annotations=annotations("migrate"))
    @mapped
    async def migrate(contract: str = DEFAULT_CONTRACT, dsn: str | None = None, endpoint_url: str | None = None,
                      region: str | None = None, tables: list[str] | None = None, resume_run_id: str | None = None,
                      dry_run: bool = False, no_verify: bool = False, warm_throughput: bool = False,
                      confirm: bool = False, ctx: Context = CurrentContext()) -> ToolResult:
        """Run the migration: copy plan, views, tables (reused when they match; a differing table is
        reported field by field and left alone), a resumable parallel copy, verification and a report.
        `endpoint_url='embedded'` (the default without AWS credentials) runs a moto server for this call
        only. `dry_run` shows the plan, view SQL and table requests and writes nothing. A contract without
        an approval at the `contract` gate is refused unless confirm=true (ask the user first).
        `resume_run_id` continues an interrupted run; `tables` restricts the run."""
        from mysql2ddb.tools.execution.pipeline import MigrateOptions
        from mysql2ddb.tools.execution.pipeline import migrate as run_migration

        model, d = contract_of(contract), dsn_of(dsn)
        options = MigrateOptions(
            tables=tables or None, resume=resume_run_id, dry_run=dry_run, no_verify=no_verify,
            confirmed=may_write(confirm), warm_throughput=warm_throughput, prices_file=deps.settings.prices_file,
        )
        endpoint = endpoint_of(endpoint_url)
        if dry_run and endpoint == EMBEDDED:
            endpoint = None  # a dry run sends nothing to AWS
        said: list[str] = []
        progress = McpProgress(ctx)
        with aws_clients(endpoint, region or deps.settings.aws_region, say=said.append) as aws:
            report = await run_migration(model, d, aws, deps.workspace, options, progress)
        report.notes[:0] = said
        artifacts = [deps.workspace.uri("execution/migration-report.json")] if not dry_run else None
        return result(report, markdown=report_markdown(report), artifacts=artifacts)

    @app.tool(annotations=annotations("verify_migration"))
    @mapped
    async def verify_migration(contract: str = DEFAULT_CONTRACT, dsn: str | None = None,
                               endpoint_url: str | None = None, region: str | None = None,
                               tables: list[str] | None = None, ctx: Context = CurrentContext()) -> ToolResult:
        """Compare source and target per table: counts and order-independent per-item checksums, with the
        first differing keys and a field diff. Not for the embedded endpoint (its items live only during
        `migrate`, which verifies at the end)."""
        from mysql2ddb.tools.execution import stages
        from mysql2ddb.tools.execution.pipeline import embedded_verify_error, select_tables

        endpoint = endpoint_of(endpoint_url)
        if endpoint == EMBEDDED:
            raise embedded_verify_error()
        model, d = contract_of(contract), dsn_of(dsn)
        catalog = await stages.validate(model, d)
        aws = AwsClients(region=region or deps.settings.aws_region, endpoint_url=endpoint)
        outcome = await in_thread(stages.verify_result, select_tables(model, tables), d, aws, catalog, McpProgress(ctx))
        return result(outcome)
