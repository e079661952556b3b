"""`validate_mcp_servers`: the readiness report of every downstream service, before any change.
The servers come only from the user's MYSQL2DDB_MCP_SERVERS_FILE, never from an argument
(tools/usecases/downstream.py)."""

from __future__ import annotations

from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, annotations, mapped, result
from mysql2ddb.tools.usecases import downstream


def register(app: FastMCP, deps: Deps) -> None:
    @app.tool(annotations=annotations("validate_mcp_servers"))
    @mapped
    async def validate_mcp_servers(dsn: str | None = None, services: list[str] | None = None,
                                   ctx: Context = CurrentContext()) -> ToolResult:
        """Check each downstream service (mysql, dynamodb, glue, s3), through the MCP server that serves
        it (the mcpServers file the user named in MYSQL2DDB_MCP_SERVERS_FILE) or the direct client: health
        and the permissions the migration needs (CREATE VIEW, SELECT, SHOW VIEW; glue CreateJob/StartJobRun/
        GetJobRun; s3 Put/GetObject; dynamodb CreateTable/BatchWriteItem). Changes nothing."""
        return result(await downstream.validate_mcp_servers(deps.request(ctx), dsn, services))
