"""MCP tool `import_from_s3`: the contract's tables as NEW DynamoDB tables, created by ImportTable
from DynamoDB JSON written to S3. Thin: inputs, the write policy (confirm=true AND the approved
contract, as for migrate) and the refusal of existing tables are the use case's
(tools/usecases/s3_import.py)."""

from __future__ import annotations

import json

from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, annotations, mapped, result
from mysql2ddb.tools.core.render import to_markdown
from mysql2ddb.tools.usecases import s3_import


def register(app: FastMCP, deps: Deps) -> None:
    @app.tool(annotations=annotations("import_from_s3"))
    @mapped
    async def import_from_s3(bucket: str, prefix: str = s3_import.DEFAULT_PREFIX, contract: str | None = None,
                             dsn: str | None = None, tables: list[str] | None = None, endpoint_url: str | None = None,
                             region: str | None = None, dry_run: bool = False, confirm: bool = False,
                             ctx: Context = CurrentContext()) -> ToolResult:
        """Create the contract's tables as NEW DynamoDB tables with DynamoDB import from S3: each view's items
        go to s3://bucket/prefix/<table>/ as gzip DynamoDB JSON, then ImportTable creates the table from them.
        Priced per GB of source data instead of per write, consumes no write capacity; but it only creates
        tables (refused when one exists: use migrate for those) and a table is unusable until its import ends.
        `dry_run` shows the ImportTable requests and the estimate and writes nothing: show it to the user. A
        real run needs BOTH an approved contract (the `contract` gate) and confirm=true."""
        outcome = await s3_import.import_from_s3(
            deps.request(ctx), contract, dsn, bucket=bucket, prefix=prefix, tables=tables, endpoint_url=endpoint_url,
            region=region, dry_run=dry_run, confirm=confirm)
        markdown = None
        if dry_run:
            markdown = (to_markdown(outcome.result) + "\n\nImportTable requests:\n\n```json\n"
                        + json.dumps(outcome.result.requests, indent=2) + "\n```\n")
        return result(outcome.result, markdown=markdown,
                      artifacts=[deps.workspace.uri(a) for a in outcome.artifacts] or None)
