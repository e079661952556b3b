"""Stage 1 tool `analyze_query_log`: access patterns with measured counts and rates, read-only.

It reads log files (general, slow, digest exports; plain or .gz) or, with `dsn`, the live
performance_schema digest table, and writes analysis/query_log.json and
01_2_mysql_log_analysis.md into the workspace (each also a resource under mysql2ddb://workspace/).
Inputs and policy (which files may be read, the DSN's password): tools/usecases/analysis.py."""

from __future__ import annotations

from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, annotations, mapped, result
from mysql2ddb.tools.core.render import to_markdown
from mysql2ddb.tools.usecases import analysis as usecase


def register(app: FastMCP, deps: Deps) -> None:
    @app.tool(annotations=annotations("analyze_query_log"))
    @mapped
    async def analyze_query_log(paths: list[str] | None = None, format: str = "auto", dsn: str | None = None,
                                ctx: Context = CurrentContext()) -> ToolResult:
        """Analyse how the application really queries MySQL (read-only). `paths`: general query logs
        (MySQL 5.7/8.x/9.x, MariaDB; Prepare/Execute pairs reconstructed), slow logs (Query_time,
        Lock_time, Rows_examined) or performance_schema events_statements_summary_by_digest exports
        (TSV/CSV), plain or .gz, several files of one format; relative paths are taken from the
        workspace, and only files under the workspace or the directories the user listed in
        MYSQL2DDB_READ_DIRS can be read. `format` auto|general|slow|digest.
        Or `dsn` (mysql://user@host:port/db) to read the live digest table instead.
        Returns access patterns AP1.. by count: fingerprint (literals as ?), kind read/write,
        count, tables, rps_avg, rps_peak (busiest 1-second bucket), latency where the log has it, an
        example; transactions (BEGIN/COMMIT, or autocommit off) as one multi-statement pattern with
        each statement's count and repeats; rolled-back runs counted apart; connection/admin
        statements counted apart as noise. Writes analysis/query_log.json and
        01_2_mysql_log_analysis.md to the workspace."""
        req = deps.request(ctx)
        out = await usecase.analyze_query_log(req, paths, format, dsn)
        links = "\n".join(f"- `{p}` ({req.workspace.uri(p)})" for p in out.artifacts)
        markdown = to_markdown(out.result) + "\nArtifacts:\n" + links + "\n"
        return result(out.result, markdown=markdown, artifacts=[req.workspace.uri(p) for p in out.artifacts])
