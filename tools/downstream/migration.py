"""The downstream adapters of one migration: views through the MySQL port, tables and their
checks through the DynamoDB port, each an MCP server where the user's mcpServers config names
one for the service, the direct client otherwise. Bulk item data (the view streams, BatchWriteItem,
the verifying Scans) always goes directly: an MCP round trip per request would cost far more than
the request itself (README, "Downstream MCP servers").

The pipeline (tools/execution/pipeline.py) sees only this object's small surface: `via`,
`views_port`, `tables_client`, `check_ready`, `check_same_tables`."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from mysql2ddb.tools.core.aws import AwsClients, map_aws_error
from mysql2ddb.tools.core.db import Dsn
from mysql2ddb.tools.core.errors import ConfigError
from mysql2ddb.tools.downstream.aws_port import direct_port
from mysql2ddb.tools.downstream.config import DownstreamConfig, redact
from mysql2ddb.tools.downstream.direct import DirectMySql
from mysql2ddb.tools.downstream.readiness import migration_readiness, readiness_error
from mysql2ddb.tools.downstream.selection import DownstreamPorts


class MigrationDownstream:
    def __init__(self, config: DownstreamConfig, dsn: Dsn, aws: AwsClients):
        self.ports = DownstreamPorts(config, dsn, aws, ("mysql", "dynamodb"))
        self.reader, self.aws = DirectMySql(dsn), aws
        self.secrets = config.secrets() + ([dsn.password] if dsn.password else [])

    def via(self, service: str) -> str:
        return self.ports.via(service)

    @property
    def views_port(self) -> Any:
        """The MySQL port that creates the views, or None for the DSN's own connection."""
        return self.ports.ports["mysql"] if self.ports.delegated("mysql") else None

    async def tables_client(self) -> Any:
        """The DynamoDB port's control-plane client, or None for boto3 on the run's endpoint."""
        return await self.ports.aws_client("dynamodb") if self.ports.delegated("dynamodb") else None

    async def check_ready(self, database: str) -> str:
        """Every adapter healthy with the permissions it needs, before anything is written."""
        report = await migration_readiness(self.ports, self.reader, direct_port("dynamodb", self.aws), database)
        if not report.ready:
            raise readiness_error(report, self.secrets)
        return "adapters ready: " + ", ".join(f"{s.service} via {s.via}" for s in report.services)

    async def check_same_tables(self, tables: list[str]) -> None:
        """Tables made through an MCP server must be the very tables the direct copy writes to:
        same ARN and creation time seen from both (a server pointed at another account, region
        or endpoint would otherwise receive the tables while the items went elsewhere)."""
        if not self.ports.delegated("dynamodb"):
            return
        through, direct = await self.ports.aws_client("dynamodb"), self.aws.client("dynamodb")

        def seen(client: Any, name: str, where: str) -> tuple[str, datetime | None]:
            try:
                table = client.describe_table(TableName=name)["Table"]
            except Exception as exc:
                raise map_aws_error(exc, where) from None
            created = table.get("CreationDateTime")
            created = datetime.fromisoformat(created) if isinstance(created, str) else created
            return table.get("TableArn", ""), created

        for name in tables:
            mine = await asyncio.to_thread(seen, through, name, f"table {name} ({self.via('dynamodb')})")
            try:
                theirs = await asyncio.to_thread(seen, direct, name, f"table {name} (direct)")
            except Exception:
                theirs = ("", None)
            if mine != theirs:
                raise ConfigError(redact(
                    f"table {name} made through {self.via('dynamodb')} ({mine[0]}) is not the table the copy writes to "
                    f"at {self.aws.endpoint_url or 'AWS ' + self.aws.region} ({theirs[0] or 'absent there'})",
                    self.secrets), where="DynamoDB port",
                    remedy="point the AWS MCP server at the same account, region and endpoint as mysql2ddb "
                           "(its AWS_REGION / AWS_ENDPOINT_URL / credentials in the mcpServers config)")

    async def aclose(self) -> None:
        await self.ports.aclose()

    async def __aenter__(self) -> "MigrationDownstream":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
