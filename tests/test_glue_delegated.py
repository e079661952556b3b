"""run_glue_job through the team's own AWS MCP server: where the servers file names a server for
glue and s3, the job's files and the job itself go through it (the data-processing server from
PyPI, against a moto server), and the result says so."""

from __future__ import annotations

import json

from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.settings import Settings
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.usecases import glue
from mysql2ddb.tools.usecases.request import Request
from tests.test_downstream import aws_server, needs_servers
from tests.test_glue_run import approve, prepared


@needs_servers
def test_the_glue_run_goes_through_the_glue_and_s3_server(tmp_path, aws, sakila_dir):
    servers = tmp_path / "servers.json"
    servers.write_text(json.dumps({"mcpServers": {"aws": aws_server(aws.endpoint_url)}}))
    settings = Settings(workdir=tmp_path / "work", mcp_servers_file=servers, aws_endpoint_url=aws.endpoint_url)
    ws = Workspace(settings.workdir)
    prepared(ws, sakila_dir / "contract.json")
    approve(ws)
    aws.client("s3").create_bucket(Bucket="m2d-jobs")
    outcome = glue.run(Request.of(settings, Caller.CLI), bucket="m2d-jobs", secret_id="db/secret",
                       role_arn="arn:aws:iam::123456789012:role/glue", confirm=True)
    assert outcome.result.state == "SUCCEEDED"
    keys = {o["Key"] for o in aws.client("s3").list_objects_v2(Bucket="m2d-jobs")["Contents"]}
    assert "mysql2ddb/glue/job.py" in keys
    assert aws.client("glue").get_job(JobName="mysql2ddb-copy")["Job"]["Command"]["Name"] == "glueetl"
    assert "mcp:aws" in json.dumps(outcome.result.model_dump(mode="json"))
