"""Delegation to downstream MCP servers: real third-party servers from PyPI (a MySQL server
pointed at the local MariaDB; an AWS data-processing server pointed at a moto server), the
direct adapters, and readiness reports naming what is down or missing before any change."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pymysql
import pytest

from mysql2ddb.tools.downstream.selection import DownstreamPorts
from mysql2ddb.tools.core.errors import DownstreamError
from mysql2ddb.tools.downstream.config import load_downstream_config
from mysql2ddb.tools.downstream.readiness import missing_mysql_privileges, readiness_report
from mysql2ddb.tools.downstream.resilience import CircuitBreaker, call_resilient

MCP_VENVS = Path(os.environ.get("MYSQL2DDB_TEST_MCP_VENVS", Path(__file__).resolve().parents[1] / ".venv-mcp"))
MYSQL_SERVER = MCP_VENVS / "mysql" / "bin" / "mysql_mcp_server"
AWS_SERVER = MCP_VENVS / "aws" / "bin" / "awslabs.aws-dataprocessing-mcp-server"
needs_servers = pytest.mark.skipif(not (MYSQL_SERVER.exists() and AWS_SERVER.exists()),
                                   reason="third-party MCP servers are installed by `make test` (.venv-mcp)")


def mysql_server(dsn, user="root", password=""):
    conn = pymysql.connect(host=dsn.host, port=dsn.port, user="root", password="", database=dsn.database)
    with conn.cursor() as cur:
        cur.execute("SELECT @@collation_database")
        (collation,) = cur.fetchone()  # the server's connection must have it (readiness checks it)
    conn.close()
    return {"command": str(MYSQL_SERVER), "env": {
        "MYSQL_HOST": dsn.host, "MYSQL_PORT": str(dsn.port), "MYSQL_USER": user, "MYSQL_PASSWORD": password,
        "MYSQL_DATABASE": dsn.database, "MYSQL_COLLATION": collation}, "mysql2ddb": {"services": ["mysql"]}}


def aws_server(url):
    return {"command": str(AWS_SERVER), "args": ["--allow-write"], "env": {
        "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": url}, "mysql2ddb": {"services": ["glue", "s3"]}}


@pytest.fixture(scope="module")
def readonly_user(sakila_dsn):
    conn = pymysql.connect(host=sakila_dsn.host, port=sakila_dsn.port, user="root", password="", autocommit=True)
    with conn.cursor() as cur:
        cur.execute("DROP USER IF EXISTS 'm2d_ro'@'%'")
        cur.execute("CREATE USER 'm2d_ro'@'%' IDENTIFIED BY 'ro-pass'")
        cur.execute("GRANT SELECT ON `m2d_sakila`.* TO 'm2d_ro'@'%'")
    yield "m2d_ro", "ro-pass"
    with conn.cursor() as cur:
        cur.execute("DROP USER IF EXISTS 'm2d_ro'@'%'")
    conn.close()


def test_grant_parsing_covers_all_privileges_and_database_scope():
    assert missing_mysql_privileges(["GRANT ALL PRIVILEGES ON *.* TO `root`@`%`"], "shop") == []
    assert missing_mysql_privileges(["GRANT SELECT, SHOW VIEW ON `shop`.* TO `u`@`%`"], "shop") == ["CREATE VIEW"]
    assert missing_mysql_privileges(["GRANT SELECT, SHOW VIEW, CREATE VIEW ON `other`.* TO `u`@`%`"], "shop") == [
        "SELECT", "SHOW VIEW", "CREATE VIEW"]


@needs_servers
async def test_third_party_servers_serve_mysql_glue_and_s3(sakila_dsn, aws):
    from mysql2ddb.tools.glue.run import GlueJobOptions, ensure_job, upload_job_files

    config = load_downstream_config({"mcpServers": {"mysql": mysql_server(sakila_dsn), "aws": aws_server(aws.endpoint_url)}})
    aws.client("s3").create_bucket(Bucket="m2d-delegation")
    async with DownstreamPorts(config, sakila_dsn, aws) as ports:
        assert ports.ports["mysql"].via == "mcp:mysql" and ports.ports["glue"].via == "mcp:aws"
        assert ports.ports["dynamodb"].via == "direct"
        report = await readiness_report(ports.ports, sakila_dsn.database)
        assert report.ready, report.model_dump()
        rows = await ports.ports["mysql"].query("SELECT COUNT(*) AS n FROM film")
        assert rows == [{"n": "1000"}]
        s3, glue = await ports.aws_client("s3"), await ports.aws_client("glue")
        options = GlueJobOptions(job_name="m2d-job", bucket="m2d-delegation", prefix="jobs",
                                 role_arn="arn:aws:iam::123456789012:role/glue", secret_id="m2d")
        # the Glue step's own functions, through the data-processing server
        script_uri, _ = await asyncio.to_thread(upload_job_files, aws, options, "print('hi')", "# convert", {}, s3)
        await asyncio.to_thread(ensure_job, aws, options, script_uri, {"--x": "1"}, glue)
        with pytest.raises(DownstreamError, match="not managed by the MCP server") as refused:  # moto keeps no tags
            await asyncio.to_thread(ensure_job, aws, options, script_uri, {"--x": "2"}, glue)
        assert "--job-name" in refused.value.remedy
        run_id = (await asyncio.to_thread(glue.start_job_run, JobName="m2d-job"))["JobRunId"]
        state = (await asyncio.to_thread(glue.get_job_run, JobName="m2d-job", RunId=run_id))["JobRun"]["JobRunState"]
        assert state == "SUCCEEDED"
        with pytest.raises(DownstreamError, match="not offered"):  # what the server cannot do is named
            await asyncio.to_thread(s3.get_object, Bucket="m2d-delegation", Key="jobs/job.py")
    body = aws.client("s3").get_object(Bucket="m2d-delegation", Key="jobs/job.py")["Body"].read()
    assert body == b"print('hi')"
    job = aws.client("glue").get_job(JobName="m2d-job")["Job"]
    assert job["DefaultArguments"] == {"--x": "1"}


def test_mysql_server_answers_are_parsed_exactly_or_refused():
    from mysql2ddb.tools.core.errors import DatabaseError, PrivilegeError
    from mysql2ddb.tools.downstream.mcp_client import mysql_result

    assert mysql_result("Query executed successfully. Rows affected: 0", "w") == []
    assert mysql_result("Query executed successfully. No results returned.", "w") == []
    assert mysql_result("a,b\n1,\n2,x", "w") == [{"a": "1", "b": ""}, {"a": "2", "b": "x"}]
    grants = "Grants for u@%\nGRANT USAGE ON *.* TO `u`@`%`\nGRANT SELECT, CREATE VIEW ON `d`.* TO `u`@`%`"
    assert mysql_result(grants, "w")[1] == {"Grants for u@%": "GRANT SELECT, CREATE VIEW ON `d`.* TO `u`@`%`"}
    with pytest.raises(DatabaseError, match="holds a comma"):
        mysql_result("a,b\n1,2,3", "w")
    with pytest.raises(PrivilegeError):
        mysql_result("Error executing query: CREATE VIEW command denied to user 'u'", "w")
    with pytest.raises(DatabaseError, match="';'"):
        mysql_result("Only single statements are supported. Instead of USE ...", "w")


def test_boto_calls_become_aws_cli_command_lines():
    import shlex

    from mysql2ddb.tools.downstream.mcp_aws import cli_command

    line = cli_command("dynamodb", "create_table", {
        "TableName": "Films", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "DeletionProtectionEnabled": False, "SSESpecification": {"Enabled": True, "SSEType": "KMS"}})
    words = shlex.split(line)
    assert words[:3] == ["aws", "dynamodb", "create-table"]
    assert words[words.index("--key-schema") + 1] == '[{"AttributeName":"pk","KeyType":"HASH"}]'
    assert "--no-deletion-protection-enabled" in words and "--sse-specification" in words
    assert shlex.split(cli_command("s3", "list_buckets", {}))[:3] == ["aws", "s3api", "list-buckets"]
    with pytest.raises(DownstreamError, match="binary"):
        cli_command("s3", "put_object", {"Bucket": "b", "Key": "k", "Body": b"x"})


@needs_servers
async def test_missing_privilege_and_down_server_are_named_before_any_change(sakila_dsn, aws, readonly_user):
    user, password = readonly_user
    config = load_downstream_config({"mcpServers": {
        "mysql": mysql_server(sakila_dsn, user, password),
        "aws": {"command": "/nonexistent/aws-mcp-server", "mysql2ddb": {"services": ["glue", "s3"]}}}})
    async with DownstreamPorts(config, sakila_dsn, aws) as ports:
        report = await readiness_report(ports.ports, sakila_dsn.database)
    by_service = {s.service: s for s in report.services}
    assert not report.ready
    assert by_service["mysql"].healthy and by_service["mysql"].missing == ["SHOW VIEW", "CREATE VIEW"]
    assert "GRANT SHOW VIEW, CREATE VIEW" in by_service["mysql"].remedy
    assert not by_service["glue"].healthy and "'aws'" in by_service["glue"].error
    assert by_service["dynamodb"].healthy  # the direct client reaches the moto server


async def test_direct_adapters_report_an_unreachable_endpoint(sakila_dsn):
    from mysql2ddb.tools.core.aws import AwsClients, free_port

    aws = AwsClients(endpoint_url=f"http://127.0.0.1:{free_port()}", max_attempts=1)
    async with DownstreamPorts(load_downstream_config(None), sakila_dsn, aws) as ports:
        report = await readiness_report(ports.ports, sakila_dsn.database)
    by_service = {s.service: s for s in report.services}
    assert by_service["mysql"].healthy and by_service["mysql"].missing == []
    assert not by_service["dynamodb"].healthy and "endpoint" in by_service["dynamodb"].remedy


async def test_circuit_breaker_opens_after_repeated_failures_and_half_opens_later():
    now = [0.0]
    breaker = CircuitBreaker("flaky", threshold=3, cooldown=10, clock=lambda: now[0])
    calls = 0

    async def failing():
        nonlocal calls
        calls += 1
        raise DownstreamError("boom", where="test", remedy="none")

    with pytest.raises(DownstreamError):
        await call_resilient(breaker, failing, attempts=3, initial=0, maximum=0)
    assert calls == 3 and breaker.state == "open"
    with pytest.raises(DownstreamError) as info:
        await call_resilient(breaker, failing, attempts=1)
    assert "circuit open" in info.value.why and calls == 3
    now[0] = 11
    assert breaker.state == "half-open"


async def test_validate_mcp_servers_tool(mcp_client, sakila_dsn, moto_server):
    res = await mcp_client.call_tool("validate_mcp_servers", {"dsn": sakila_dsn.url(), "services": ["mysql"]})
    assert res.structured_content["ready"] is True
    assert res.structured_content["services"][0]["via"] == "direct"


LEAKY_SERVER = """
import os
from fastmcp import FastMCP

app = FastMCP("leaky")


@app.tool
def execute_sql(query: str) -> str:
    return "Error: access denied for " + os.environ["LEAKY_PASSWORD"] + " at " + os.environ["LEAKY_URL"]


app.run()
"""


async def test_secrets_of_the_configured_servers_never_appear_in_answers(tmp_path, sakila_dsn):
    from fastmcp import Client

    from mysql2ddb.server.app import create_server
    from mysql2ddb.tools.core.settings import Settings

    secret, token = "s3cr3t-pw-9917", "tok-77aa"
    script = tmp_path / "leaky.py"
    script.write_text(LEAKY_SERVER)
    servers = tmp_path / "servers.json"
    servers.write_text(json.dumps({"mcpServers": {"leaky": {
        "command": sys.executable, "args": [str(script), f"https://u:{secret}@example.invalid/?token={token}"],
        "env": {"LEAKY_PASSWORD": secret, "LEAKY_URL": f"https://example.invalid/?token={token}"},
        "mysql2ddb": {"services": ["mysql"]}}}}))
    config = load_downstream_config(servers)
    assert secret not in repr(config) and secret not in str(config.mcpServers["leaky"])
    assert config.mcpServers["leaky"].model_dump(mode="json")["env"]["LEAKY_PASSWORD"] == "**********"
    settings = Settings(workdir=tmp_path / "work", mcp_servers_file=servers)
    async with Client(create_server(settings)) as client:
        res = await client.call_tool("validate_mcp_servers", {"dsn": sakila_dsn.url(), "services": ["mysql"]})
    mysql = res.structured_content["services"][0]
    assert mysql["via"] == "mcp:leaky" and not mysql["healthy"] and "access denied for ***" in mysql["error"]
    answer = json.dumps(res.structured_content) + res.content[0].text
    assert secret not in answer and token not in answer
