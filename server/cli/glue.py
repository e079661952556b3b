"""`mysql2ddb glue prepare|run`: the AWS Glue path. Thin: inputs and the write policy are the use
case's (tools/usecases/glue.py): `run` needs an approved contract and --yes; --dry-run writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mysql2ddb.server.cli.common import DsnOpt, JsonOpt, emit, handle_errors, request

glue_app = typer.Typer(help="Run the copy on AWS Glue when one machine is not enough.", no_args_is_help=True)


@glue_app.command("prepare")
@handle_errors
def prepare(contract: Optional[Path] = typer.Argument(None, help="the contract (default: the workspace's contract.json)"),
            dsn: Optional[str] = DsnOpt, rows_per_partition: int = 100_000, as_json: bool = JsonOpt) -> None:
    """Generate the job script, the shipped conversion module, the specs and a manifest into <workdir>/glue/."""
    from mysql2ddb.tools.usecases import glue

    outcome = glue.prepare(request(), str(contract) if contract else None, dsn, rows_per_partition=rows_per_partition)
    emit(outcome.result, as_json)


@glue_app.command("run")
@handle_errors
def run(bucket: str = typer.Option(..., help="S3 bucket for the script and module"),
        role_arn: str = typer.Option(..., help="IAM role the Glue job runs as"),
        secret_id: Optional[str] = typer.Option(None, help="Secrets Manager secret with host/port/dbname/username/password"),
        connection_name: Optional[str] = typer.Option(None, help="Glue JDBC connection instead of a secret"),
        job_name: str = "mysql2ddb-copy", endpoint_url: Optional[str] = None, region: Optional[str] = None,
        dry_run: bool = typer.Option(False, "--dry-run", help="show the S3 objects and the job; write nothing"),
        yes: bool = typer.Option(False, "--yes", help="go ahead: this writes to S3, Glue and DynamoDB"),
        as_json: bool = JsonOpt) -> None:
    """Upload the prepared job, create/update it on Glue, start it and follow it to the end."""
    import json

    from rich.console import Console
    from rich.syntax import Syntax

    from mysql2ddb.tools.core.progress import terminal_progress
    from mysql2ddb.tools.usecases import glue

    sink = terminal_progress(as_json)
    try:
        outcome = glue.run(request(sink), bucket=bucket, role_arn=role_arn, secret_id=secret_id,
                           connection_name=connection_name, job_name=job_name, endpoint_url=endpoint_url,
                           region=region, dry_run=dry_run, confirm=yes)
    finally:
        sink.close()
    if dry_run and not as_json:
        console = Console()
        console.print(Syntax(json.dumps(outcome.result.job_definition, indent=2), "json", word_wrap=True))
        console.print(Syntax(outcome.result.script, "python", word_wrap=True))
    emit(outcome.result, as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(glue_app, name="glue")
