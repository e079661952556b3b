"""`mysql2ddb glue prepare|run`: the AWS Glue path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from mysql2ddb.server.cli.common import DsnOpt, JsonOpt, emit, handle_errors, resolve_dsn, settings, workspace
from mysql2ddb.tools.core.errors import WorkflowError
from mysql2ddb.tools.core.progress import terminal_progress

glue_app = typer.Typer(help="Run the copy on AWS Glue when one machine is not enough.", no_args_is_help=True)


@glue_app.command("prepare")
@handle_errors
def prepare(contract: Path, dsn: Optional[str] = DsnOpt, rows_per_partition: int = 100_000, as_json: bool = JsonOpt) -> None:
    """Generate the job script, the shipped conversion module and the specs into <workdir>/glue/."""
    from mysql2ddb.tools.contract.load import load_contract
    from mysql2ddb.tools.glue.plan import prepare_glue_job

    files, _ = prepare_glue_job(load_contract(contract), resolve_dsn(dsn), workspace(), rows_per_partition=rows_per_partition)
    emit(files, as_json)


@glue_app.command("run")
@handle_errors
def run(bucket: str = typer.Option(..., help="S3 bucket for the script and module"),
        role_arn: str = typer.Option(..., help="IAM role the Glue job runs as"),
        secret_id: Optional[str] = typer.Option(None, help="Secrets Manager secret with host/port/dbname/username/password"),
        connection_name: Optional[str] = typer.Option(None, help="Glue JDBC connection instead of a secret"),
        job_name: str = "mysql2ddb-copy", endpoint_url: Optional[str] = None, region: Optional[str] = None,
        yes: bool = typer.Option(False, "--yes", help="confirm: this writes to S3, Glue and DynamoDB"),
        as_json: bool = JsonOpt) -> None:
    """Upload the prepared job, create/update it on Glue, start it and follow it to the end."""
    from mysql2ddb.tools.core.aws import AwsClients
    from mysql2ddb.tools.glue.run import GlueJobOptions, run_job

    if not yes:
        raise WorkflowError("running the Glue job writes to S3, Glue and DynamoDB", where="glue run",
                            remedy="add --yes to confirm")
    ws, s = workspace(), settings()
    aws = AwsClients(region=region or s.aws_region, endpoint_url=endpoint_url or s.aws_endpoint_url)
    options = GlueJobOptions(job_name=job_name, bucket=bucket, role_arn=role_arn, secret_id=secret_id,
                             connection_name=connection_name)
    sink = terminal_progress(as_json)
    try:
        result = run_job(aws, options, ws.read_text("glue/job.py"), ws.read_text("glue/mysql2ddb_convert.py"),
                         json.loads(ws.read_text("glue/specs.json")), progress=sink)
    finally:
        sink.close()
    ws.write_json(f"glue/runs/{result.run_id}.json", result)
    emit(result, as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(glue_app, name="glue")
