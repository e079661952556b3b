"""MCP tools for the AWS Glue path: prepare the job (review), run it (writes to AWS)."""

from __future__ import annotations

from fastmcp import Context, FastMCP
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, McpProgress, annotations, in_thread, mapped, result
from mysql2ddb.tools.core.errors import WorkflowError


def register(app: FastMCP, deps: Deps) -> None:
    @app.tool(annotations=annotations("prepare_glue_job"))
    @mapped
    async def prepare_glue_job(contract_path: str = "contract.json", dsn: str | None = None,
                               rows_per_partition: int = 100_000) -> ToolResult:
        """Generate the Glue ETL job (script, shipped conversion module, specs with JDBC partitioning)
        into the workspace under glue/ for review. Calls no AWS API."""
        from mysql2ddb.tools.contract.load import load_contract
        from mysql2ddb.tools.glue.plan import prepare_glue_job as prepare

        contract = load_contract(deps.workspace.path(contract_path))
        files, _ = await in_thread(prepare, contract, deps.dsn(dsn), deps.workspace, rows_per_partition=rows_per_partition)
        return result(files, artifacts=[files.script, files.module, files.specs])

    @app.tool(annotations=annotations("run_glue_job"))
    @mapped
    async def run_glue_job(bucket: str, role_arn: str, secret_id: str | None = None, connection_name: str | None = None,
                           job_name: str = "mysql2ddb-copy", endpoint_url: str | None = None, region: str | None = None,
                           confirm: bool = False, ctx: Context | None = None) -> ToolResult:
        """Upload the prepared job to S3, create/update the Glue job, start it and follow it to the end.
        Writes to S3, Glue and DynamoDB: needs confirm=true (or MYSQL2DDB_ALLOW_WRITES)."""
        import json

        from mysql2ddb.tools.core.aws import AwsClients
        from mysql2ddb.tools.glue.run import GlueJobOptions, run_job

        if not (confirm or deps.settings.allow_writes):
            raise WorkflowError("running the Glue job writes to S3, Glue and DynamoDB", where="run_glue_job",
                                remedy="ask the user, then call again with confirm=true")
        ws = deps.workspace
        specs = json.loads(ws.read_text("glue/specs.json"))
        aws = AwsClients(region=region or deps.settings.aws_region, endpoint_url=endpoint_url or deps.settings.aws_endpoint_url)
        options = GlueJobOptions(job_name=job_name, bucket=bucket, role_arn=role_arn, secret_id=secret_id,
                                 connection_name=connection_name)
        run = await in_thread(run_job, aws, options, ws.read_text("glue/job.py"), ws.read_text("glue/mysql2ddb_convert.py"),
                              specs, progress=McpProgress(ctx))
        ws.write_json(f"glue/runs/{run.run_id}.json", run)
        return result(run)
