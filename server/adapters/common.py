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
from fastmcp.server.middleware import Middleware, MiddlewareContext
from fastmcp.tools.base import ToolResult
from mcp.types import ResourceListChangedNotification, TextContent, ToolAnnotations

from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.consent import Effect, operation
from mysql2ddb.tools.core.errors import Mysql2DdbError
from mysql2ddb.tools.core.progress import NullProgress
from mysql2ddb.tools.core.render import to_markdown
from mysql2ddb.tools.core.settings import Settings
from mysql2ddb.tools.core.workspace import Workspace, to_jsonable
from mysql2ddb.tools.usecases.request import Request

log = logging.getLogger("mysql2ddb.mcp")
T = TypeVar("T")

_ANNOTATIONS = {
    Effect.READ_ONLY: ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False),
    Effect.WORKSPACE: ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True,
                                      openWorldHint=False),
    Effect.EXTERNAL: ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=False, openWorldHint=True),
}


def annotations(tool_name: str) -> ToolAnnotations:
    """A tool's annotations, from the one write-policy registry (tools/core/consent.py)."""
    return _ANNOTATIONS[operation(tool_name).effect]


@dataclass
class Deps:
    """What the adapters share: the server's settings and workspace; each call gets a Request."""

    settings: Settings
    workspace: Workspace
    extras: dict[str, Any] = field(default_factory=dict)

    def request(self, ctx: Context | None = None) -> Request:
        """This call's standing: an MCP caller (untrusted arguments), progress to the client."""
        progress = McpProgress(ctx) if ctx is not None else None
        return Request(self.settings, self.workspace, Caller.MCP, progress or NullProgress())


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


def workspace_stamp(workspace: Workspace) -> frozenset[tuple[str, int, int]]:
    """A cheap fingerprint of the artifacts: each path with its modification time and size."""
    stamp = []
    for rel in workspace.list():
        try:
            st = (workspace.root / rel).stat()
        except OSError:  # removed meanwhile
            continue
        stamp.append((rel, st.st_mtime_ns, st.st_size))
    return frozenset(stamp)


class ArtifactChanges(Middleware):
    """After a tool call that wrote, replaced or removed workspace artifacts (failed calls too: they
    may have written part), tell the client: notifications/resources/list_changed."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace

    async def on_call_tool(self, context: MiddlewareContext[Any], call_next: Any) -> Any:
        before = await asyncio.to_thread(workspace_stamp, self.workspace)
        try:
            return await call_next(context)
        finally:
            ctx = context.fastmcp_context
            if ctx is not None and await asyncio.to_thread(workspace_stamp, self.workspace) != before:
                try:
                    await ctx.send_notification(ResourceListChangedNotification())
                except Exception as exc:  # noqa: BLE001 - a lost notice must not fail the call
                    log.info("resources/list_changed not sent: %s", exc)


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
