"""`mysql2ddb analyze log FILE... [--format auto|general|slow|digest] [--dsn DSN] [--json]`.

Reads the logs (or, with --dsn and no file, the live performance_schema digest table) and writes
analysis/query_log.json and 01_2_mysql_log_analysis.md into the workspace. Progress goes to
stderr so `--json` output on stdout stays clean."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import List, Optional

import typer

from mysql2ddb.server.cli.common import DsnOpt, JsonOpt, emit, handle_errors, resolve_dsn, workspace
from mysql2ddb.tools.core.errors import InputError
from mysql2ddb.tools.core.progress import terminal_progress
from mysql2ddb.tools.core.render import print_rich


def register(analyze_app: typer.Typer) -> None:
    @analyze_app.command("log")
    @handle_errors
    def log(
        files: Optional[List[Path]] = typer.Argument(None, help="general/slow logs or digest exports (.gz too)"),
        fmt: str = typer.Option("auto", "--format", help="auto, general, slow or digest"),
        dsn: Optional[str] = DsnOpt,
        as_json: bool = JsonOpt,
    ) -> None:
        """Analyse query logs into access patterns: counts, rates (average and busiest second),
        latency, transactions. With --dsn and no file: the live performance_schema digest table.
        Writes analysis/query_log.json and 01_2_mysql_log_analysis.md."""
        from mysql2ddb.tools.analysis.logs.analyze import analyze_digest_table, analyze_logs, write_log_artifacts

        if files and dsn:
            raise InputError("both log files and --dsn were given", where="analyze log",
                             remedy="give log files, or --dsn alone to read the live digest table")
        if not files and not dsn:
            raise InputError("no log file given", where="analyze log",
                             remedy="name the log files (mysql2ddb analyze log general.log.gz), or pass --dsn "
                                    "to read performance_schema's digest table")
        progress = terminal_progress(quiet=as_json)
        try:
            if files:
                analysis = analyze_logs(files, fmt, progress=progress)
            else:
                analysis = asyncio.run(analyze_digest_table(resolve_dsn(dsn), progress=progress))
        finally:
            progress.close()
        ws = workspace()
        paths = write_log_artifacts(analysis, ws)
        if as_json:
            emit(analysis, as_json=True)
            return
        print_rich(analysis)
        typer.echo("Artifacts: " + ", ".join(str(ws.path(p)) for p in paths))
