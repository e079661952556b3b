"""Stage 3 commands: `views`, `tables`, `plan`, `migrate`, `verify`.

Everything that writes is a dry run unless asked (`--apply`), and a contract without a recorded
approval is refused unless `--yes`. With no AWS credentials the endpoint defaults to `embedded`:
a moto server on 127.0.0.1 that lives for this one command."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.syntax import Syntax

from mysql2ddb.server.cli.common import (
    EXIT_INVALID, DsnOpt, JsonOpt, emit, handle_errors, resolve_dsn, settings, workspace,
)
from mysql2ddb.tools.core.progress import terminal_progress
from mysql2ddb.tools.core.render import print_rich
from mysql2ddb.tools.core.aws import EMBEDDED, AwsClients, aws_clients
from mysql2ddb.tools.contract.load import load_contract

ContractArg = typer.Argument(..., help="the migration contract (JSON)")
EndpointOpt = typer.Option(
    None, "--endpoint-url",
    help="DynamoDB endpoint; 'embedded' starts a moto server for this run (default without AWS credentials)",
)
RegionOpt = typer.Option(None, "--region", help="AWS region (default MYSQL2DDB_AWS_REGION or us-east-1)")
YesOpt = typer.Option(False, "--yes", help="run even though the contract has no recorded approval")
WarmOpt = typer.Option(False, "--warm-throughput", help="create the tables the plan calls large with WarmThroughput")


def _split(tables: str | None) -> list[str] | None:
    names = [t.strip() for t in (tables or "").split(",") if t.strip()]
    return names or None


def _out(as_json: bool) -> Console:
    """Human lines go to stdout, or to stderr when stdout carries JSON."""
    return Console(stderr=as_json)


def _endpoint(given: str | None) -> str | None:
    from mysql2ddb.tools.execution.pipeline import resolve_endpoint

    return resolve_endpoint(given, settings().aws_endpoint_url)


def _region(given: str | None) -> str:
    return given or settings().aws_region


def _require_approval(contract: Any, yes: bool) -> None:
    from mysql2ddb.tools.execution.pipeline import unapproved_error
    from mysql2ddb.tools.core.approvals import is_approved
    from mysql2ddb.tools.contract.digest import contract_sha256

    sha = contract_sha256(contract)
    if not yes and not is_approved(workspace(), "contract", artifact_sha256=sha):
        raise unapproved_error(sha)


def print_dry_run(report: Any, console: Console) -> None:
    """The view DDL and CreateTable requests of a dry run, highlighted."""
    for name, text in (report.views_sql or {}).items():
        console.print(f"-- view {name}", markup=False)
        console.print(Syntax(text.rstrip().rstrip(";") + ";", "sql", word_wrap=True))
    for request in report.table_requests or []:
        console.print(Syntax(json.dumps(request, indent=2, default=str), "json", word_wrap=True))


def register(app: typer.Typer) -> None:
    @app.command()
    @handle_errors
    def views(
        contract: Path = ContractArg, dsn: Optional[str] = DsnOpt,
        apply: bool = typer.Option(False, "--apply", help="create (or replace) the views; default: print the SQL"),
        yes: bool = YesOpt, as_json: bool = JsonOpt,
    ) -> None:
        """Print the CREATE VIEW statement of every contract table (dry run), or create them with --apply."""
        from mysql2ddb.tools.execution import stages

        model, d = load_contract(contract), resolve_dsn(dsn)
        catalog = asyncio.run(stages.validate(model, d))
        if not apply:
            sql = stages.views_sql(model, catalog)
            if as_json:
                sys.stdout.write(json.dumps({"views": sql}, indent=2) + "\n")
            else:
                for text in sql.values():
                    sys.stdout.write(text.rstrip().rstrip(";") + ";\n\n")
            return
        _require_approval(model, yes)
        progress = terminal_progress()
        try:
            result = asyncio.run(stages.apply_views(model, d, progress))
        finally:
            progress.close()
        emit(result, as_json)

    @app.command()
    @handle_errors
    def tables(
        contract: Path = ContractArg, dsn: Optional[str] = DsnOpt,
        endpoint_url: Optional[str] = EndpointOpt, region: Optional[str] = RegionOpt,
        apply: bool = typer.Option(False, "--apply", help="create the tables; default: print the requests"),
        yes: bool = YesOpt, as_json: bool = JsonOpt,
    ) -> None:
        """Print the CreateTable request of every contract table (dry run), or create them with --apply.
        An existing table that matches is reused; one that differs is reported field by field and left alone."""
        from mysql2ddb.tools.execution import stages

        model, d = load_contract(contract), resolve_dsn(dsn)
        catalog = asyncio.run(stages.validate(model, d))
        if not apply:
            requests = stages.table_requests(model, catalog, AwsClients(region=_region(region)), {})
            sys.stdout.write(json.dumps({"tables": requests}, indent=2, default=str) + "\n")
            return
        _require_approval(model, yes)
        out = _out(as_json)
        with aws_clients(_endpoint(endpoint_url), _region(region), say=out.print) as aws:
            result = stages.ensure(model, catalog, aws)
        emit(result, as_json)
        if stages.conflicts(result):
            raise typer.Exit(EXIT_INVALID)

    @app.command()
    @handle_errors
    def plan(
        contract: Path = ContractArg, dsn: Optional[str] = DsnOpt,
        tables: Optional[str] = typer.Option(None, "--tables", help="only these tables, comma-separated"),
        prices: Optional[Path] = typer.Option(None, "--prices", help="price sheet (default: the bundled one)"),
        as_json: bool = JsonOpt,
    ) -> None:
        """The copy plan: items, measured item sizes, write units, on-demand cost and duration per table."""
        from mysql2ddb.tools.execution import stages
        from mysql2ddb.tools.execution.pipeline import select_tables
        from mysql2ddb.tools.execution.plan import copy_plan
        from mysql2ddb.tools.core.pricing import load_prices

        model, d = load_contract(contract), resolve_dsn(dsn)
        catalog = asyncio.run(stages.validate(model, d))
        subset = select_tables(model, _split(tables))
        result = copy_plan(subset, d, catalog, load_prices(prices or settings().prices_file))
        emit(result, as_json)

    @app.command()
    @handle_errors
    def migrate(
        contract: Path = ContractArg, dsn: Optional[str] = DsnOpt,
        endpoint_url: Optional[str] = EndpointOpt, region: Optional[str] = RegionOpt,
        tables: Optional[str] = typer.Option(None, "--tables", help="copy only these tables, comma-separated"),
        resume: Optional[str] = typer.Option(None, "--resume", help="resume the run with this id"),
        dry_run: bool = typer.Option(False, "--dry-run", help="plan, view SQL and table requests; write nothing"),
        no_verify: bool = typer.Option(False, "--no-verify", help="skip the verification at the end"),
        yes: bool = YesOpt, warm: bool = WarmOpt,
        prices: Optional[Path] = typer.Option(None, "--prices", help="price sheet (default: the bundled one)"),
        as_json: bool = JsonOpt,
    ) -> None:
        """Views, tables, a resumable copy and verification, after printing the copy plan.
        Exit status 1 when verification finds differences."""
        from mysql2ddb.tools.execution.pipeline import MigrateOptions
        from mysql2ddb.tools.execution.pipeline import migrate as run_migration

        model, d = load_contract(contract), resolve_dsn(dsn)
        options = MigrateOptions(
            tables=_split(tables), resume=resume, dry_run=dry_run, no_verify=no_verify, confirmed=yes,
            warm_throughput=warm, prices_file=prices or settings().prices_file,
        )
        out = _out(as_json)
        endpoint = _endpoint(endpoint_url)
        if dry_run and endpoint == EMBEDDED:
            endpoint = None  # a dry run sends nothing to AWS: no server to start
        progress = terminal_progress()
        try:
            with aws_clients(endpoint, _region(region), say=out.print) as aws:
                report = asyncio.run(run_migration(
                    model, d, aws, workspace(), options, progress, on_plan=lambda p: print_rich(p, out),
                ))
        finally:
            progress.close()
        report.plan_shown = True  # printed first, by on_plan
        if dry_run and not as_json:
            print_dry_run(report, out)
        emit(report, as_json)
        if not report.ok:
            raise typer.Exit(EXIT_INVALID)

    @app.command()
    @handle_errors
    def verify(
        contract: Path = ContractArg, dsn: Optional[str] = DsnOpt,
        endpoint_url: Optional[str] = EndpointOpt, region: Optional[str] = RegionOpt,
        tables: Optional[str] = typer.Option(None, "--tables", help="only these tables, comma-separated"),
        as_json: bool = JsonOpt,
    ) -> None:
        """Compare source and target per table: counts and order-independent per-item checksums.
        Exit status 1 when they differ."""
        from mysql2ddb.tools.execution import stages
        from mysql2ddb.tools.execution.pipeline import embedded_verify_error, select_tables

        endpoint = _endpoint(endpoint_url)
        if endpoint == EMBEDDED:
            raise embedded_verify_error()
        model, d = load_contract(contract), resolve_dsn(dsn)
        catalog = asyncio.run(stages.validate(model, d))
        subset = select_tables(model, _split(tables))
        progress = terminal_progress()
        try:
            aws = AwsClients(region=_region(region), endpoint_url=endpoint)
            result = stages.verify_result(subset, d, aws, catalog, progress)
        finally:
            progress.close()
        emit(result, as_json)
        if not stages.verified(result):
            raise typer.Exit(EXIT_INVALID)

