"""Choosing each service's adapter from the mcpServers config: an MCP client where a server
claims the service, the direct client otherwise."""

from __future__ import annotations

from typing import Any

from mysql2ddb.tools.downstream.mcp_client import McpConnection, McpGlue, McpMySql, McpS3
from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.core.db import Dsn
from mysql2ddb.tools.downstream.config import SERVICES, DownstreamConfig
from mysql2ddb.tools.downstream.direct import DirectDynamo, DirectGlue, DirectMySql, DirectS3

_MCP = {"mysql": McpMySql, "glue": McpGlue, "s3": McpS3}
_DIRECT = {"glue": DirectGlue, "s3": DirectS3, "dynamodb": DirectDynamo}


class DownstreamPorts:
    def __init__(self, config: DownstreamConfig, dsn: Dsn | None, aws: AwsClients, services: tuple[str, ...] = SERVICES):
        self.connections: dict[str, McpConnection] = {}
        self.ports: dict[str, Any] = {}
        for service in services:
            claimed = config.server_for(service)  # type: ignore[arg-type]
            if claimed and service in _MCP:
                name, server = claimed
                conn = self.connections.setdefault(name, McpConnection(name, server))
                self.ports[service] = _MCP[service](conn)
            elif service == "mysql":
                if dsn is not None:
                    self.ports[service] = DirectMySql(dsn)
            else:
                self.ports[service] = _DIRECT[service](aws)

    async def aclose(self) -> None:
        for conn in self.connections.values():
            await conn.aclose()

    async def __aenter__(self) -> "DownstreamPorts":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
