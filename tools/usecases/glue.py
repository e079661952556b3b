"""The AWS Glue path for both front ends: prepare the job (workspace only, for review), run it
(writes to S3, Glue and DynamoDB).

Running applies the one write policy (tools/usecases/write_policy.py): the user's go-ahead for
this call AND an approved contract. The contract of a Glue run is the one the job was prepared
from (glue/manifest.json holds its sha256): it must be the workspace's contract.json with an
approval that still holds. A job prepared before manifests existed, or from another contract, is
refused with the remedy to prepare it again. The dry run shows the S3 objects (keys, sizes,
hashes), the job definition and the script, and writes nothing."""

from __future__ import annotations

from typing import Callable

from mysql2ddb.tools.core.aws import aws_clients
from mysql2ddb.tools.core.errors import WorkflowError
from mysql2ddb.tools.glue.plan import GlueJobFiles, load_prepared, prepare_glue_job
from mysql2ddb.tools.glue.run import GlueJobOptions, GlueRunPreview, GlueRunResult, preview_run, run_job
from mysql2ddb.tools.usecases.execution import Outcome
from mysql2ddb.tools.usecases.request import Request
from mysql2ddb.tools.usecases.write_policy import ANOTHER_CONTRACT, authorize, contract_state, dry_run_notes, require_approved

RUNS = "glue/runs"


def prepare(req: Request, contract: str | None = None, dsn: str | None = None, *,
            rows_per_partition: int = 100_000) -> Outcome[GlueJobFiles]:
    """Generate the job script, the shipped conversion module, the specs (JDBC partitioning read
    from the views) and the manifest into glue/. No AWS call."""
    files, _ = prepare_glue_job(req.contract(contract), req.dsn(dsn), req.workspace,
                                rows_per_partition=rows_per_partition)
    return Outcome(files, [files.script, files.module, files.specs, files.manifest])


def run(req: Request, *, bucket: str, role_arn: str, secret_id: str | None = None,
        connection_name: str | None = None, job_name: str = "mysql2ddb-copy", endpoint_url: str | None = None,
        region: str | None = None, dry_run: bool = False, confirm: bool = False,
        say: Callable[[str], None] | None = None) -> Outcome[GlueRunResult | GlueRunPreview]:
    """Upload the prepared job, create or update it, start it and follow it to the end; or, as a
    dry run, show exactly what that would write."""
    endpoint, region_name = req.endpoint(endpoint_url), req.region(region)
    job = load_prepared(req.workspace)
    options = GlueJobOptions(job_name=job_name, bucket=bucket, role_arn=role_arn, secret_id=secret_id,
                             connection_name=connection_name)
    preview = preview_run(options, region_name, endpoint, job.script, job.module, job.specs)  # refuses bad options
    if dry_run:
        preview.notes = dry_run_notes(req, job.contract_sha256)
        return Outcome(preview)
    authorize(req, "run_glue_job", confirm)  # consent for this call
    if contract_state(req, job.contract_sha256) == ANOTHER_CONTRACT:
        raise WorkflowError("the prepared Glue job was not prepared from the approved contract.json",
                            where="run_glue_job: glue/manifest.json",
                            remedy="prepare the job again from the approved contract (prepare_glue_job; CLI: "
                                   "mysql2ddb glue prepare), show the user the dry run, then run it")
    require_approved(req, job.contract_sha256, "run_glue_job")
    from mysql2ddb.tools.usecases.downstream import with_aws_ports

    with aws_clients(endpoint, region_name, say=say, workspace=req.workspace.root) as aws:
        # Glue jobs and S3 objects through the user's servers where they claim them (README: Downstream)
        result = with_aws_ports(req, aws, ("glue", "s3"), lambda clients, via: run_job(
            aws, options, job.script, job.module, job.specs, progress=req.progress, s3=clients["s3"],
            glue=clients["glue"]))
    record = f"{RUNS}/{result.run_id}.json"
    req.workspace.write_json(record, result)
    return Outcome(result, [record])
