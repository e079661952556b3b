"""Stage 1 tool `analyze_schema`: the live schema with measured cardinality, read-only.

It reads the database (SELECT statements only) and writes its artifacts into the workspace:
analysis/schema.json, 01_3_table_structure_analysis.md and 01_3_entity_relationships.md, each
also a resource under mysql2ddb://workspace/."""

from __future__ import annotations

from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, McpProgress, annotations, mapped, result
from mysql2ddb.tools.core.render import to_markdown
from mysql2ddb.tools.core.db import Dsn


def register(app: FastMCP, deps: Deps) -> None:
    def dsn_of(dsn: str | None) -> Dsn:
        return deps.dsn(dsn, where="analyze_schema: dsn")

    @app.tool(annotations=annotations("analyze_schema"))
    @mapped
    async def analyze_schema(dsn: str | None = None, ctx: Context = CurrentContext()) -> ToolResult:
        """Analyse the live MySQL schema (read-only): tables with exact column types (precision/scale,
        unsigned, ENUM/SET values, JSON, spatial, generated columns, defaults, charset), primary, unique
        and foreign keys, indexes, views, triggers and row counts (estimated above the threshold, marked
        so); relationships with cardinality measured from the data (1:1, 1:N, M:N through junction
        tables; max/avg children per parent; orphans); per candidate key its distinct count and the
        share of rows its top values hold (skew). `dsn` defaults to the server's MYSQL2DDB_DSN. Writes
        analysis/schema.json and two markdown reports (with a mermaid ER diagram) to the workspace."""
        from mysql2ddb.tools.analysis.schema import analyze_schema as analyze, write_schema_artifacts

        analysis = await analyze(dsn_of(dsn), progress=McpProgress(ctx),
                                 exact_count_threshold=deps.settings.exact_count_threshold)
        paths = write_schema_artifacts(analysis, deps.workspace)
        links = "\n".join(f"- `{p}` ({deps.workspace.uri(p)})" for p in paths)
        markdown = to_markdown(analysis.report()) + "\nArtifacts:\n" + links + "\n"
        return result(analysis, markdown=markdown, artifacts=[deps.workspace.uri(p) for p in paths])
