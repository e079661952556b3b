"""Stage 1 use cases: the live schema and the query logs, read-only, for both front ends.

Inputs are resolved here once, through the call's Request:
- the database: `req.dsn(...)` (a caller's DSN gets the configured password only when it names
  the configured server and user, tools/core/credentials.py);
- log files: `req.readable(...)` per path (an MCP caller reads only under the workspace and
  MYSQL2DDB_READ_DIRS, refused before the file is opened; the CLI reads what the user names);
- quoting: errors and problems about bad log content quote the offending line only for the CLI,
  whose user named their own file; over MCP they name the file, the line and the remedy, never
  the content (tools/analysis/logs/readers.py).
Each use case writes its artifacts into the workspace and returns the result with their paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.errors import InputError, NotFoundError
from mysql2ddb.tools.usecases.request import Request


@dataclass
class Analysed:
    """A stage-1 result (SchemaAnalysis or LogAnalysis) and the workspace-relative paths written."""

    result: Any
    artifacts: list[str] = field(default_factory=list)


async def analyze_schema(req: Request, dsn: str | None = None, *,
                         exact_count_threshold: int | None = None) -> Analysed:
    """The live schema with measured cardinality (SELECT only); writes analysis/schema.json and the
    two markdown reports. `dsn` defaults to the configured MYSQL2DDB_DSN."""
    from mysql2ddb.tools.analysis.schema import analyze_schema as analyze, write_schema_artifacts

    target = req.dsn(dsn, where="analyze_schema: dsn")
    limit = exact_count_threshold if exact_count_threshold is not None else req.settings.exact_count_threshold
    analysis = await analyze(target, progress=req.progress, exact_count_threshold=limit)
    return Analysed(analysis, write_schema_artifacts(analysis, req.workspace))


async def analyze_query_log(req: Request, paths: Sequence[str] | None = None, format: str = "auto",
                            dsn: str | None = None) -> Analysed:
    """Access patterns from log files (general, slow, digest exports; plain or .gz) or, with `dsn`
    alone, from the live performance_schema digest table; writes analysis/query_log.json and
    01_2_mysql_log_analysis.md."""
    import asyncio

    from mysql2ddb.tools.analysis.logs.analyze import analyze_digest_table

    files = _log_source(req, paths, dsn)
    if files is None:
        analysis = await analyze_digest_table(req.dsn(dsn, where="analyze_query_log: dsn"), progress=req.progress)
        return _written(req, analysis)
    return await asyncio.to_thread(_analyze_files, req, files, format)


def analyze_query_log_blocking(req: Request, paths: Sequence[str] | None = None, format: str = "auto",
                               dsn: str | None = None) -> Analysed:
    """`analyze_query_log` for a caller without an event loop (the CLI): log files are read on
    this thread, so a command that reads a log never starts (or imports) asyncio."""
    files = _log_source(req, paths, dsn)
    if files is None:
        import asyncio

        return asyncio.run(analyze_query_log(req, None, format, dsn))
    return _analyze_files(req, files, format)


def _log_source(req: Request, paths: Sequence[str] | None, dsn: str | None) -> list[Path] | None:
    """The log files to read, each checked; None when the digest table at `dsn` is the source."""
    if paths and dsn:
        raise InputError("both log files and a dsn were given", where="analyze_query_log",
                         remedy="give log files, or a dsn alone (--dsn in the CLI) to read the live digest table")
    if dsn:
        return None
    if not paths:
        raise InputError("no log file and no dsn given", where="analyze_query_log: paths",
                         remedy="name the log files (general, slow or digest export, e.g. general.log.gz), or "
                                "give a dsn alone (mysql://user@host:port/db; --dsn in the CLI) to read "
                                "performance_schema's digest table")
    return _log_files(req, paths)


def _analyze_files(req: Request, files: list[Path], format: str) -> Analysed:
    from mysql2ddb.tools.analysis.logs.analyze import analyze_logs

    return _written(req, analyze_logs(files, format, progress=req.progress, quote_lines=req.caller is Caller.CLI))


def _written(req: Request, analysis: Any) -> Analysed:
    from mysql2ddb.tools.analysis.logs.analyze import write_log_artifacts

    return Analysed(analysis, write_log_artifacts(analysis, req.workspace))


def _log_files(req: Request, paths: Sequence[str]) -> list[Path]:
    """The logs, each one the caller may read (all checked before any is opened), each existing."""
    files = [req.readable(p, where=f"analyze_query_log: paths[{i}]") for i, p in enumerate(paths)]
    for file in files:
        if not file.exists():
            base = "the workspace" if req.caller is Caller.MCP else "the current directory"
            raise NotFoundError(f"no such file: {file}", where=str(file),
                                remedy=f"check the path (relative paths are taken from {base})")
    return files
