"""`start_local_endpoint`, `stop_local_endpoint`, `local_endpoint_status`: the workspace's local AWS
endpoint, which outlives a call (tools/usecases/local_endpoint.py). Thin: policy is the use case's.

Their effects (tools/core/consent.py): status only reads (READ_ONLY). Starting a moto server writes
the workspace's record and serves 127.0.0.1 only, and starting one that runs already is a no-op
(WORKSPACE); kind dynamodb-local listens on every network interface, so the use case asks for
confirm=true then. Stopping loses every table and item in it, which cannot be undone (EXTERNAL:
confirm=true after the user saw the dry run)."""

from __future__ import annotations

from typing import Literal

from fastmcp import FastMCP
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, annotations, in_thread, mapped, result
from mysql2ddb.tools.usecases import local_endpoint


def register(app: FastMCP, deps: Deps) -> None:
    @app.tool(annotations=annotations("start_local_endpoint"))
    @mapped
    async def start_local_endpoint(kind: Literal["moto", "dynamodb-local"] = "moto", port: int | None = None,
                                   confirm: bool = False) -> ToolResult:
        """Start the workspace's local AWS endpoint (or report the one running): a moto server on
        127.0.0.1 (default; DynamoDB, S3, Glue), or AWS's DynamoDB Local for fidelity (25-item batches,
        real size rules; no tags/PITR; it listens on every network interface, so it needs confirm=true
        after asking the user). `endpoint_url='embedded'` in migrate, verify_migration and the other
        tools uses it, and its tables and items stay until stop_local_endpoint."""
        return result(await in_thread(local_endpoint.start, deps.request(), kind, port, None, confirm))

    @app.tool(annotations=annotations("stop_local_endpoint"))
    @mapped
    async def stop_local_endpoint(dry_run: bool = False, confirm: bool = False) -> ToolResult:
        """Stop the workspace's local endpoint: every table and item in it is lost. dry_run lists what
        would be lost; a real stop needs confirm=true after the user agreed."""
        return result(await in_thread(local_endpoint.stop, deps.request(), dry_run, confirm))

    @app.tool(annotations=annotations("local_endpoint_status"))
    @mapped
    async def local_endpoint_status(table: str | None = None, limit: int = 5) -> ToolResult:
        """Whether the workspace's local endpoint runs (kind, URL, pid, since when), its DynamoDB tables
        with their item counts, and with `table` the first `limit` (1-100) items of that table."""
        return result(await in_thread(local_endpoint.status, deps.request(), table, limit))
