"""`mysql2ddb live run RUN_ID` (the sync process; `migrate --cdc` runs it in the foreground) and
`mysql2ddb cutover [RUN_ID]`. Thin: policy and state are tools/usecases/live.py's."""

from __future__ import annotations

from typing import Any, Optional

import typer

from mysql2ddb.server.cli.common import DsnOpt, JsonOpt, emit, handle_errors, request

live_app = typer.Typer(help="Live migration: the sync that follows the binlog.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(live_app, name="live")

    @app.command()
    @handle_errors
    def cutover(run_id: Optional[str] = typer.Argument(None, help="the live run (default: the newest)"),
                dsn: Optional[str] = DsnOpt,
                timeout: float = typer.Option(300.0, "--timeout", help="seconds to wait for the sync to catch up"),
                yes: bool = typer.Option(False, "--yes", help="the sync stops: you have decided to switch"),
                as_json: bool = JsonOpt) -> None:
        """Wait until the sync reaches the source's current position, verify every item, stop the sync,
        and say what the application must switch. Exit status 1 when verification finds differences."""
        import asyncio

        from mysql2ddb.tools.core.progress import terminal_progress
        from mysql2ddb.tools.usecases import live

        report = asyncio.run(live.cutover(request(terminal_progress()), run_id, dsn, timeout=timeout, confirm=yes))
        emit(report, as_json)
        if not report.verified:
            raise typer.Exit(1)


def run_live(contract: Any, dsn: str | None, endpoint_url: str | None, region: str | None, resume: str | None,
             yes: bool, as_json: bool, *, max_write_units_per_s: float | None = None,
             stall_timeout_s: float | None = None) -> None:
    """`migrate --cdc`: start a live run (or resume one), then copy and follow in this process."""
    import asyncio

    from mysql2ddb.tools.core.progress import terminal_progress
    from mysql2ddb.tools.usecases import live

    req = request(terminal_progress())
    if resume is None:
        started = asyncio.run(live.start(req, str(contract) if contract else None, dsn, endpoint_url=endpoint_url,
                                         region=region, confirm=yes, max_write_units_per_s=max_write_units_per_s,
                                         stall_timeout_s=stall_timeout_s))
        emit(started, as_json)
        resume = started.run_id
    emit(asyncio.run(live.run(req, resume, dsn, max_write_units_per_s=max_write_units_per_s,
                              stall_timeout_s=stall_timeout_s)), as_json)


@live_app.command("run")
@handle_errors
def run_sync(run_id: str = typer.Argument(..., help="the live run to copy and follow"),
             dsn: Optional[str] = DsnOpt, as_json: bool = JsonOpt,
             accept_schema_change: bool = typer.Option(
                 False, "--accept-schema-change",
                 help="the sync stopped before a DDL the contract survives: check the contract against the new "
                      "schema, re-create the views, re-build the tables it reaches if needed, and go on")) -> None:
    """The copy of a live run (resumed where it stopped), then the sync until a cutover or a stop."""
    import asyncio

    from mysql2ddb.tools.core.progress import terminal_progress
    from mysql2ddb.tools.usecases import live

    emit(asyncio.run(live.run(request(terminal_progress()), run_id, dsn,
                              accept_schema_change=accept_schema_change)), as_json)
