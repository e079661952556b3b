"""MCP tools for the AWS Glue path: prepare the job (workspace only, for review), run it (writes to
S3, Glue and DynamoDB). Thin: inputs and the write policy are the use case's (tools/usecases/glue.py)."""

from __future__ import annotations

import json
from typing import Any

from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, annotations, in_thread, mapped, result
from mysql2ddb.tools.core.render import to_markdown
from mysql2ddb.tools.usecases import glue


def preview_markdown(preview: Any) -> str:
    """A dry run for chat: the objects, the job definition and the script it would upload."""
    return (f"{to_markdown(preview)}\n\nJob definition:\n\n```json\n{json.dumps(preview.job_definition, indent=2)}\n```"
            f"\n\n`job.py`:\n\n```python\n{preview.script}\n```\n")


def register(app: FastMCP, deps: Deps) -> None:
    @app.tool(annotations=annotations("prepare_glue_job"))
    @mapped
    async def prepare_glue_job(contract: str | None = None, dsn: str | None = None, rows_per_partition: int = 100_000,
                               ctx: Context = CurrentContext()) -> ToolResult:
        """Generate the Glue ETL job (script, shipped conversion module, specs with JDBC partitioning read
        from the views, a manifest naming the contract) into the workspace under glue/ for review. Calls no
        AWS API. `contract`: default the workspace's contract.json; the views must exist (create_views)."""
        outcome = await in_thread(glue.prepare, deps.request(ctx), contract, dsn, rows_per_partition=rows_per_partition)
        return result(outcome.result, artifacts=[deps.workspace.uri(a) for a in outcome.artifacts])

    @app.tool(annotations=annotations("run_glue_job"))
    @mapped
    async def run_glue_job(bucket: str, role_arn: str, secret_id: str | None = None, connection_name: str | None = None,
                           job_name: str = "mysql2ddb-copy", endpoint_url: str | None = None, region: str | None = None,
                           dry_run: bool = False, confirm: bool = False, ctx: Context = CurrentContext()) -> ToolResult:
        """Upload the prepared job to S3, create/update the Glue job, start it and follow it to the end.
        `dry_run` shows the S3 objects, the job definition and the script and writes nothing: show it to
        the user. A real run writes to S3, Glue and DynamoDB and needs BOTH an approved contract (the one
        the job was prepared from) and confirm=true (the user's go-ahead for this run). The DynamoDB
        tables must exist (create_tables)."""
        outcome = await in_thread(glue.run, deps.request(ctx), bucket=bucket, role_arn=role_arn, secret_id=secret_id,
                                  connection_name=connection_name, job_name=job_name, endpoint_url=endpoint_url,
                                  region=region, dry_run=dry_run, confirm=confirm)
        markdown = preview_markdown(outcome.result) if dry_run else None
        return result(outcome.result, markdown=markdown, artifacts=[deps.workspace.uri(a) for a in outcome.artifacts] or None)
