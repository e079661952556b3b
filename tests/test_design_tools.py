"""The design tools over MCP (in-memory client) and the `design` CLI, on a workspace holding the
real stage-1 schema analysis of Sakila and a registry of its 9 access patterns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastmcp.exceptions import ToolError
from typer.testing import CliRunner

from mysql2ddb.server.cli.main import app
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.analysis.schema import analyze_schema
from mysql2ddb.tools.modeling.registry import Registry, save_registry
from tests.modeling_support import sakila_registry

DATA = Path(__file__).parent / "data"
DESIGN = DATA / "sakila_design.json"
runner = CliRunner()


def registry() -> Registry:
    return sakila_registry()


@pytest.fixture(scope="module")
async def sakila_analysis(sakila_dsn):
    return await analyze_schema(sakila_dsn)


@pytest.fixture
def prepared(workdir, sakila_analysis):
    ws = Workspace(workdir)
    ws.write_json("analysis/schema.json", sakila_analysis)
    save_registry(ws, registry())
    return ws


async def test_submit_design_validates_and_saves(mcp_client, prepared):
    design = json.loads(DESIGN.read_text())
    res = await mcp_client.call_tool("submit_design", {"design": design})
    data = res.structured_content
    assert data["valid"] and [p["pattern_id"] for p in data["patterns"] if p["covered"]] == \
        [f"AP{i}" for i in range(1, 10)]
    assert prepared.exists("design.json") and prepared.exists("design_validation.json")
    assert "9/9 access patterns served" in res.content[0].text
    # The stored design is what the other tools use by default.
    cost = (await mcp_client.call_tool("estimate_cost", {})).structured_content
    assert cost["unpriced_patterns"] == [] and cost["on_demand_usd"] > 0
    assert {c["table"] for c in cost["capacity"]} == {t["name"] for t in design["tables"]}
    assert prepared.exists("design_cost.json")
    hot = (await mcp_client.call_tool("analyze_hot_partitions", {})).structured_content
    assert any(k["table"] == "CustomerRentals" and k["risk"] == "ok" for k in hot["keys"])
    alts = (await mcp_client.call_tool("design_alternatives", {})).structured_content
    assert {a["dimension"] for a in alts["alternatives"]} == {"performance_vs_cost", "complexity_vs_flexibility",
                                                             "consistency_vs_availability"}
    rendered = await mcp_client.call_tool("render_data_model", {})
    assert rendered.structured_content["valid"]
    assert prepared.read_text("dynamodb_data_model.md").startswith("# DynamoDB data model: sakila")


async def test_shape_errors_come_back_with_json_pointers(mcp_client, prepared):
    design = json.loads(DESIGN.read_text())
    design["tables"][0]["partition_key"]["atribute"] = "film_id"
    design["pattern_mappings"][0]["operations"][0]["type"] = "Lookup"
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("submit_design", {"design": design})
    error = json.loads(str(caught.value))
    assert error["code"] == "design"
    paths = [e["path"] for e in error["details"]["errors"]]
    assert paths == ["/tables/0/partition_key/atribute", "/pattern_mappings/0/operations/0/type"]
    assert not prepared.exists("design.json")


async def test_validate_inline_design_reports_the_uncovered_pattern(mcp_client, prepared):
    design = json.loads(DESIGN.read_text())
    next(t for t in design["tables"] if t["name"] == "Inventory")["gsis"] = []
    data = (await mcp_client.call_tool("validate_design", {"design": design})).structured_content
    assert not data["valid"]
    assert [p["pattern_id"] for p in data["patterns"] if not p["covered"]] == ["AP5"]
    assert any(e["code"] == "REQUEST_MISSING_PATTERN_MAPPING" and e["subjects"] == ["AP5"]
               for e in data["enhancements"])


async def test_measured_sizes_replace_estimates(mcp_client, prepared, sakila_dsn):
    await mcp_client.call_tool("submit_design", {"design": json.loads(DESIGN.read_text())})
    res = await mcp_client.call_tool("measure_item_sizes", {"dsn": sakila_dsn.url()})
    sizes = res.structured_content["sizes"]
    # Counts are the view rows = items; Staff's largest item carries the 36,365-byte picture.
    assert {t: s["items"] for t, s in sizes.items()} == {
        "Films": 1000, "CategoryFilms": 1000, "CustomerRentals": 16643, "Inventory": 4581, "Payments": 16049,
        "Actors": 200, "Staff": 2}
    assert 36_365 < sizes["Staff"]["max_bytes"] < 37_000
    assert prepared.exists("item_sizes.json")
    data = (await mcp_client.call_tool("validate_design", {})).structured_content
    assert all(s["source"] == "measured" for s in data["item_sizes"])
    assert not any(e["code"] == "REQUEST_DETAILED_COST_BREAKDOWN" for e in data["enhancements"])


async def test_tools_without_a_design_say_what_to_do(mcp_client, prepared):
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("estimate_cost", {})
    assert "submit_design" in json.loads(str(caught.value))["remedy"]


def test_cli_validate_cost_render(prepared, workdir, tmp_path):
    def run(*args: str):
        return runner.invoke(app, ["--workdir", str(workdir), "design", *args], catch_exceptions=False)

    res = run("validate", str(DESIGN), "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["valid"]
    broken = json.loads(DESIGN.read_text())
    broken["pattern_mappings"] = [m for m in broken["pattern_mappings"] if m["pattern_id"] != "AP2"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    res = run("validate", str(path), "--json")
    assert res.exit_code == 1
    assert [p["pattern_id"] for p in json.loads(res.stdout)["patterns"] if not p["covered"]] == ["AP2"]
    res = run("cost", str(DESIGN), "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["provisioned_usd"] > 0
    out = tmp_path / "model.md"
    res = run("render", str(DESIGN), "--out", str(out))
    assert res.exit_code == 0 and "## Hot partition analysis" in out.read_text()
    res = run("validate", str(tmp_path / "missing.json"))
    assert res.exit_code == 2 and "cannot read the design" in res.stderr
