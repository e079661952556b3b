"""`mysql2ddb local start|stop|status`: the workspace's local AWS endpoint, which outlives a command
(tools/usecases/local_endpoint.py). `--endpoint-url embedded` (the default without AWS credentials)
uses it, starting a moto server when none runs; its items stay until `local stop`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mysql2ddb.server.cli.common import JsonOpt, emit, handle_errors, request

local_app = typer.Typer(help="The workspace's local AWS endpoint (moto, or DynamoDB Local).", no_args_is_help=True)


@local_app.command("start")
@handle_errors
def start(kind: str = typer.Option("moto", "--kind", help="moto (127.0.0.1) or dynamodb-local (every interface)"),
          port: Optional[int] = typer.Option(None, "--port", help="default: a free port"),
          jar: Optional[Path] = typer.Option(None, "--jar", help="DynamoDBLocal.jar (default: the project's npm one)"),
          yes: bool = typer.Option(False, "--yes", help="dynamodb-local: yes, listen on every interface"),
          as_json: bool = JsonOpt) -> None:
    """Start the endpoint (or show the one running); it keeps running after this command."""
    from mysql2ddb.tools.usecases import local_endpoint

    emit(local_endpoint.start(request(), kind, port, str(jar) if jar else None, yes), as_json)


@local_app.command("stop")
@handle_errors
def stop(dry_run: bool = typer.Option(False, "--dry-run", help="list what would be lost"),
         yes: bool = typer.Option(False, "--yes", help="stop it: its tables and items are lost"),
         as_json: bool = JsonOpt) -> None:
    """Stop the endpoint; every table and item in it is lost."""
    from mysql2ddb.tools.usecases import local_endpoint

    emit(local_endpoint.stop(request(), dry_run, yes), as_json)


@local_app.command("status")
@handle_errors
def status(table: Optional[str] = typer.Option(None, "--table", help="show the first items of this table"),
           limit: int = typer.Option(5, "--limit", help="how many items (1-100)"), as_json: bool = JsonOpt) -> None:
    """What runs, where, since when; its tables and item counts."""
    from mysql2ddb.tools.usecases import local_endpoint

    emit(local_endpoint.status(request(), table, limit), as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(local_app, name="local")
