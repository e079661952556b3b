"""`mysql2ddb analyze log FILE... [--format auto|general|slow|digest] [--dsn DSN] [--json]`.

Reads the logs (or, with --dsn and no file, the live performance_schema digest table) and writes
analysis/query_log.json and 01_2_mysql_log_analysis.md into the workspace. Progress goes to
stderr so `--json` output on stdout stays clean. Inputs and policy: tools/usecases/analysis.py."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from mysql2ddb.server.cli.common import DsnOpt, JsonOpt, emit, handle_errors, request


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
        from mysql2ddb.tools.core.progress import terminal_progress
        from mysql2ddb.tools.core.render import print_rich
        from mysql2ddb.tools.usecases import analysis as usecase

        progress = terminal_progress(quiet=as_json)
        req = request(progress)
        try:
            out = usecase.analyze_query_log_blocking(req, [str(f) for f in files or []], fmt, dsn)
        finally:
            progress.close()
        if as_json:
            emit(out.result, as_json=True)
            return
        print_rich(out.result)
        typer.echo("Artifacts: " + ", ".join(str(req.workspace.path(p)) for p in out.artifacts))
