"""Artifacts in the workspace are MCP resources: mysql2ddb://workspace/<path>."""

from __future__ import annotations

from fastmcp import FastMCP
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, annotations, mapped, result


def register(app: FastMCP, deps: Deps) -> None:
    @app.resource("mysql2ddb://workspace/{path*}", name="workspace artifact", mime_type="text/plain")
    def read_artifact(path: str) -> str:
        return deps.workspace.read_text(path)

    @app.tool(annotations=annotations("list_artifacts"))
    @mapped
    async def list_artifacts() -> ToolResult:
        """List every artifact in the workspace with its resource URI."""
        files = deps.workspace.list()
        lines = "\n".join(f"- `{f}` ({deps.workspace.uri(f)})" for f in files) or "(the workspace is empty)"
        return result({"artifacts": [{"path": f, "uri": deps.workspace.uri(f)} for f in files]}, markdown=lines)
