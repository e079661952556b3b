"""Running the generated job on AWS Glue: upload the script, the conversion module and the
specs to S3, create (or update) the job, start it, follow it with progress, fetch its logs.
`preview_run` shows exactly that (S3 keys, bodies' sizes and hashes, the job definition) without
an AWS call. Verification afterwards is the local path's (tools/execution/verify.py).

The S3 and Glue calls go through their ports' boto3-shaped clients (`s3=`, `glue=`: the team's
AWS MCP servers, tools/downstream/mcp_aws.py), boto3 on `aws` otherwise; the job's logs are
always read directly (no MCP server mysql2ddb supports offers CloudWatch Logs reads)."""

from __future__ import annotations

import hashlib
import json
import re
import time
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from mysql2ddb.tools.core.errors import AwsError, ConfigError, Mysql2DdbError
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.core.aws import AwsClients, map_aws_error
from mysql2ddb.tools.glue.script import OPTIONAL_ARGS, SHIPPED_CONVERT_NAME

TERMINAL = {"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"}
_RESULT = re.compile(r"MYSQL2DDB_RESULT (\{.*\})")


class GlueJobOptions(BaseModel):
    job_name: str = "mysql2ddb-copy"
    bucket: str
    prefix: str = "mysql2ddb/glue"
    role_arn: str
    connection_name: str | None = None
    secret_id: str | None = None
    glue_version: str = "5.0"
    worker_type: str = "G.1X"
    number_of_workers: int = 4
    poll_seconds: float = 15.0
    timeout_minutes: int = 2880


class GlueRunResult(BaseModel):
    job_name: str
    run_id: str
    state: str
    seconds: float
    script_s3_uri: str
    table_stats: dict[str, dict[str, int]] = Field(default_factory=dict)
    log_excerpt: list[str] = Field(default_factory=list)
    note: str = ""
    via: dict[str, str] = Field(default_factory=dict, description="service -> the adapter that served it")

    def summary(self) -> str:
        return f"Glue job `{self.job_name}` run `{self.run_id}`: **{self.state}** in {self.seconds:.0f}s. {self.note}"

    def tables(self) -> list[Table]:
        rows = [[t, s.get("read"), s.get("written"), s.get("rejected"), s.get("retried")] for t, s in self.table_stats.items()]
        return [Table("Glue copy", ["table", "read", "written", "rejected", "retried"], rows)]


class GlueRunPreview(BaseModel):
    """A dry run of `run_job`: every S3 object and the job definition it would write."""

    dry_run: bool = True
    job_name: str
    region: str
    endpoint: str
    uploads: dict[str, dict[str, Any]] = Field(description="s3 uri -> bytes and sha256 of the body")
    job_definition: dict[str, Any]
    script: str = Field(description="the job script that would be uploaded")
    notes: list[str] = Field(default_factory=list)

    def summary(self) -> str:
        head = (f"Dry run: {len(self.uploads)} object(s) to S3 and Glue job `{self.job_name}` ({self.endpoint}), "
                "then one job run writing into DynamoDB; nothing was written.")
        return "\n\n".join([head, *self.notes])

    def tables(self) -> list[Table]:
        rows = [[uri, f"{u['bytes']:,}", u["sha256"][:12]] for uri, u in self.uploads.items()]
        return [Table("S3 objects", ["object", "bytes", "sha256"], rows)]


def job_files(script: str, convert_source: str, specs: dict[str, Any]) -> dict[str, str]:
    """File name -> body, as uploaded under the job's S3 prefix."""
    return {"job.py": script, SHIPPED_CONVERT_NAME: convert_source, "specs.json": json.dumps(specs, default=str)}


def job_definition(options: GlueJobOptions, script_uri: str, arguments: dict[str, str]) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "Role": options.role_arn,
        "Command": {"Name": "glueetl", "ScriptLocation": script_uri, "PythonVersion": "3"},
        "DefaultArguments": arguments,
        "GlueVersion": options.glue_version,
        "WorkerType": options.worker_type,
        "NumberOfWorkers": options.number_of_workers,
        "Timeout": options.timeout_minutes,
    }
    if options.connection_name:
        definition["Connections"] = {"Connections": [options.connection_name]}
    return definition


def preview_run(options: GlueJobOptions, region: str, endpoint_url: str | None, script: str, convert_source: str,
                specs: dict[str, Any]) -> GlueRunPreview:
    base = f"s3://{options.bucket}/{options.prefix}"
    arguments = job_arguments(options, f"{base}/specs.json", region, endpoint_url)
    uploads = {f"{base}/{name}": {"bytes": len(body.encode("utf-8")),
                                  "sha256": hashlib.sha256(body.encode("utf-8")).hexdigest()}
               for name, body in job_files(script, convert_source, specs).items()}
    return GlueRunPreview(job_name=options.job_name, region=region, endpoint=endpoint_url or f"AWS {region}",
                          uploads=uploads, job_definition=job_definition(options, f"{base}/job.py", arguments),
                          script=script)


def job_arguments(options: GlueJobOptions, specs_uri: str, region: str, endpoint_url: str | None) -> dict[str, str]:
    if not (options.connection_name or options.secret_id):
        raise ConfigError(
            "the Glue job has no way to reach MySQL",
            where="glue options",
            remedy="name a Glue JDBC connection (--connection-name) or a Secrets Manager secret (--secret-id); "
            "passwords are never put in the job",
        )
    values = {"connection_name": options.connection_name, "secret_id": options.secret_id,
              "aws_endpoint_url": endpoint_url}
    args = {"--specs_s3_uri": specs_uri, "--region": region,
            "--extra-py-files": f"s3://{options.bucket}/{options.prefix}/{SHIPPED_CONVERT_NAME}",
            "--job-language": "python", "--enable-continuous-cloudwatch-log": "true"}
    for name in OPTIONAL_ARGS:
        args[f"--{name}"] = values[name] or "none"  # getResolvedOptions needs every named argument
    return args


def upload_job_files(aws: AwsClients, options: GlueJobOptions, script: str, convert_source: str,
                     specs: dict[str, Any], s3: Any = None) -> tuple[str, str]:
    s3 = s3 or aws.client("s3")
    base = f"{options.prefix}"
    try:
        for name, body in job_files(script, convert_source, specs).items():
            s3.put_object(Bucket=options.bucket, Key=f"{base}/{name}", Body=body.encode("utf-8"))
    except Mysql2DdbError:  # an MCP adapter's own error, already clear
        raise
    except Exception as exc:  # botocore errors mapped at the boundary
        raise map_aws_error(exc, f"s3://{options.bucket}/{base}") from None
    return f"s3://{options.bucket}/{base}/job.py", f"s3://{options.bucket}/{base}/specs.json"


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def ensure_job(aws: AwsClients, options: GlueJobOptions, script_uri: str, arguments: dict[str, str],
               glue: Any = None) -> None:
    glue = glue or aws.client("glue")
    definition = job_definition(options, script_uri, arguments)
    try:
        try:
            glue.get_job(JobName=options.job_name)
        except ClientError as exc:
            if _code(exc) != "EntityNotFoundException":
                raise
            glue.create_job(Name=options.job_name, **definition)
            return
        try:
            glue.update_job(JobName=options.job_name, JobUpdate=definition)
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) < 500:
                raise
            # an endpoint without UpdateJob (moto): replace the definition instead
            glue.delete_job(JobName=options.job_name)
            glue.create_job(Name=options.job_name, **definition)
    except Mysql2DdbError:
        raise
    except Exception as exc:
        raise map_aws_error(exc, f"glue job {options.job_name}") from None


def fetch_log_lines(aws: AwsClients, run_id: str, limit: int = 2000) -> list[str]:
    logs = aws.client("logs")
    lines: list[str] = []
    for group in ("/aws-glue/jobs/output", "/aws-glue/jobs/error"):
        try:
            events = logs.get_log_events(logGroupName=group, logStreamName=run_id, startFromHead=True, limit=limit)
        except Exception:  # no log group/stream yet: the run wrote nothing there
            continue
        lines += [e["message"] for e in events.get("events", [])]
    return lines


def run_job(aws: AwsClients, options: GlueJobOptions, script: str, convert_source: str, specs: dict[str, Any],
            *, progress: Any = None, s3: Any = None, glue: Any = None) -> GlueRunResult:
    """`s3`, `glue`: the ports' control-plane clients (None: boto3 on `aws`)."""
    specs_uri = f"s3://{options.bucket}/{options.prefix}/specs.json"
    arguments = job_arguments(options, specs_uri, aws.region, aws.endpoint_url)  # refuse before any upload
    s3, glue = s3 or aws.client("s3"), glue or aws.client("glue")
    script_uri, _ = upload_job_files(aws, options, script, convert_source, specs, s3)
    ensure_job(aws, options, script_uri, arguments, glue)
    started = time.monotonic()
    try:
        run_id = glue.start_job_run(JobName=options.job_name)["JobRunId"]
        state = "STARTING"
        while state not in TERMINAL:
            run = glue.get_job_run(JobName=options.job_name, RunId=run_id)["JobRun"]
            state = run["JobRunState"]
            if progress:
                progress.update("glue job", time.monotonic() - started, None, state)
            if state not in TERMINAL:
                time.sleep(options.poll_seconds)
    except Mysql2DdbError:
        raise
    except Exception as exc:
        raise map_aws_error(exc, f"glue job {options.job_name}") from None
    lines = fetch_log_lines(aws, run_id)
    result = GlueRunResult(job_name=options.job_name, run_id=run_id, state=state,
                           seconds=time.monotonic() - started, script_s3_uri=script_uri,
                           log_excerpt=[line for line in lines if "REJECT" in line or "Error" in line][:50],
                           via={"s3": getattr(s3, "via", "direct"), "glue": getattr(glue, "via", "direct"),
                                "logs": "direct"})
    for line in lines:
        match = _RESULT.search(line)
        if match:
            totals = json.loads(match.group(1))
            result.table_stats = {t: dict(zip(["read", "written", "rejected", "retried"], v)) for t, v in totals.items()}
    if state != "SUCCEEDED":
        raise AwsError(f"the Glue job run ended {state}", where=f"glue job {options.job_name} run {run_id}",
                       remedy="read the job's error log (CloudWatch /aws-glue/jobs/error), fix it and start it again; "
                       "writes are idempotent puts, so a rerun loses and duplicates nothing")
    if not result.table_stats:
        result.note = "The run reported no per-table counts (its output log is empty); verification decides."
    return result
