"""Stage 3 commands: `views`, `tables`, `plan`, `migrate`, `verify`. Thin: inputs and the write
policy are the use case's (tools/usecases/execution.py).

What writes (`views --apply`, `tables --apply`, `migrate`) needs both an approved contract (`mysql2ddb
gates approve contract`) and --yes (or MYSQL2DDB_ALLOW_WRITES); `views` and `tables` print what they
would write unless --apply, `migrate --dry-run` writes nothing. With no AWS credentials the endpoint
defaults to `embedded`: a moto server on 127.0.0.1 that lives for this one command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from mysql2ddb.server.cli.common import EXIT_INVALID, DsnOpt, JsonOpt, emit, handle_errors, request

if TYPE_CHECKING:
    from rich.console import Console

ContractArg = typer.Argument(None, help="the migration contract (JSON; default: the workspace's contract.json)")
EndpointOpt = typer.Option(
    None, "--endpoint-url",
    help="DynamoDB endpoint; 'embedded' is the workspace's local endpoint (default without AWS credentials)",
)
RegionOpt = typer.Option(None, "--region", help="AWS region (default MYSQL2DDB_AWS_REGION or us-east-1)")
YesOpt = typer.Option(False, "--yes", help="go ahead and write (the contract must be approved as well)")
TablesOpt = typer.Option(None, "--tables", help="only these tables, comma-separated")
PricesOpt = typer.Option(None, "--prices", help="price sheet (default: the bundled one)")
WarmOpt = typer.Option(False, "--warm-throughput", help="create the tables the plan calls large with WarmThroughput")
MaxWcuOpt = typer.Option(None, "--max-wcu", help=(
    "never write a table faster than this many write units a second, e.g. a table serving live traffic; "
    "default: as fast as the table allows"))
StallOpt = typer.Option(None, "--stall-timeout", metavar="SECONDS", help=(
    "stop a table, resumably, when none of its writes succeeded for this long (default 300; a resume keeps it)"))


def _split(tables: str | None) -> list[str] | None:
    names = [t.strip() for t in (tables or "").split(",") if t.strip()]
    return names or None


def _text(path: Path | None) -> str | None:
    return str(path) if path else None


def _uc() -> Any:
    """The execution use cases, imported when a command runs (`--help` stays light)."""
    from mysql2ddb.tools.usecases import execution

    return execution


def _out(as_json: bool) -> Console:
    """Human lines go to stdout, or to stderr when stdout carries JSON."""
    from rich.console import Console

    return Console(stderr=as_json)


def _run(call: Any, quiet: bool = False) -> Any:
    """Run one use case with terminal progress."""
    import asyncio

    from mysql2ddb.tools.core.progress import terminal_progress

    progress = terminal_progress(quiet)
    try:
        return asyncio.run(call(request(progress)))
    finally:
        progress.close()


def print_dry_run(views: dict[str, str] | None, requests: list[dict] | None, console: Console) -> None:
    """The view DDL and CreateTable requests of a dry run, highlighted."""
    from rich.syntax import Syntax

    for name, text in (views or {}).items():
        console.print(f"-- view {name}", markup=False)
        console.print(Syntax(text.rstrip().rstrip(";") + ";", "sql", word_wrap=True))
    for r in requests or []:
        console.print(Syntax(json.dumps(r, indent=2, default=str), "json", word_wrap=True))


def _notes(notes: list[str]) -> None:
    from rich.console import Console

    for note in notes:
        Console(stderr=True).print(note, markup=False)


def register(app: typer.Typer) -> None:
    @app.command()
    @handle_errors
    def views(contract: Optional[Path] = ContractArg, dsn: Optional[str] = DsnOpt,
              apply: bool = typer.Option(False, "--apply", help="create (or replace) the views; default: print the SQL"),
              yes: bool = YesOpt, as_json: bool = JsonOpt) -> None:
        """Print the CREATE VIEW statement of every contract table (dry run), or create them with --apply --yes."""
        outcome = _run(lambda req: _uc().create_views(req, _text(contract), dsn, dry_run=not apply, confirm=yes))
        if apply:
            emit(outcome.created, as_json)
        elif as_json:
            sys.stdout.write(json.dumps({"views": outcome.views}, indent=2) + "\n")
        else:
            sys.stdout.write("".join(text.rstrip().rstrip(";") + ";\n\n" for text in outcome.views.values()))
            _notes(outcome.notes)

    @app.command()
    @handle_errors
    def tables(contract: Optional[Path] = ContractArg, dsn: Optional[str] = DsnOpt,
               endpoint_url: Optional[str] = EndpointOpt, region: Optional[str] = RegionOpt,
               apply: bool = typer.Option(False, "--apply", help="create the tables; default: print the requests"),
               yes: bool = YesOpt, as_json: bool = JsonOpt) -> None:
        """Print the CreateTable request of every contract table (dry run), or create them with --apply --yes.
        An existing table that matches is reused; one that differs is reported field by field and left alone."""
        outcome = _run(lambda req: _uc().create_tables(
            req, _text(contract), dsn, endpoint_url=endpoint_url, region=region, dry_run=not apply, confirm=yes,
            say=_out(as_json).print))
        if not apply:
            sys.stdout.write(json.dumps({"tables": outcome.requests}, indent=2, default=str) + "\n")
            _notes(outcome.notes)
            return
        emit(outcome.created, as_json)
        if outcome.conflicts:
            raise typer.Exit(EXIT_INVALID)

    @app.command()
    @handle_errors
    def plan(contract: Optional[Path] = ContractArg, dsn: Optional[str] = DsnOpt, tables: Optional[str] = TablesOpt,
             prices: Optional[Path] = PricesOpt, max_wcu: Optional[float] = MaxWcuOpt, as_json: bool = JsonOpt) -> None:
        """The copy plan: items, measured item sizes, write units, on-demand cost and duration per table."""
        emit(_run(lambda req: _uc().plan(req, _text(contract), dsn, _split(tables), _text(prices),
                                         max_write_units_per_s=max_wcu), True), as_json)

    @app.command()
    @handle_errors
    def migrate(
        contract: Optional[Path] = ContractArg, dsn: Optional[str] = DsnOpt,
        endpoint_url: Optional[str] = EndpointOpt, region: Optional[str] = RegionOpt,
        tables: Optional[str] = typer.Option(None, "--tables", help="copy only these tables, comma-separated"),
        resume: Optional[str] = typer.Option(None, "--resume", help="resume the run with this id"),
        dry_run: bool = typer.Option(False, "--dry-run", help="plan, view SQL and table requests; write nothing"),
        no_verify: bool = typer.Option(False, "--no-verify", help="skip the verification at the end"),
        yes: bool = YesOpt, warm: bool = WarmOpt, prices: Optional[Path] = PricesOpt, as_json: bool = JsonOpt,
        cdc: bool = typer.Option(False, "--cdc", help="live: copy, then follow the binlog until `cutover`"),
        max_wcu: Optional[float] = MaxWcuOpt, stall_timeout: Optional[float] = StallOpt,
    ) -> None:
        """Views, tables, a resumable copy and verification, after printing the copy plan.
        With --cdc, a live migration: the copy, then the sync that follows the binlog until
        `mysql2ddb cutover` (README: Live migration). Exit status 1 when verification finds differences."""
        from mysql2ddb.tools.core.render import print_rich

        out = _out(as_json)
        if cdc:
            from mysql2ddb.server.cli.live import run_live

            return run_live(contract, dsn, endpoint_url, region, resume, yes, as_json,
                            max_write_units_per_s=max_wcu, stall_timeout_s=stall_timeout)
        outcome = _run(lambda req: _uc().migrate(
            req, _text(contract), dsn, endpoint_url=endpoint_url, region=region, tables=_split(tables),
            resume=resume, dry_run=dry_run, no_verify=no_verify, warm_throughput=warm, prices=_text(prices),
            confirm=yes, max_write_units_per_s=max_wcu, stall_timeout_s=stall_timeout,
            on_plan=lambda p: print_rich(p, out), say=out.print))
        report = outcome.result
        report.plan_shown = True  # printed first, by on_plan
        if dry_run and not as_json:
            print_dry_run(report.views_sql, report.table_requests, out)
        emit(report, as_json)
        if not report.ok:
            raise typer.Exit(EXIT_INVALID)

    @app.command()
    @handle_errors
    def verify(contract: Optional[Path] = ContractArg, dsn: Optional[str] = DsnOpt,
               endpoint_url: Optional[str] = EndpointOpt, region: Optional[str] = RegionOpt,
               tables: Optional[str] = TablesOpt, as_json: bool = JsonOpt) -> None:
        """Compare source and target per table: counts and order-independent per-item checksums.
        Exit status 1 when they differ."""
        result = _run(lambda req: _uc().verify(req, _text(contract), dsn, endpoint_url=endpoint_url,
                                               region=region, tables=_split(tables)))
        emit(result, as_json)
        if not result.ok:
            raise typer.Exit(EXIT_INVALID)
