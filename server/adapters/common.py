"""What every MCP tool adapter shares: running a pure core off the event loop, mapping our
errors to ToolError, bridging progress to `ctx.report_progress`, and shaping results as
structured content (JSON) plus markdown text for chat."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, TypeVar

from fastmcp import Context
from fastmcp.exceptions import ToolError
from fastmcp.tools.base import ToolResult
from mcp.types import TextContent, ToolAnnotations

from mysql2ddb.tools.core.errors import Mysql2DdbError
from mysql2ddb.tools.core.render import to_markdown
from mysql2ddb.tools.core.settings import Settings
from mysql2ddb.tools.core.workspace import Workspace, to_jsonable

log = logging.getLogger("mysql2ddb.mcp")
T = TypeVar("T")

READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False)
WRITES_WORKSPACE = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True, openWorldHint=False)
WRITES_EXTERNAL = ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=False, openWorldHint=True)


@dataclass
class Deps:
    """Collaborators the adapters hand to the cores."""

    settings: Settings
    workspace: Workspace
    extras: dict[str, Any] = field(default_factory=dict)

    def optional_dsn(self, text: str | None) -> Any:
        """The DSN given to a tool, else MYSQL2DDB_DSN, else None; the password may come from settings."""
        from mysql2ddb.tools.core.db import Dsn

        value = text or (self.settings.dsn.get_secret_value() if self.settings.dsn else None)
        return Dsn.parse(value, password=self.settings.password()) if value else None

    def dsn(self, text: str | None, where: str = "dsn") -> Any:
        from mysql2ddb.tools.core.errors import ConfigError

        parsed = self.optional_dsn(text)
        if parsed is None:
            raise ConfigError("no database given", where=where,
                              remedy="pass dsn='mysql://user:password@host:port/database' or set MYSQL2DDB_DSN")
        return parsed


def tool_error(exc: Mysql2DdbError) -> ToolError:
    return ToolError(json.dumps(exc.to_dict()))


def mapped(fn: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Decorator for adapters: our errors become ToolError with where/why/remedy; nothing
    else is swallowed into an `{"error": ...}` success."""

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return await fn(*args, **kwargs)
        except Mysql2DdbError as exc:
            log.info("tool %s failed: %s", fn.__name__, exc)
            raise tool_error(exc) from None

    return wrapper


class McpProgress:
    """Progress sink over `ctx.report_progress`; safe to call from worker threads."""

    def __init__(self, ctx: Context | None, loop: asyncio.AbstractEventLoop | None = None):
        self._ctx = ctx
        self._loop = loop or asyncio.get_running_loop()

    def update(self, task: str, done: float, total: float | None = None, message: str | None = None) -> None:
        if self._ctx is None:
            return
        text = f"{task}: {message}" if message else task
        coro = self._ctx.report_progress(done, total, text)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._loop.create_task(coro)
        else:
            asyncio.run_coroutine_threadsafe(coro, self._loop)

    def close(self) -> None:
        return None


async def in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(fn, *args, **kwargs)


def result(payload: Any, *, markdown: str | None = None, artifacts: list[str] | None = None) -> ToolResult:
    """Structured content (the JSON rendering) plus markdown for chat."""
    data = to_jsonable(payload)
    if not isinstance(data, dict):
        data = {"result": data}
    if artifacts:
        data = {**data, "artifacts": artifacts}
    if markdown is None:
        markdown = to_markdown(payload) if hasattr(payload, "tables") else json.dumps(data, indent=2, default=str)
    return ToolResult(content=[TextContent(type="text", text=markdown)], structured_content=data)
