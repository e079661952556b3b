"""One port per downstream service. Adapters: direct clients (tools/downstream/direct.py, boto3)
or MCP clients (tools/downstream/mcp_client.py, mcp_aws.py); callers never know which.

The AWS ports hand out boto3-shaped control-plane clients (the same method names, keyword
arguments, response dicts and ClientError codes whichever adapter serves them), so the table
and Glue steps keep one code path and their per-feature error handling."""

from __future__ import annotations

from typing import Any, Protocol


class MySqlPort(Protocol):
    via: str  # "direct" or "mcp:<server name>"

    async def ping(self) -> None: ...

    async def query(self, sql: str) -> list[dict[str, Any]]: ...

    async def execute(self, sql: str) -> None: ...


class AwsServicePort(Protocol):
    """DynamoDB (tables and their checks), Glue (jobs) or S3 (objects): control plane only."""

    service: str
    via: str

    async def ping(self) -> None: ...

    async def client(self) -> Any:
        """A boto3-shaped client: `client.describe_table(TableName=...)` etc., ClientError on AWS errors."""
        ...

    async def simulate(self, actions: list[str]) -> tuple[list[str], list[str]]:
        """(denied, unverified) IAM actions for the credentials this adapter uses."""
        ...
