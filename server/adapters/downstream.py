"""`validate_mcp_servers`: the readiness report of every downstream service, before any change."""

from __future__ import annotations

from typing import Any

from fastmcp import FastMCP
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, annotations, mapped, result
from mysql2ddb.tools.downstream.selection import DownstreamPorts
from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.downstream.config import load_downstream_config
from mysql2ddb.tools.downstream.readiness import iam_simulator, readiness_report


def register(app: FastMCP, deps: Deps) -> None:
    @app.tool(annotations=annotations("validate_mcp_servers"))
    @mapped
    async def validate_mcp_servers(config: dict[str, Any] | None = None, config_path: str | None = None,
                                   dsn: str | None = None, services: list[str] | None = None) -> ToolResult:
        """Check each downstream service (MySQL, DynamoDB, Glue, S3), through the MCP server that
        serves it (mcpServers config) or the direct client: health and the permissions the migration
        needs (CREATE VIEW, SELECT, SHOW VIEW; glue CreateJob/StartJobRun/GetJobRun; s3 Put/GetObject;
        dynamodb CreateTable/BatchWriteItem). Changes nothing."""
        s = deps.settings
        source = config if config is not None else (config_path or s.mcp_servers_file)
        cfg = load_downstream_config(source)
        parsed = deps.optional_dsn(dsn)
        aws = AwsClients(region=s.aws_region, endpoint_url=s.aws_endpoint_url)
        wanted = tuple(services) if services else ("mysql", "dynamodb", "glue", "s3")
        async with DownstreamPorts(cfg, parsed, aws, wanted) as ports:
            report = await readiness_report(ports.ports, parsed.database if parsed else "", iam_simulator(aws))
        return result(report)
