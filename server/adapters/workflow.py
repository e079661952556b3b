"""`status`: where the migration stands and what comes next."""

from __future__ import annotations

from fastmcp import FastMCP
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, annotations, mapped, result
from mysql2ddb.tools.usecases import workflow


def register(app: FastMCP, deps: Deps) -> None:
    @app.tool(annotations=annotations("status"))
    @mapped
    async def status() -> ToolResult:
        """Which steps of the migration are done (or skipped on purpose), which approvals hold or went
        stale, which run is in progress, and the exact tool call to make next."""
        return result(workflow.status(deps.request()))
