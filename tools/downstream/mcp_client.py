"""MCP-client adapters for the downstream ports: a team's own MySQL and AWS MCP servers,
reached over stdio (environment passed explicitly: stdio children get a stripped one) or HTTP.

Known tool shapes: a MySQL server with `execute_sql(query)` returning CSV text (e.g. PyPI
`mysql-mcp-server`); an AWS data-processing server with `manage_aws_glue_jobs(operation, ...)`
and `upload_to_s3(code_content, bucket_name, s3_key)` (PyPI `awslabs.aws-dataprocessing-mcp-server`)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
from typing import Any

from fastmcp import Client
from fastmcp.client.transports import StdioTransport, StreamableHttpTransport

from mysql2ddb.tools.core.errors import DatabaseError, DownstreamError, Mysql2DdbError, PrivilegeError
from mysql2ddb.tools.downstream.config import ServerConfig, redact
from mysql2ddb.tools.downstream.resilience import CircuitBreaker, call_resilient

_BASE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


class McpConnection:
    """One downstream MCP server: connects on first use, keeps the session, retries transient
    failures, and stops calling it through a circuit breaker when it keeps failing."""

    def __init__(self, name: str, config: ServerConfig, *, connect_timeout: float = 60.0):
        self.name, self.config = name, config
        self.breaker = CircuitBreaker(name)
        self._client: Client | None = None
        self._stack = contextlib.AsyncExitStack()
        self._timeout = connect_timeout

    def _transport(self) -> Any:
        if self.config.url:
            return StreamableHttpTransport(self.config.url, headers=self.config.plain_headers())
        env = {k: os.environ[k] for k in _BASE_ENV if k in os.environ}
        env.update(self.config.plain_env())
        return StdioTransport(command=self.config.command or "", args=self.config.args, env=env)

    async def _connect(self) -> Client:
        if self._client is None:
            client = Client(self._transport(), timeout=self._timeout)
            try:
                await self._stack.enter_async_context(client)
            except Exception as exc:
                await self.aclose()
                raise DownstreamError(self.safe(f"cannot start or reach the MCP server: {type(exc).__name__}: {exc}"),
                                      where=f"mcp server {self.name!r}",
                                      remedy="check its command/url, arguments and environment in the mcpServers config") from None
            self._client = client
        return self._client

    async def call(self, tool: str, arguments: dict[str, Any]) -> list[str]:
        """The text blocks of a tool result; an error result raises DownstreamError (terminal)."""

        async def once() -> list[str]:
            client = await self._connect()
            try:
                result = await client.call_tool(tool, arguments, raise_on_error=False)
            except Mysql2DdbError:
                raise
            except Exception as exc:
                await self.aclose()
                raise DownstreamError(self.safe(f"{tool} failed: {type(exc).__name__}: {exc}"), where=f"mcp server {self.name!r}",
                                      remedy="check that the server is running; it is retried with backoff") from None
            texts = [getattr(block, "text", "") for block in result.content]
            if result.is_error:
                error = DownstreamError(self.safe(" ".join(texts))[:1000], where=f"mcp server {self.name!r} tool {tool}",
                                        remedy="read the server's message; fix its permissions or input")
                error.transient = False
                raise error
            return texts

        return await call_resilient(self.breaker, once)

    def safe(self, text: str) -> str:
        """A message for errors and reports: this server's env/header values and URL passwords redacted."""
        return redact(text, self.config.secrets())

    async def aclose(self) -> None:
        self._client = None
        with contextlib.suppress(Exception):
            await self._stack.aclose()
        self._stack = contextlib.AsyncExitStack()


class McpMySql:
    def __init__(self, connection: McpConnection, tool: str = "execute_sql"):
        self.conn, self.tool = connection, tool
        self.via = f"mcp:{connection.name}"

    async def ping(self) -> None:
        await self.query("SELECT 1 AS ok")

    async def query(self, sql: str) -> list[dict[str, Any]]:
        text = "\n".join(await self.conn.call(self.tool, {"query": sql}))
        if text.startswith("Error"):
            error_cls = PrivilegeError if re.search(r"denied|privilege", text, re.I) else DatabaseError
            raise error_cls(self.conn.safe(text)[:1000], where=f"mysql via mcp server {self.conn.name!r}",
                            remedy="grant the migration user the privileges named, or fix the statement")
        rows = list(csv.DictReader(io.StringIO(text)))
        return rows

    async def execute(self, sql: str) -> None:
        await self.query(sql)


def _json_block(texts: list[str]) -> dict[str, Any]:
    for text in texts:
        with contextlib.suppress(ValueError):
            data = json.loads(text)
            if isinstance(data, dict):
                return data
    return {}


class McpGlue:
    def __init__(self, connection: McpConnection):
        self.conn = connection
        self.via = f"mcp:{connection.name}"

    async def ping(self) -> None:
        await self.conn.call("manage_aws_glue_jobs", {"operation": "get-jobs", "max_results": 1})

    async def create_or_update_job(self, name: str, definition: dict[str, Any]) -> None:
        try:
            await self.conn.call("manage_aws_glue_jobs", {"operation": "get-job", "job_name": name})
            exists = True
        except DownstreamError:
            exists = False
        operation = "update-job" if exists else "create-job"
        await self.conn.call("manage_aws_glue_jobs", {"operation": operation, "job_name": name, "job_definition": definition})

    async def start_job_run(self, name: str, arguments: dict[str, str] | None = None) -> str:
        args: dict[str, Any] = {"operation": "start-job-run", "job_name": name}
        if arguments:
            args["job_arguments"] = arguments
        data = _json_block(await self.conn.call("manage_aws_glue_jobs", args))
        return str(data["job_run_id"])

    async def job_run_state(self, name: str, run_id: str) -> str:
        data = _json_block(await self.conn.call("manage_aws_glue_jobs",
                                                {"operation": "get-job-run", "job_name": name, "job_run_id": run_id}))
        return str(data.get("job_run_details", {}).get("JobRunState", "UNKNOWN"))


class McpS3:
    def __init__(self, connection: McpConnection):
        self.conn = connection
        self.via = f"mcp:{connection.name}"

    async def ping(self) -> None:
        await self.conn.call("list_s3_buckets", {})

    async def put_text(self, bucket: str, key: str, body: str) -> None:
        await self.conn.call("upload_to_s3", {"code_content": body, "bucket_name": bucket, "s3_key": key})
