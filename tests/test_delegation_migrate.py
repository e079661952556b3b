"""Delegation for real: Sakila migrated with its views created through a real MySQL MCP server
(`mysql-mcp-server`, connected as a user that may create views) while mysql2ddb's own DSN may only
read, and its tables created through the real AWS API MCP server (`awslabs.aws-api-mcp-server`,
AWS_ENDPOINT_URL at a moto server); the copy and the verification go directly. The report names
the adapter of every phase. Without the servers, the read-only DSN is refused before anything is
written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pymysql
import pytest
from fastmcp import Client
from fastmcp.exceptions import ToolError
from pydantic import SecretStr

from mysql2ddb.tools.core.approvals import record_approval
from mysql2ddb.tools.core.settings import Settings
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.modeling.gate_views import current_sha256
from mysql2ddb.tools.usecases import corpora

from .conftest import dsn_for

MCP_VENVS = Path(os.environ.get("MYSQL2DDB_TEST_MCP_VENVS", Path(__file__).resolve().parents[1] / ".venv-mcp"))
MYSQL_SERVER = MCP_VENVS / "mysql" / "bin" / "mysql_mcp_server"
AWS_API_SERVER = MCP_VENVS / "awsapi" / "bin" / "awslabs.aws-api-mcp-server"
pytestmark = pytest.mark.skipif(not (MYSQL_SERVER.exists() and AWS_API_SERVER.exists()),
                                reason="third-party MCP servers are installed by `make test` (.venv-mcp)")
DATABASE = "m2d_deleg"
VIEWS_USER, VIEWS_PASSWORD = "m2d_deleg_views", "views-pw-41"
READER, READER_PASSWORD = "m2d_deleg_ro", "ro-pw-52"


@pytest.fixture(scope="module")
def deleg_db():
    dsn = dsn_for(DATABASE)
    corpora.ensure_sakila(dsn)
    conn = pymysql.connect(host=dsn.host, port=dsn.port, user="root", password="", autocommit=True)
    with conn.cursor() as cur:
        cur.execute("CREATE USER IF NOT EXISTS 'm2d_deleg_views'@'%' IDENTIFIED BY 'views-pw-41'")
        cur.execute("GRANT SELECT, CREATE VIEW, SHOW VIEW, DROP ON `m2d_deleg`.* TO 'm2d_deleg_views'@'%'")
        cur.execute("CREATE USER IF NOT EXISTS 'm2d_deleg_ro'@'%' IDENTIFIED BY 'ro-pw-52'")
        cur.execute("GRANT SELECT ON `m2d_deleg`.* TO 'm2d_deleg_ro'@'%'")
        cur.execute("SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'm2d_deleg' "
                    "AND TABLE_NAME LIKE 'ddb\\_%'")
        for (view,) in cur.fetchall():  # an earlier run's views: this run must create them again
            cur.execute(f"DROP VIEW `m2d_deleg`.`{view}`")
    yield dsn
    conn.close()


def database_collation() -> str:
    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    with conn.cursor() as cur:
        cur.execute("SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'm2d_deleg'")
        (collation,) = cur.fetchone()
    conn.close()
    return collation


def servers(tmp: Path, moto_url: str, dsn, collation: str | None = None) -> dict:
    home = tmp / "aws-api-home"
    home.mkdir(exist_ok=True)
    return {"mcpServers": {
        "mysql": {"command": str(MYSQL_SERVER), "mysql2ddb": {"services": ["mysql"]}, "env": {
            "MYSQL_HOST": dsn.host, "MYSQL_PORT": str(dsn.port), "MYSQL_USER": VIEWS_USER,
            "MYSQL_PASSWORD": VIEWS_PASSWORD, "MYSQL_DATABASE": DATABASE,
            **({"MYSQL_COLLATION": collation} if collation else {})}},
        "aws": {"command": str(AWS_API_SERVER), "mysql2ddb": {"services": ["dynamodb"]}, "env": {
            "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": moto_url, "READ_OPERATIONS_ONLY": "false", "AWS_API_MCP_TELEMETRY": "false",
            "HOME": str(home), "AWS_API_MCP_WORKING_DIR": str(home),
            # offline: its start-up fetch of the read-only operations list fails at once on loopback
            "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost"}}}}


def workspace_settings(tmp: Path, shared: Path, servers_file: Path | None) -> Settings:
    settings = Settings(workdir=tmp / "work", dsn=SecretStr(f"mysql://{READER}@127.0.0.1:3306/{DATABASE}"),
                        mysql_password=SecretStr(READER_PASSWORD), mcp_servers_file=servers_file)
    ws = Workspace(settings.workdir)
    ws.write_text("contract.json", (shared / "corpora" / "sakila" / "contract.json").read_text())
    record_approval(ws, "contract", "contract.json", "approved", None, None, current_sha256(ws, "contract"), via="test")
    return settings


def view_definers() -> dict[str, str]:
    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    with conn.cursor() as cur:
        cur.execute("SELECT TABLE_NAME, DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'm2d_deleg' "
                    "AND TABLE_NAME LIKE 'ddb\\_%'")
        rows = dict(cur.fetchall())
    conn.close()
    return rows


async def test_sakila_migrates_through_the_teams_mysql_and_aws_mcp_servers(tmp_path, shared_dir, deleg_db, aws):
    from mysql2ddb.server.app import create_server

    servers_file = tmp_path / "servers.json"
    servers_file.write_text(json.dumps(servers(tmp_path, aws.endpoint_url, deleg_db, database_collation())))
    settings = workspace_settings(tmp_path, shared_dir, servers_file)
    async with Client(create_server(settings)) as client:
        res = await client.call_tool("migrate", {"endpoint_url": aws.endpoint_url, "confirm": True})
    report = res.structured_content
    via = {p["phase"]: p["via"] for p in report["phases"]}
    assert via == {"validate": "direct", "plan": "direct", "views": "mcp:mysql", "tables": "mcp:aws",
                   "copy": "direct", "verify": "direct"}, report["phases"]
    assert report["ok"] and report["verify"]["ok"], report["phases"]
    written = {t["table"]: t["written"] for t in report["tables"]}
    assert written["Films"] == 1000 and written["Actors"] == 200 and len(written) == 7
    validate = next(p for p in report["phases"] if p["phase"] == "validate")
    assert "mysql (views) via mcp:mysql" in validate["detail"] and "dynamodb (items) via direct" in validate["detail"]
    # the views exist because the MCP server's user made them: the read-only DSN could not have
    definers = view_definers()
    assert len(definers) == 7 and set(definers.values()) == {f"{VIEWS_USER}@%"}
    described = aws.client("dynamodb").describe_table(TableName="Payments")["Table"]
    assert described["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert "| views | ok | mcp:mysql |" in res.content[0].text.replace("  ", " ")
    answer = json.dumps(report) + res.content[0].text
    assert VIEWS_PASSWORD not in answer and READER_PASSWORD not in answer


async def test_a_read_only_dsn_without_a_views_server_is_refused_before_anything_is_written(
        tmp_path, shared_dir, deleg_db, aws):
    from mysql2ddb.server.app import create_server

    settings = workspace_settings(tmp_path, shared_dir, None)
    async with Client(create_server(settings)) as client:
        with pytest.raises(ToolError) as caught:
            await client.call_tool("migrate", {"endpoint_url": aws.endpoint_url, "confirm": True, "tables": ["Staff"]})
    error = json.loads(str(caught.value))
    assert error["code"] == "privilege" and "mysql (views) via direct: missing SHOW VIEW, CREATE VIEW, DROP" in error["why"]
    assert "GRANT SHOW VIEW, CREATE VIEW, DROP ON `m2d_deleg`.*" in error["remedy"]
    assert aws.client("dynamodb").list_tables()["TableNames"] == []
    assert not Workspace(settings.workdir).exists("runs")


async def test_a_views_server_with_another_collation_is_refused_before_anything_is_written(
        tmp_path, shared_dir, deleg_db, aws):
    """mysql-mcp-server connects with utf8mb4_unicode_ci unless told: views it made would keep that
    collation for their literals and a multi-entity view's UNION ALL would fail in the copy."""
    from mysql2ddb.server.app import create_server

    collation = database_collation()
    if collation == "utf8mb4_unicode_ci":
        pytest.skip("the database already has the server's default collation")
    servers_file = tmp_path / "servers.json"
    servers_file.write_text(json.dumps(servers(tmp_path, aws.endpoint_url, deleg_db)))
    settings = workspace_settings(tmp_path, shared_dir, servers_file)
    async with Client(create_server(settings)) as client:
        with pytest.raises(ToolError) as caught:
            await client.call_tool("migrate", {"endpoint_url": aws.endpoint_url, "confirm": True, "tables": ["Staff"]})
    error = json.loads(str(caught.value))
    assert "connection collation utf8mb4_unicode_ci" in error["why"] and f"MYSQL_COLLATION={collation}" in error["remedy"]
    assert aws.client("dynamodb").list_tables()["TableNames"] == []
    assert not Workspace(settings.workdir).exists("runs")
