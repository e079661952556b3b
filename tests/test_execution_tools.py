"""The stage 3 MCP tools through an in-memory client: annotations, the confirmation rules, and
results as structured content plus markdown."""

from __future__ import annotations

import json

import pytest
from fastmcp.exceptions import ToolError

from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.contract.load import load_contract
from mysql2ddb.tools.core.approvals import record_approval
from mysql2ddb.tools.contract.digest import contract_sha256



async def test_annotations_say_what_each_tool_may_do(mcp_client):
    tools = {t.name: t for t in await mcp_client.list_tools()}
    assert tools["migrate"].annotations.destructive_hint is True
    assert tools["migrate"].annotations.read_only_hint is False
    assert tools["create_views"].annotations.destructive_hint is True
    assert tools["plan_migration"].annotations.read_only_hint is True
    assert tools["verify_migration"].annotations.read_only_hint is True
    params = set(tools["migrate"].input_schema["properties"])
    assert {"contract", "dsn", "endpoint_url", "region", "tables", "resume_run_id", "dry_run", "no_verify",
            "confirm"} <= params


async def test_migrate_refuses_an_unapproved_contract_without_confirm(mcp_client, mp_dsn, contract, aws):
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("migrate", {"contract": contract, "dsn": mp_dsn.url(),
                                               "endpoint_url": aws.endpoint_url, "tables": ["Staff"]})
    error = json.loads(str(caught.value))
    assert error["code"] == "workflow" and "`contract` gate" in error["why"]
    assert "record_approval" in error["remedy"] and "confirm=true" in error["remedy"]
    assert aws.client("dynamodb").list_tables()["TableNames"] == []


async def test_migrate_with_confirm_copies_and_verifies(mcp_client, mp_dsn, contract, aws, settings):
    res = await mcp_client.call_tool("migrate", {"contract": contract, "dsn": mp_dsn.url(), "confirm": True,
                                                 "endpoint_url": aws.endpoint_url, "tables": ["Staff", "Actors"]})
    data = res.structured_content
    assert {t["table"]: t["written"] for t in data["tables"]} == {"Staff": 2, "Actors": 200}
    assert data["verify"]["ok"] and data["ok"]
    assert "### Copy" in res.content[0].text and "Actors" in res.content[0].text
    assert data["artifacts"] == ["mysql2ddb://workspace/execution/migration-report.json"]
    report = await mcp_client.read_resource("mysql2ddb://workspace/execution/migration-report.json")
    assert json.loads(report[0].text)["run_id"] == data["run_id"]

    verdict = await mcp_client.call_tool("verify_migration", {"contract": contract, "dsn": mp_dsn.url(),
                                                              "endpoint_url": aws.endpoint_url,
                                                              "tables": ["Staff", "Actors"]})
    assert verdict.structured_content["ok"] is True


async def test_an_approved_contract_in_the_workspace_runs_without_confirm(mcp_client, mp_dsn, sakila_dir, aws, settings):
    ws = Workspace(settings.workdir)
    ws.write_text("contract.json", (sakila_dir / "contract.json").read_text())
    record_approval(ws, "contract", "contract", "approved", None, None,
                    contract_sha256(load_contract(sakila_dir / "contract.json")))
    res = await mcp_client.call_tool("migrate", {"dsn": mp_dsn.url(), "endpoint_url": aws.endpoint_url,
                                                 "tables": ["Staff"], "dry_run": True})
    data = res.structured_content
    assert data["dry_run"] and data["approved"] and data["table_requests"][0]["TableName"] == "Staff"
    assert "```sql" in res.content[0].text


async def test_plan_and_view_sql_are_read_only(mcp_client, sakila_dsn, contract):
    res = await mcp_client.call_tool("plan_migration", {"contract": contract, "dsn": sakila_dsn.url()})
    plan = res.structured_content
    assert plan["total_items"] == 39_475 and plan["slowest_table"]
    assert "Slowest table" in res.content[0].text
    res = await mcp_client.call_tool("create_views", {"contract": contract, "dsn": sakila_dsn.url()})
    assert res.structured_content["dry_run"] and len(res.structured_content["views"]) == 7
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("create_views", {"contract": contract, "dsn": sakila_dsn.url(), "dry_run": False})
    assert "confirm=true" in json.loads(str(caught.value))["remedy"]


async def test_verify_refuses_the_embedded_endpoint_with_a_remedy(mcp_client, sakila_dsn, contract):
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("verify_migration", {"contract": contract, "dsn": sakila_dsn.url(),
                                                        "endpoint_url": "embedded"})
    assert "migrate" in json.loads(str(caught.value))["remedy"]
