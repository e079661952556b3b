"""Running the job on Glue (a moto server: it accepts jobs and 'succeeds' without running the
script, so this checks the deployment; tests/test_glue_local.py runs the script itself)."""

from __future__ import annotations

import json

import pytest
from fastmcp.exceptions import ToolError

from mysql2ddb.tools.core.errors import ConfigError
from mysql2ddb.tools.glue.run import GlueJobOptions, run_job

SPECS = {"T": {"table": "T", "view": "ddb_t_view", "pk": "id", "sk": None, "columns": []}}


def test_job_is_uploaded_created_and_followed_without_credentials_inline(aws):
    aws.client("s3").create_bucket(Bucket="m2d-jobs")
    options = GlueJobOptions(bucket="m2d-jobs", role_arn="arn:aws:iam::123456789012:role/glue", secret_id="db/secret",
                             poll_seconds=0.1)
    result = run_job(aws, options, "print('job')", "# convert", SPECS)
    assert result.state == "SUCCEEDED" and result.run_id
    keys = {o["Key"] for o in aws.client("s3").list_objects_v2(Bucket="m2d-jobs")["Contents"]}
    assert keys == {"mysql2ddb/glue/job.py", "mysql2ddb/glue/mysql2ddb_convert.py", "mysql2ddb/glue/specs.json"}
    job = aws.client("glue").get_job(JobName="mysql2ddb-copy")["Job"]
    args = job["DefaultArguments"]
    assert args["--extra-py-files"] == "s3://m2d-jobs/mysql2ddb/glue/mysql2ddb_convert.py"
    assert args["--secret_id"] == "db/secret" and job["Command"]["Name"] == "glueetl"
    assert "password" not in json.dumps(job, default=str).lower()
    assert "verification decides" in result.note
    # a second run updates the same job instead of failing on the existing name
    assert run_job(aws, options, "print('job v2')", "# convert", SPECS).state == "SUCCEEDED"


def test_a_job_without_a_way_to_reach_mysql_is_refused(aws):
    options = GlueJobOptions(bucket="b", role_arn="arn:aws:iam::123456789012:role/glue")
    with pytest.raises(ConfigError) as info:
        run_job(aws, options, "", "", SPECS)
    assert "Secrets Manager" in info.value.remedy


async def test_run_glue_job_tool_needs_confirmation(mcp_client):
    tools = {t.name: t for t in await mcp_client.list_tools()}
    assert tools["run_glue_job"].annotations.destructive_hint is True
    with pytest.raises(ToolError) as info:
        await mcp_client.call_tool("run_glue_job", {"bucket": "b", "role_arn": "r"})
    assert "confirm=true" in str(info.value)
