"""Stage 1 tool `analyze_schema`: the live schema with measured cardinality, read-only.

It reads the database (SELECT statements only) and writes its artifacts into the workspace:
analysis/schema.json, 01_3_table_structure_analysis.md and 01_3_entity_relationships.md, each
also a resource under mysql2ddb://workspace/. Inputs and policy: tools/usecases/analysis.py."""

from __future__ import annotations

from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, annotations, mapped, result
from mysql2ddb.tools.core.render import to_markdown
from mysql2ddb.tools.usecases import analysis as usecase


def register(app: FastMCP, deps: Deps) -> None:
    @app.tool(annotations=annotations("analyze_schema"))
    @mapped
    async def analyze_schema(dsn: str | None = None, ctx: Context = CurrentContext()) -> ToolResult:
        """Analyse the live MySQL schema (read-only): tables with exact column types (precision/scale,
        unsigned, ENUM/SET values, JSON, spatial, generated columns, defaults, charset), primary, unique
        and foreign keys, indexes, views, triggers and row counts (estimated above the threshold, marked
        so); relationships with cardinality measured from the data (1:1, 1:N, M:N through junction
        tables; max/avg children per parent; orphans); per candidate key its distinct count and the
        share of rows its top values hold (skew). `dsn` defaults to the server's MYSQL2DDB_DSN (its
        password is used only for that server and user). Writes analysis/schema.json and two markdown
        reports (with a mermaid ER diagram) to the workspace."""
        req = deps.request(ctx)
        out = await usecase.analyze_schema(req, dsn)
        links = "\n".join(f"- `{p}` ({req.workspace.uri(p)})" for p in out.artifacts)
        markdown = to_markdown(out.result.report()) + "\nArtifacts:\n" + links + "\n"
        return result(out.result, markdown=markdown, artifacts=[req.workspace.uri(p) for p in out.artifacts])
