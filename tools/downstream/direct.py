"""Direct adapters: aiomysql for MySQL; boto3 for the AWS services (tools/downstream/aws_port.py
wraps both a boto3 client and an MCP server's boto3-shaped client)."""

from __future__ import annotations

from typing import Any

from mysql2ddb.tools.core.db import Dsn, async_connection, fetch_all


class DirectMySql:
    via = "direct"

    def __init__(self, dsn: Dsn):
        self.dsn = dsn

    async def ping(self) -> None:
        await self.query("SELECT 1")

    async def query(self, sql: str) -> list[dict[str, Any]]:
        async with async_connection(self.dsn, where="mysql (direct)") as conn:
            return await fetch_all(conn, sql, where="mysql (direct)", dsn=self.dsn)

    async def execute(self, sql: str) -> None:
        await self.query(sql)
