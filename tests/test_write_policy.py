"""One write policy, for every tool that writes outside the workspace.

The writing tools are ENUMERATED from the registry (tools/core/consent.py OPERATIONS with
Effect.EXTERNAL that the server lists), so a new one cannot slip past: each is called over MCP
with valid arguments but without confirm (the contract approved), then with confirm but without
an approval, and must refuse both times with nothing written: no view in the database, no
DynamoDB table, no S3 object, no Glue job, no run directory. A writing tool missing from
ARGUMENTS fails the test. migrate with confirm and an approved contract then does run.

Databases of our own: m2d_wp_refuse (schema only: no view may ever appear there) and
m2d_wp_sakila (views are created there by the run that is allowed).
"""

from __future__ import annotations

import json
from typing import Any, Callable

import pymysql
import pytest
from fastmcp.exceptions import ToolError

from mysql2ddb.server.adapters.common import annotations
from mysql2ddb.tools.contract.digest import contract_sha256
from mysql2ddb.tools.contract.load import load_contract
from mysql2ddb.tools.core.approvals import record_approval
from mysql2ddb.tools.core.consent import OPERATIONS, Effect
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.glue.plan import MANIFEST, MODULE, SCRIPT, SPECS
from mysql2ddb.tools.glue.script import convert_module_source, render_job_script
from mysql2ddb.tools.modeling.gate_views import current_sha256
from mysql2ddb.tools.usecases import corpora
from tests.conftest import dsn_for

BUCKET = "m2d-wp-jobs"

# tool name -> valid arguments (given the fixture's dsn and endpoint), WITHOUT confirm.
ARGUMENTS: dict[str, Callable[[str, str], dict[str, Any]]] = {
    "create_views": lambda dsn, url: {"dsn": dsn, "dry_run": False},
    "create_tables": lambda dsn, url: {"dsn": dsn, "endpoint_url": url, "dry_run": False},
    "migrate": lambda dsn, url: {"dsn": dsn, "endpoint_url": url, "tables": ["Staff"]},
    "run_glue_job": lambda dsn, url: {"bucket": BUCKET, "role_arn": "arn:aws:iam::123456789012:role/glue",
                                      "secret_id": "db/secret", "endpoint_url": url},
    "import_from_s3": lambda dsn, url: {"dsn": dsn, "bucket": BUCKET, "endpoint_url": url, "tables": ["Staff"]},
    "stop_local_endpoint": lambda dsn, url: {},
    "start_cdc": lambda dsn, url: {"dsn": dsn, "endpoint_url": url},
    "cutover": lambda dsn, url: {"dsn": dsn, "timeout": 1},
    "resume_cdc": lambda dsn, url: {"run_id": "20261205-000000-abcdef"},
}
# writing tools no contract is involved in (consent is all they need), or whose contract is a run's
# own (resume_cdc: checked once the run is found; tests/test_live_mcp.py)
NO_CONTRACT = {"stop_local_endpoint", "cutover", "resume_cdc"}


def views_in(database: str) -> list[str]:
    """The views the contract would create (ddb_*; Sakila brings views of its own)."""
    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    with conn.cursor() as cur:
        cur.execute("SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", (database,))
        names = sorted(r[0] for r in cur.fetchall() if r[0].startswith("ddb_"))
    conn.close()
    return names


@pytest.fixture(scope="module")
def refuse_dsn():
    """Sakila's schema without rows, and no contract view: refused calls must leave it so."""
    dsn = dsn_for("m2d_wp_refuse")
    if "film" not in corpora.table_counts(dsn):
        corpora.run_script(dsn, corpora.sakila_sql(dsn.database)[0], "load sakila schema")
    assert views_in(dsn.database) == [], "a previous run left views in m2d_wp_refuse"
    return dsn


@pytest.fixture
def ws(settings, sakila_dir) -> Workspace:
    """contract.json (Sakila) in the workspace, and a Glue job prepared from it."""
    workspace = Workspace(settings.workdir)
    workspace.write_text("contract.json", (sakila_dir / "contract.json").read_text())
    contract = load_contract(workspace.path("contract.json"))
    workspace.write_text(SCRIPT, render_job_script(contract))
    workspace.write_text(MODULE, convert_module_source())
    workspace.write_text(SPECS, json.dumps({"Staff": {"table": "Staff", "view": "ddb_staff_view", "pk": "staff_id",
                                                      "sk": None, "columns": []}}))
    workspace.write_json(MANIFEST, {"contract_sha256": contract_sha256(contract)})
    return workspace


def approve(ws: Workspace) -> None:
    record_approval(ws, "contract", "contract.json", "approved", None, None, current_sha256(ws, "contract"), via="test")


def assert_nothing_written(aws, ws: Workspace, database: str, tool: str) -> None:
    assert views_in(database) == [], tool
    assert aws.client("dynamodb").list_tables()["TableNames"] == [], tool
    s3 = aws.client("s3")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [BUCKET], tool
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET), tool
    assert aws.client("glue").get_jobs()["Jobs"] == [], tool
    assert not ws.exists("runs") and not ws.exists("glue/runs"), tool


async def writing_tools(mcp_client) -> list[str]:
    listed = {t.name for t in await mcp_client.list_tools()}
    return [name for name, op in OPERATIONS.items() if op.effect is Effect.EXTERNAL and name in listed]


async def test_every_listed_tool_is_registered_and_annotated_by_its_effect(mcp_client):
    tools = await mcp_client.list_tools()
    unregistered = [t.name for t in tools if t.name not in OPERATIONS]
    assert not unregistered, f"register these tools in tools/core/consent.py: {unregistered}"
    for tool in tools:
        expected, got = annotations(tool.name), tool.annotations
        hints = ("read_only_hint", "destructive_hint", "idempotent_hint", "open_world_hint")
        assert [getattr(got, h) for h in hints] == [getattr(expected, h) for h in hints], tool.name


async def test_no_writing_tool_writes_without_consent_or_without_approval(mcp_client, ws, refuse_dsn, aws):
    writing = await writing_tools(mcp_client)
    assert {"create_views", "migrate", "run_glue_job"} <= set(writing)
    missing = [name for name in writing if name not in ARGUMENTS]
    assert not missing, f"writing tool(s) {missing} are not tested here: add it here (ARGUMENTS)"
    aws.client("s3").create_bucket(Bucket=BUCKET)  # the Glue run's bucket exists: its arguments are valid

    approve(ws)
    for name in writing:  # approved, but no consent for this call
        with pytest.raises(ToolError) as info:
            await mcp_client.call_tool(name, ARGUMENTS[name](refuse_dsn.url(), aws.endpoint_url))
        error = json.loads(str(info.value))
        assert error["code"] == "workflow" and "confirm=true" in error["remedy"], (name, error)
        assert_nothing_written(aws, ws, refuse_dsn.database, name)

    record_approval(ws, "contract", "contract.json", "rejected", "not yet", None, current_sha256(ws, "contract"))
    for name in [n for n in writing if n not in NO_CONTRACT]:  # consent, but the contract is not approved
        with pytest.raises(ToolError) as info:
            await mcp_client.call_tool(name, {**ARGUMENTS[name](refuse_dsn.url(), aws.endpoint_url), "confirm": True})
        error = json.loads(str(info.value))
        assert "`contract` gate" in error["why"], (name, error)
        assert_nothing_written(aws, ws, refuse_dsn.database, name)


async def test_migrate_refuses_a_stale_approval_and_runs_an_approved_contract(mcp_client, ws, aws):
    dsn = dsn_for("m2d_wp_sakila")
    corpora.ensure_sakila(dsn)
    args = {"dsn": dsn.url(), "endpoint_url": aws.endpoint_url, "tables": ["Staff", "Actors"], "confirm": True}
    approve(ws)
    edited = ws.read_json("contract.json")
    edited["tables"] = [t for t in edited["tables"] if t["table"] != "Films"]
    ws.write_json("contract.json", edited)  # changed after the approval: stale
    with pytest.raises(ToolError) as info:
        await mcp_client.call_tool("migrate", args)
    assert "changed since" in json.loads(str(info.value))["why"]
    assert aws.client("dynamodb").list_tables()["TableNames"] == [] and not ws.exists("runs")

    approve(ws)  # the user approves the contract as it is now, and confirms this run
    res = await mcp_client.call_tool("migrate", args)
    report = res.structured_content
    assert report["ok"] and report["approved"] and report["verify"]["ok"]
    assert {t["table"]: t["written"] for t in report["tables"]} == {"Staff": 2, "Actors": 200}
    assert {"ddb_staff_view", "ddb_actors_view"} <= set(views_in(dsn.database))


async def test_validate_mcp_servers_takes_no_servers_from_arguments(mcp_client, tmp_path):
    marker = tmp_path / "started"
    config = {"mcpServers": {"evil": {"command": "sh", "args": ["-c", f"touch {marker}"],
                                      "mysql2ddb": {"services": ["mysql"]}}}}
    (tmp_path / "servers.json").write_text(json.dumps(config))
    for args in ({"config": config}, {"config_path": str(tmp_path / "servers.json")}):
        with pytest.raises(ToolError) as info:
            await mcp_client.call_tool("validate_mcp_servers", args)
        assert "Unexpected keyword argument" in str(info.value)
    assert not marker.exists()
