"""`mysql2ddb import-s3`: the contract's tables as NEW DynamoDB tables by DynamoDB import from S3.
Thin: inputs, the write policy (--yes AND the approved contract) and the refusal of existing
tables are the use case's (tools/usecases/s3_import.py); --dry-run writes nothing."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from mysql2ddb.server.cli.common import EXIT_ERROR, DsnOpt, JsonOpt, emit, handle_errors, request


def register(app: typer.Typer) -> None:
    @app.command("import-s3")
    @handle_errors
    def import_s3(
        contract: Optional[Path] = typer.Argument(None, help="the contract (default: the workspace's contract.json)"),
        bucket: str = typer.Option(..., "--bucket", help="S3 bucket for the DynamoDB JSON files (it must exist)"),
        prefix: str = typer.Option("mysql2ddb-import", "--prefix", help="key prefix: files go to <prefix>/<table>/"),
        dsn: Optional[str] = DsnOpt,
        tables: Optional[str] = typer.Option(None, "--tables", help="only these tables, comma-separated"),
        endpoint_url: Optional[str] = typer.Option(None, "--endpoint-url", help="AWS endpoint; 'embedded' = local"),
        region: Optional[str] = typer.Option(None, "--region", help="AWS region"),
        dry_run: bool = typer.Option(False, "--dry-run", help="show the ImportTable requests and the estimate"),
        yes: bool = typer.Option(False, "--yes", help="go ahead: writes to S3 and creates the tables"),
        as_json: bool = JsonOpt,
    ) -> None:
        """Create the contract's tables as NEW tables with DynamoDB import from S3 (no write capacity used,
        priced per GB of source data; refused when a table exists, and a table is unusable until its import ends)."""
        import asyncio

        from rich.console import Console

        from mysql2ddb.tools.core.progress import terminal_progress
        from mysql2ddb.tools.usecases import s3_import

        names = [t.strip() for t in (tables or "").split(",") if t.strip()] or None
        sink = terminal_progress(as_json)
        try:
            outcome = asyncio.run(s3_import.import_from_s3(
                request(sink), str(contract) if contract else None, dsn, bucket=bucket, prefix=prefix, tables=names,
                endpoint_url=endpoint_url, region=region, dry_run=dry_run, confirm=yes,
                say=Console(stderr=as_json).print))
        finally:
            sink.close()
        if dry_run and not as_json:
            sys.stdout.write(json.dumps(outcome.result.requests, indent=2) + "\n")
        emit(outcome.result, as_json)
        if not dry_run and not outcome.result.ok:
            raise typer.Exit(EXIT_ERROR)  # an import failed: the command did not do its job
