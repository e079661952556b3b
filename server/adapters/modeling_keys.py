"""MCP tool `choose_table_key`: the key of a table that has no usable one. Thin: the choice is
checked and stored in tools/usecases/modeling.py."""

from __future__ import annotations

from fastmcp import FastMCP
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.arguments import clean_argument_errors
from mysql2ddb.server.adapters.common import Deps, annotations, mapped, result
from mysql2ddb.tools.usecases import modeling as uc


def register(app: FastMCP, deps: Deps) -> None:
    clean_argument_errors(app, {"choose_table_key"})

    @app.tool(annotations=annotations("choose_table_key"))
    @mapped
    async def choose_table_key(table: str, columns: list[str] | None = None, synthetic: bool = False,
                               dsn: str | None = None) -> ToolResult:
        """Choose the key of a MySQL table that has no usable one (no primary key, and no UNIQUE key free of
        NULLs): `columns` whose values are unique and never NULL, or synthetic=true for a SHA-256 hash of the
        whole row (identical rows then share one item). Checked against the data when a DSN is configured or
        given (read-only); kept in table_keys.json. Then rebuild schema patterns (build_access_patterns with
        source='schema') if they came from the schema, and recommend_design again."""
        done = await uc.choose_table_key(deps.request(), table, columns, synthetic, dsn)
        return result(done.result, artifacts=[deps.workspace.uri(p) for p in done.artifacts])
