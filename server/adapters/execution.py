"""Stage 3 tools: `plan_migration`, `create_views`, `create_tables`, `migrate`, `verify_migration`.
Thin: inputs, the write policy and artifacts are the use case's (tools/usecases/execution.py).

What writes (create_views, create_tables, migrate) needs both the user's go-ahead for that call
(confirm=true, after showing the dry run) and an approved contract (the `contract` gate); one
does not stand in for the other."""

from __future__ import annotations

import json
from typing import Any

from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, annotations, mapped, result
from mysql2ddb.tools.core.render import to_markdown
from mysql2ddb.tools.usecases import execution


def with_requests(model: Any, views: dict[str, str] | None, requests: list[dict] | None) -> str:
    """A result for chat, with the view SQL and CreateTable requests in code blocks."""
    parts = [to_markdown(model)]
    parts += [f"View `{name}`:\n\n```sql\n{text.rstrip().rstrip(';')};\n```" for name, text in (views or {}).items()]
    parts += [f"```json\n{json.dumps(r, indent=2, default=str)}\n```" for r in requests or []]
    return "\n\n".join(parts) + "\n"


def register(app: FastMCP, deps: Deps) -> None:
    @app.tool(annotations=annotations("plan_migration"))
    @mapped
    async def plan_migration(contract: str | None = None, dsn: str | None = None, tables: list[str] | None = None,
                             max_write_units_per_s: float | None = None,
                             ctx: Context = CurrentContext()) -> ToolResult:
        """The copy plan, before anything is written: per table the item count, the average and largest
        item size measured from the view, write units, on-demand write cost, expected duration at the
        table's write throughput (4,000 units/s for a new on-demand table, 1,000 per partition key), the
        warm-throughput option for large tables and its cost; the slowest table and the totals.
        `contract`: default the workspace's contract.json. `max_write_units_per_s`: time the copy at
        most this fast per table, as migrate would with the same cap."""
        return result(await execution.plan(deps.request(ctx), contract, dsn, tables,
                                           max_write_units_per_s=max_write_units_per_s))

    @app.tool(annotations=annotations("create_views"))
    @mapped
    async def create_views(contract: str | None = None, dsn: str | None = None, dry_run: bool = True,
                           confirm: bool = False, ctx: Context = CurrentContext()) -> ToolResult:
        """The `ddb_<table>_view` of every contract table: with dry_run (the default) the SQL only;
        otherwise CREATE OR REPLACE VIEW in the source database, then a check that each view's columns
        equal the contract's attributes. A real run needs an approved contract and confirm=true (show
        the user the SQL and ask first)."""
        outcome = await execution.create_views(deps.request(ctx), contract, dsn, dry_run=dry_run, confirm=confirm)
        return result(outcome, markdown=with_requests(outcome, outcome.views if dry_run else None, None))

    @app.tool(annotations=annotations("create_tables"))
    @mapped
    async def create_tables(contract: str | None = None, dsn: str | None = None, endpoint_url: str | None = None,
                            region: str | None = None, dry_run: bool = True, confirm: bool = False,
                            ctx: Context = CurrentContext()) -> ToolResult:
        """The DynamoDB table of every contract table (for the Glue path; migrate does this itself):
        with dry_run (the default) the CreateTable requests only; otherwise each table is created, or
        reused when it matches (one that differs is reported field by field and left alone). A real run
        needs an approved contract and confirm=true (show the user the requests and ask first)."""
        outcome = await execution.create_tables(deps.request(ctx), contract, dsn, endpoint_url=endpoint_url,
                                                region=region, dry_run=dry_run, confirm=confirm)
        return result(outcome, markdown=with_requests(outcome, None, outcome.requests if dry_run else None))

    @app.tool(annotations=annotations("migrate"))
    @mapped
    async def migrate(contract: str | None = None, dsn: str | None = None, endpoint_url: str | None = None,
                      region: str | None = None, tables: list[str] | None = None, resume_run_id: str | None = None,
                      dry_run: bool = False, no_verify: bool = False, warm_throughput: bool = False,
                      max_write_units_per_s: float | None = None, stall_timeout_s: float | None = None,
                      confirm: bool = False, ctx: Context = CurrentContext()) -> ToolResult:
        """Run the migration: copy plan, views, tables (reused when they match; a differing table is
        reported field by field and left alone), a resumable parallel copy, verification and a report.
        `dry_run` shows the plan, view SQL and table requests and writes nothing: show it to the user.
        A real run needs BOTH an approved contract (the `contract` gate) and confirm=true (the user's
        go-ahead for this run). `endpoint_url='embedded'` (the default without AWS credentials) is the
        workspace's local endpoint: it stays up for later calls until `stop_local_endpoint`.
        `resume_run_id` continues an interrupted run; `tables` restricts it.
        `max_write_units_per_s`: never write a table faster than this (e.g. one serving live traffic).
        `stall_timeout_s`: stop a table, resumably, after this many seconds without a successful write.
        A resume keeps the run's own values of both unless given new ones."""
        outcome = await execution.migrate(
            deps.request(ctx), contract, dsn, endpoint_url=endpoint_url, region=region, tables=tables,
            resume=resume_run_id, dry_run=dry_run, no_verify=no_verify, warm_throughput=warm_throughput,
            confirm=confirm, max_write_units_per_s=max_write_units_per_s, stall_timeout_s=stall_timeout_s)
        report = outcome.result
        return result(report, markdown=with_requests(report, report.views_sql, report.table_requests),
                      artifacts=[deps.workspace.uri(a) for a in outcome.artifacts] or None)

    @app.tool(annotations=annotations("verify_migration"))
    @mapped
    async def verify_migration(contract: str | None = None, dsn: str | None = None, endpoint_url: str | None = None,
                               region: str | None = None, tables: list[str] | None = None,
                               ctx: Context = CurrentContext()) -> ToolResult:
        """Compare source and target per table: counts and order-independent per-item checksums, with the
        first differing keys and a field diff; the items DynamoDB refused in the newest run of this contract
        are not expected."""
        return result(await execution.verify(deps.request(ctx), contract, dsn, endpoint_url=endpoint_url,
                                             region=region, tables=tables))
