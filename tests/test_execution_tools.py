"""The stage 3 MCP tools through an in-memory client: annotations, the write policy (consent AND an
approved contract), dry runs, and results as structured content plus markdown."""

from __future__ import annotations

import json

import pytest
from fastmcp.exceptions import ToolError

from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.core.approvals import record_approval
from mysql2ddb.tools.modeling.gate_views import current_sha256


@pytest.fixture
def ws(settings, sakila_dir) -> Workspace:
    """The workspace holding the Sakila contract as contract.json (not approved yet)."""
    workspace = Workspace(settings.workdir)
    workspace.write_text("contract.json", (sakila_dir / "contract.json").read_text())
    return workspace


def approve(ws: Workspace) -> None:
    record_approval(ws, "contract", "contract.json", "approved", None, None, current_sha256(ws, "contract"), via="test")


def refusal(caught) -> dict:
    return json.loads(str(caught.value))


async def test_annotations_say_what_each_tool_may_do(mcp_client):
    tools = {t.name: t for t in await mcp_client.list_tools()}
    for name in ("migrate", "create_views", "create_tables"):
        assert tools[name].annotations.destructive_hint is True and tools[name].annotations.read_only_hint is False
    assert tools["plan_migration"].annotations.read_only_hint is True
    assert tools["verify_migration"].annotations.read_only_hint is True
    params = set(tools["migrate"].input_schema["properties"])
    assert {"contract", "dsn", "endpoint_url", "region", "tables", "resume_run_id", "dry_run", "no_verify",
            "confirm"} <= params


async def test_migrate_needs_consent_and_an_approved_contract_one_is_not_the_other(mcp_client, mp_dsn, ws, aws):
    args = {"dsn": mp_dsn.url(), "endpoint_url": aws.endpoint_url, "tables": ["Staff"]}
    with pytest.raises(ToolError) as caught:  # consent without approval
        await mcp_client.call_tool("migrate", {**args, "confirm": True})
    error = refusal(caught)
    assert error["code"] == "workflow" and "`contract` gate" in error["why"]
    assert "record_approval" in error["remedy"] and "not an approval" in error["remedy"]
    approve(ws)
    with pytest.raises(ToolError) as caught:  # approval without consent
        await mcp_client.call_tool("migrate", args)
    assert "confirm=true" in refusal(caught)["remedy"]
    assert aws.client("dynamodb").list_tables()["TableNames"] == []
    assert not ws.exists("runs")


async def test_migrate_with_both_copies_and_verifies(mcp_client, mp_dsn, ws, aws):
    approve(ws)
    res = await mcp_client.call_tool("migrate", {"dsn": mp_dsn.url(), "confirm": True,
                                                 "endpoint_url": aws.endpoint_url, "tables": ["Staff", "Actors"]})
    data = res.structured_content
    assert {t["table"]: t["written"] for t in data["tables"]} == {"Staff": 2, "Actors": 200}
    assert data["verify"]["ok"] and data["ok"] and data["approved"]
    assert "### Copy" in res.content[0].text and "Actors" in res.content[0].text
    assert data["artifacts"][0] == "mysql2ddb://workspace/execution/migration-report.json"
    report = await mcp_client.read_resource("mysql2ddb://workspace/execution/migration-report.json")
    assert json.loads(report[0].text)["run_id"] == data["run_id"]

    verdict = await mcp_client.call_tool("verify_migration", {"dsn": mp_dsn.url(), "endpoint_url": aws.endpoint_url,
                                                              "tables": ["Staff", "Actors"]})
    assert verdict.structured_content["ok"] is True


async def test_a_dry_run_shows_what_would_be_written_and_what_is_missing(mcp_client, mp_dsn, ws, aws):
    res = await mcp_client.call_tool("migrate", {"dsn": mp_dsn.url(), "endpoint_url": aws.endpoint_url,
                                                 "tables": ["Staff"], "dry_run": True})
    data = res.structured_content
    assert data["dry_run"] and not data["approved"] and data["table_requests"][0]["TableName"] == "Staff"
    assert data["plan"]["total_items"] == 2 and "ddb_staff_view" in data["views_sql"]
    assert any("not approved" in n for n in data["notes"]) and any("confirm=true" in n for n in data["notes"])
    assert "```sql" in res.content[0].text
    assert aws.client("dynamodb").list_tables()["TableNames"] == [] and not ws.exists("runs")


async def test_plan_and_view_sql_are_read_only(mcp_client, sakila_dsn, ws):
    res = await mcp_client.call_tool("plan_migration", {"dsn": sakila_dsn.url()})
    plan = res.structured_content
    assert plan["total_items"] == 39_475 and plan["slowest_table"]
    assert "Slowest table" in res.content[0].text
    res = await mcp_client.call_tool("create_views", {"contract": "contract.json", "dsn": sakila_dsn.url()})
    assert res.structured_content["dry_run"] and len(res.structured_content["views"]) == 7
    assert "CREATE OR REPLACE VIEW" in res.content[0].text
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("create_views", {"dsn": sakila_dsn.url(), "dry_run": False})
    assert "confirm=true" in refusal(caught)["remedy"]


async def test_create_tables_dry_run_shows_the_requests(mcp_client, sakila_dsn, ws, aws):
    res = await mcp_client.call_tool("create_tables", {"dsn": sakila_dsn.url(), "endpoint_url": aws.endpoint_url})
    data = res.structured_content
    assert data["dry_run"] and len(data["requests"]) == 7 and '"TableName": "Films"' in res.content[0].text
    assert aws.client("dynamodb").list_tables()["TableNames"] == []


async def test_a_contract_outside_the_workspace_is_not_read_over_mcp(mcp_client, sakila_dsn, contract):
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("plan_migration", {"contract": contract, "dsn": sakila_dsn.url()})
    assert "MYSQL2DDB_READ_DIRS" in refusal(caught)["remedy"]


async def test_verify_refuses_the_embedded_endpoint_with_a_remedy(mcp_client, sakila_dsn, ws):
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("verify_migration", {"dsn": sakila_dsn.url(), "endpoint_url": "embedded"})
    assert "migrate" in refusal(caught)["remedy"]
