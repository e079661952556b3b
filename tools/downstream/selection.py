"""Choosing each service's adapter from the mcpServers config: an MCP client where a server
claims the service, the direct client otherwise."""

from __future__ import annotations

from typing import Any

from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.core.db import Dsn
from mysql2ddb.tools.downstream.aws_port import AwsPort, direct_port
from mysql2ddb.tools.downstream.config import SERVICES, DownstreamConfig
from mysql2ddb.tools.downstream.direct import DirectMySql
from mysql2ddb.tools.downstream.mcp_aws import aws_client_for
from mysql2ddb.tools.downstream.mcp_client import McpConnection, McpMySql


class DownstreamPorts:
    """One port per service. `ports["mysql"]` is absent without a DSN and no server for it."""

    def __init__(self, config: DownstreamConfig, dsn: Dsn | None, aws: AwsClients, services: tuple[str, ...] = SERVICES):
        self.connections: dict[str, McpConnection] = {}
        self.ports: dict[str, Any] = {}
        for service in services:
            claimed = config.server_for(service)  # type: ignore[arg-type]
            if claimed:
                name, server = claimed
                conn = self.connections.setdefault(name, McpConnection(name, server))
                self.ports[service] = McpMySql(conn) if service == "mysql" else _mcp_port(service, conn)
            elif service == "mysql":
                if dsn is not None:
                    self.ports[service] = DirectMySql(dsn)
            else:
                self.ports[service] = direct_port(service, aws)

    def via(self, service: str) -> str:
        port = self.ports.get(service)
        return port.via if port is not None else "direct"

    def delegated(self, service: str) -> bool:
        return self.via(service) != "direct"

    async def aws_client(self, service: str) -> Any:
        """The boto3-shaped control-plane client of an AWS service, through its adapter."""
        return await self.ports[service].client()

    async def aclose(self) -> None:
        for conn in self.connections.values():
            await conn.aclose()

    async def __aenter__(self) -> "DownstreamPorts":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


def _mcp_port(service: str, conn: McpConnection) -> AwsPort:
    async def factory(name: str) -> Any:
        return await aws_client_for(conn, name)

    return AwsPort(service, f"mcp:{conn.name}", factory)
