"""`mysql2ddb replay`: the application's read statements with real parameters against MySQL and the
DynamoDB request the design maps each access pattern to, compared through the contract. Read-only.
Thin: tools/usecases/replay.py holds the policy."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mysql2ddb.server.cli.common import EXIT_INVALID, DsnOpt, JsonOpt, emit, handle_errors, request


def register(app: typer.Typer) -> None:
    @app.command()
    @handle_errors
    def replay(log: Optional[Path] = typer.Option(None, "--log", help="the query log the parameter sets come from "
                                                                      "(default: values from the data)"),
               samples: int = typer.Option(20, "--samples", help="parameter sets per access pattern"),
               dsn: Optional[str] = DsnOpt,
               endpoint_url: Optional[str] = typer.Option(None, "--endpoint-url", help="where the migration wrote; "
                                                          "'embedded' is the workspace's local endpoint"),
               region: Optional[str] = typer.Option(None, "--region", help="AWS region"),
               contract: Optional[Path] = typer.Option(None, "--contract", help="default: the workspace's"),
               design: Optional[Path] = typer.Option(None, "--design", help="default: the workspace's"),
               as_json: bool = JsonOpt) -> None:
        """Replay each read access pattern on MySQL and on DynamoDB and compare the answers; writes
        replay/report.json. Exit status 1 when a read pattern differs or cannot be replayed."""
        import asyncio

        from mysql2ddb.tools.core.progress import terminal_progress
        from mysql2ddb.tools.usecases import replay as usecase

        outcome = asyncio.run(usecase.replay(
            request(terminal_progress()), log=str(log) if log else None, samples=samples, dsn=dsn,
            endpoint_url=endpoint_url, region=region, contract=str(contract) if contract else None,
            design=str(design) if design else None))
        emit(outcome.result, as_json)
        if not outcome.result.ok:
            raise typer.Exit(EXIT_INVALID)
