"""`mysql2ddb analyze schema --dsn DSN [--json]`: the live schema with measured cardinality.

Read-only on the database; writes analysis/schema.json and the two markdown reports into the
workspace. Progress goes to stderr so `--json` output on stdout stays clean."""

from __future__ import annotations

import asyncio
from typing import Optional

import typer

from mysql2ddb.server.cli.common import DsnOpt, JsonOpt, emit, handle_errors, resolve_dsn, settings, workspace
from mysql2ddb.tools.core.progress import terminal_progress
from mysql2ddb.tools.core.render import print_rich


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
        from mysql2ddb.tools.analysis.schema import analyze_schema, write_schema_artifacts

        target = resolve_dsn(dsn)
        limit = threshold if threshold is not None else settings().exact_count_threshold
        progress = terminal_progress(quiet=as_json)
        try:
            analysis = asyncio.run(analyze_schema(target, progress=progress, exact_count_threshold=limit))
        finally:
            progress.close()
        ws = workspace()
        paths = write_schema_artifacts(analysis, ws)
        if as_json:
            emit(analysis, as_json=True)
            return
        print_rich(analysis.report())
        typer.echo("Artifacts: " + ", ".join(str(ws.path(p)) for p in paths))
