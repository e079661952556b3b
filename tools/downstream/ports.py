"""One port per downstream service. Adapters: direct clients (tools/downstream/direct.py) or
MCP clients (tools/downstream/mcp_client.py); callers never know which."""

from __future__ import annotations

from typing import Any, Protocol


class MySqlPort(Protocol):
    via: str  # "direct" or "mcp:<server name>"

    async def ping(self) -> None: ...

    async def query(self, sql: str) -> list[dict[str, Any]]: ...

    async def execute(self, sql: str) -> None: ...


class GluePort(Protocol):
    via: str

    async def ping(self) -> None: ...

    async def create_or_update_job(self, name: str, definition: dict[str, Any]) -> None: ...

    async def start_job_run(self, name: str, arguments: dict[str, str] | None = None) -> str: ...

    async def job_run_state(self, name: str, run_id: str) -> str: ...


class S3Port(Protocol):
    via: str

    async def ping(self) -> None: ...

    async def put_text(self, bucket: str, key: str, body: str) -> None: ...


class DynamoPort(Protocol):
    via: str

    async def ping(self) -> None: ...
