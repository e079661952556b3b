"""MCP-client adapters for the downstream ports: a team's own MySQL and AWS MCP servers,
reached over stdio (environment passed explicitly: stdio children get a stripped one) or HTTP.

Every connection lives on one event loop in a daemon thread of its own (`_LOOP`), so the same
session serves async callers (views, readiness) and the synchronous control-plane calls the
table and Glue steps make from worker threads, without either blocking the other.

Known MySQL server shape: `execute_sql(query)` answering comma-joined text (PyPI `mysql-mcp-server`
0.4.4): no quoting, NULL and '' both empty, DDL answered "Query executed successfully. Rows
affected: N", a statement holding ';' anywhere refused. `mysql_result` parses it, refusing what it
cannot read exactly; our own queries hex-encode their values (views.py, readiness.py).
The AWS servers' adapters are in tools/downstream/mcp_aws.py."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import re
import threading
from typing import Any, Awaitable, TypeVar

from fastmcp import Client
from fastmcp.client.transports import StdioTransport, StreamableHttpTransport

from mysql2ddb.tools.core.errors import DatabaseError, DownstreamError, Mysql2DdbError, PrivilegeError
from mysql2ddb.tools.downstream.config import ServerConfig, redact
from mysql2ddb.tools.downstream.resilience import CircuitBreaker, call_resilient

_BASE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
T = TypeVar("T")


class _LoopThread:
    """One event loop in a daemon thread: the home of every MCP session of this process."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="mysql2ddb-mcp-clients", daemon=True).start()
                self._loop = loop
            return self._loop

    def submit(self, coro: Awaitable[T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop())  # type: ignore[arg-type]

    def on_loop(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False


_LOOP = _LoopThread()


class McpConnection:
    """One downstream MCP server: connects on first use, keeps the session, retries transient
    failures, and stops calling it through a circuit breaker when it keeps failing."""

    def __init__(self, name: str, config: ServerConfig, *, connect_timeout: float = 60.0):
        self.name, self.config = name, config
        self.breaker = CircuitBreaker(name)
        self._client: Client | None = None
        self._stack = contextlib.AsyncExitStack()
        self._timeout = connect_timeout
        self._tools: list[str] | None = None

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
                await self._aclose()
                raise DownstreamError(self.safe(f"cannot start or reach the MCP server: {type(exc).__name__}: {exc}"),
                                      where=f"mcp server {self.name!r}",
                                      remedy="check its command/url, arguments and environment in the mcpServers config") from None
            self._client = client
        return self._client

    async def _on_loop(self, coro: Awaitable[T]) -> T:
        if _LOOP.on_loop():
            return await coro
        return await asyncio.wrap_future(_LOOP.submit(coro))

    async def _result(self, tool: str, arguments: dict[str, Any]) -> tuple[bool, list[str]]:
        async def once() -> tuple[bool, list[str]]:
            client = await self._connect()
            try:
                result = await client.call_tool(tool, arguments, raise_on_error=False)
            except Mysql2DdbError:
                raise
            except Exception as exc:
                await self._aclose()
                raise DownstreamError(self.safe(f"{tool} failed: {type(exc).__name__}: {exc}"), where=f"mcp server {self.name!r}",
                                      remedy="check that the server is running; it is retried with backoff") from None
            return bool(result.is_error), [getattr(block, "text", "") for block in result.content]

        return await call_resilient(self.breaker, once)

    async def result(self, tool: str, arguments: dict[str, Any]) -> tuple[bool, list[str]]:
        """(is_error, text blocks) of one tool call: the caller reads the server's own error text."""
        return await self._on_loop(self._result(tool, arguments))

    async def call(self, tool: str, arguments: dict[str, Any]) -> list[str]:
        """The text blocks of a tool result; an error result raises DownstreamError (terminal)."""
        is_error, texts = await self.result(tool, arguments)
        if is_error:
            raise self.tool_error(tool, texts)
        return texts

    def result_sync(self, tool: str, arguments: dict[str, Any], timeout: float = 600.0) -> tuple[bool, list[str]]:
        """`result` for synchronous callers (worker threads): the session stays on its own loop."""
        if _LOOP.on_loop():
            raise RuntimeError("result_sync called on the MCP clients' own loop")
        return _LOOP.submit(self._result(tool, arguments)).result(timeout)

    def tool_error(self, tool: str, texts: list[str]) -> DownstreamError:
        error = DownstreamError(self.safe(" ".join(texts))[:1000], where=f"mcp server {self.name!r} tool {tool}",
                                remedy="read the server's message; fix its permissions or input")
        error.transient = False
        return error

    async def tools(self) -> list[str]:
        """The server's tool names (cached): which dialect it speaks."""
        if self._tools is None:
            async def listed() -> list[str]:
                return [t.name for t in await (await self._connect()).list_tools()]

            self._tools = await self._on_loop(listed())
        return self._tools

    def safe(self, text: str) -> str:
        """A message for errors and reports: this server's env/header values and URL passwords redacted."""
        return redact(text, self.config.secrets())

    async def _aclose(self) -> None:
        self._client = None
        with contextlib.suppress(Exception):
            await self._stack.aclose()
        self._stack = contextlib.AsyncExitStack()

    async def aclose(self) -> None:
        await self._on_loop(self._aclose())


# ---- the MySQL server ----------------------------------------------------------------------

_DONE = re.compile(r"^Query executed successfully\.( No results returned\.| Rows affected: -?\d+)?$")
_REFUSED_MULTI = "Only single statements are supported"


def mysql_result(text: str, where: str) -> list[dict[str, str]]:
    """Rows from mysql-mcp-server's answer. Values are comma-joined without quoting, so a row
    holding a comma (or a newline) is refused instead of being read wrong; a one-column answer
    is read line by line (SHOW GRANTS lines hold commas)."""
    if not text or _DONE.match(text.strip()):
        return []
    if text.startswith("Error") or text.startswith(_REFUSED_MULTI):
        privilege = re.search(r"denied|privilege", text, re.I)
        remedy = ("grant the MCP server's MySQL user the privileges named" if privilege else
                  "mysql-mcp-server refuses any statement holding ';' (even inside a string literal): change the "
                  "contract's literal, or let mysql2ddb create the views directly" if text.startswith(_REFUSED_MULTI)
                  else "fix the statement, or the MCP server's MySQL connection")
        raise (PrivilegeError if privilege else DatabaseError)(text[:1000], where=where, remedy=remedy)
    header, *lines = text.split("\n")
    columns = header.split(",")
    if len(columns) == 1:
        return [{columns[0]: line} for line in lines]
    rows = []
    for line in lines:
        values = line.split(",")
        if len(values) != len(columns):
            raise DatabaseError(f"an answer row has {len(values)} fields for {len(columns)} columns (a value holds a comma "
                                "or a newline, which this server does not quote)", where=where,
                                remedy="query hex-encoded values (HEX(col)) through this server")
        rows.append(dict(zip(columns, values)))
    return rows


class McpMySql:
    def __init__(self, connection: McpConnection, tool: str = "execute_sql"):
        self.conn, self.tool = connection, tool
        self.via = f"mcp:{connection.name}"

    async def ping(self) -> None:
        await self.query("SELECT 1 AS ok")

    async def query(self, sql: str) -> list[dict[str, Any]]:
        where = f"mysql via mcp server {self.conn.name!r}"
        text = "\n".join(await self.conn.call(self.tool, {"query": sql}))
        try:
            return mysql_result(text, where)
        except Mysql2DdbError as exc:
            exc.why = self.conn.safe(exc.why)
            raise

    async def execute(self, sql: str) -> None:
        await self.query(sql)
