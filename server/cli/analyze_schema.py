"""`mysql2ddb analyze schema --dsn DSN [--json]`: the live schema with measured cardinality.

Read-only on the database; writes analysis/schema.json and the two markdown reports into the
workspace. Progress goes to stderr so `--json` output on stdout stays clean. Inputs and policy:
tools/usecases/analysis.py."""

from __future__ import annotations

from typing import Optional

import typer

from mysql2ddb.server.cli.common import DsnOpt, JsonOpt, emit, handle_errors, request


def register(analyze_app: typer.Typer) -> None:
    @analyze_app.command("schema")
    @handle_errors
    def schema(
        dsn: Optional[str] = DsnOpt,
        as_json: bool = JsonOpt,
        threshold: Optional[int] = typer.Option(
            None, "--exact-count-threshold",
            help="tables estimated above this many rows get an estimated count and are not scanned "
                 "(default MYSQL2DDB_EXACT_COUNT_THRESHOLD or 1,000,000)"),
    ) -> None:
        """Analyse the live schema: types, keys, indexes, views, triggers, row counts, relationships
        with measured cardinality, key skew. Writes analysis/schema.json and two markdown reports."""
        import asyncio

        from mysql2ddb.tools.core.progress import terminal_progress
        from mysql2ddb.tools.core.render import print_rich
        from mysql2ddb.tools.usecases import analysis as usecase

        progress = terminal_progress(quiet=as_json)
        req = request(progress)
        try:
            out = asyncio.run(usecase.analyze_schema(req, dsn, exact_count_threshold=threshold))
        finally:
            progress.close()
        if as_json:
            emit(out.result, as_json=True)
            return
        print_rich(out.result.report())
        typer.echo("Artifacts: " + ", ".join(str(req.workspace.path(p)) for p in out.artifacts))
