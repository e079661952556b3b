"""Stage 1 tool `analyze_query_log`: access patterns with measured counts and rates, read-only.

It reads log files (general, slow, digest exports; plain or .gz) or, with `dsn`, the live
performance_schema digest table, and writes analysis/query_log.json and
01_2_mysql_log_analysis.md into the workspace (each also a resource under mysql2ddb://workspace/)."""

from __future__ import annotations

from pathlib import Path

from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, McpProgress, annotations, in_thread, mapped, result
from mysql2ddb.tools.core.errors import InputError
from mysql2ddb.tools.core.render import to_markdown
from mysql2ddb.tools.core.db import Dsn


def register(app: FastMCP, deps: Deps) -> None:
    @app.tool(annotations=annotations("analyze_query_log"))
    @mapped
    async def analyze_query_log(paths: list[str] | None = None, format: str = "auto", dsn: str | None = None,
                                ctx: Context = CurrentContext()) -> ToolResult:
        """Analyse how the application really queries MySQL (read-only). `paths`: general query logs
        (MySQL 5.7/8.x/9.x, MariaDB; Prepare/Execute pairs reconstructed), slow logs (Query_time,
        Lock_time, Rows_examined) or performance_schema events_statements_summary_by_digest exports
        (TSV/CSV), plain or .gz, several files of one format; `format` auto|general|slow|digest.
        Or `dsn` (mysql://user:password@host:port/db) to read the live digest table instead.
        Returns access patterns AP1.. by count: fingerprint (literals as ?), kind read/write,
        count, tables, rps_avg, rps_peak (busiest 1-second bucket), latency where the log has it, an
        example; transactions (BEGIN/COMMIT, or autocommit off) as one multi-statement pattern with
        each statement's count and repeats; rolled-back runs counted apart; connection/admin
        statements counted apart as noise. Writes analysis/query_log.json and
        01_2_mysql_log_analysis.md to the workspace."""
        from mysql2ddb.tools.analysis.logs.analyze import analyze_digest_table, analyze_logs, write_log_artifacts

        progress = McpProgress(ctx)
        if dsn and paths:
            raise InputError("both log files and a dsn were given", where="analyze_query_log",
                             remedy="give log files, or dsn alone to read the live digest table")
        if dsn:
            analysis = await analyze_digest_table(Dsn.parse(dsn, password=deps.settings.password()),
                                                  progress=progress)
        elif paths:
            analysis = await in_thread(analyze_logs, [Path(p) for p in paths], format, progress=progress)
        else:
            raise InputError("no log file and no dsn given", where="analyze_query_log: paths",
                             remedy="pass paths=['/var/log/mysql/general.log'] (general, slow or digest export), "
                                    "or dsn='mysql://user:password@host:port/db' for the live digest table")
        written = write_log_artifacts(analysis, deps.workspace)
        links = "\n".join(f"- `{p}` ({deps.workspace.uri(p)})" for p in written)
        markdown = to_markdown(analysis) + "\nArtifacts:\n" + links + "\n"
        return result(analysis, markdown=markdown, artifacts=[deps.workspace.uri(p) for p in written])
