"""One approval truth bound to the artifact's hash: an approved design is never overwritten in
silence (the old one is kept as a version, its approvals read as stale everywhere and are asked
again), an identical resubmission changes nothing, a design mapping nothing is refused before
anything is written, record_approval must name the review the user saw, and bad arguments come
back as clean errors. Over the in-memory MCP client, on the real Sakila schema analysis."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastmcp.exceptions import ToolError

from mysql2ddb.tools.core.approvals import artifact_sha256, record_approval
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.modeling.gate_views import gate_state
from mysql2ddb.tools.modeling.registry import Registry, save_registry
from mysql2ddb.tools.modeling.versions import store
from tests.recommend_support import schema_for
from tests.modeling_support import sakila_registry

DATA = Path(__file__).parent / "data"


def _design() -> dict:
    return json.loads((DATA / "sakila_design.json").read_text())


def _registry() -> Registry:
    return sakila_registry()


@pytest.fixture
def ws(workdir, sakila_dsn) -> Workspace:
    ws = Workspace(workdir)
    ws.write_json("analysis/schema.json", schema_for(sakila_dsn))
    save_registry(ws, _registry())
    return ws


def _error(caught: pytest.ExceptionInfo) -> dict:
    text = str(caught.value)
    assert "pydantic.dev" not in text and "validation error for" not in text, text
    return json.loads(text)


async def _answer(chat, gate: str, decision: str = "approved") -> dict:
    """The assistant's flow without elicitation: fetch the review, show it, record the user's answer with
    the review's hash."""
    shown = (await chat.call_tool("review_gate", {"gate": gate})).structured_content
    assert shown["status"] == "unsupported" and shown["review_sha256"]
    return (await chat.call_tool("record_approval", {"gate": gate, "decision": decision,
                                                     "review_sha256": shown["review_sha256"]})).structured_content


async def _approve_everything(chat) -> None:
    for table in (await chat.call_tool("list_approvals", {})).structured_content["pending_tables"]:
        assert (await _answer(chat, f"table:{table}"))["state"] == "approved"
    assert (await _answer(chat, "design"))["state"] == "approved"


async def test_a_changed_design_keeps_the_approved_one_and_its_approvals_go_stale(mcp_client, ws):
    first = _design()
    await mcp_client.call_tool("submit_design", {"design": first})
    approved = ws.read_json("design.json")
    await _approve_everything(mcp_client)
    assert gate_state(ws, "design") == "approved"

    changed = _design()
    changed["tables"][0]["purpose"] = "film pages, with the cast embedded"
    res = await mcp_client.call_tool("submit_design", {"design": changed})
    stored = res.structured_content["stored"]
    assert stored["changed"] and stored["kept_version"] == "versions/design.v1.json"
    assert stored["stale_gates"] == ["table:Films", "design"]
    assert "STALE" in res.content[0].text and "review_gate(gate='table:Films')" in res.content[0].text
    # the approved design is kept, with the hash its approvals bound to
    assert ws.read_json("versions/design.v1.json") == approved
    assert ws.read_json("versions/index.json")["versions"][0]["sha256"] == artifact_sha256(approved)
    assert ws.read_json("design.json")["tables"][0]["purpose"] == "film pages, with the cast embedded"
    # stale wherever approvals are read
    assert (gate_state(ws, "design"), gate_state(ws, "table:Films"), gate_state(ws, "table:Actors")) == \
        ("stale", "stale", "approved")
    listed = (await mcp_client.call_tool("list_approvals", {})).structured_content
    assert listed["stale"] == ["table:Films", "design"] and listed["states"]["design"] == "stale"
    assert listed["pending_tables"] == ["Films"]
    steps = {s["name"]: s["state"] for s in (await mcp_client.call_tool("status", {})).structured_content["steps"]}
    assert (steps["table Films approved"], steps["table Actors approved"], steps["design approved"]) == \
        ("stale", "done", "stale")
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("generate_contract", {})
    assert "table:Films" in _error(caught)["why"]

    # asked again: the review says it changed since its approval, and the new answer binds to the new hash
    review = (await mcp_client.call_tool("review_gate", {"gate": "table:Films"})).structured_content
    assert "stale" in review["shown"] and "cast embedded" in review["shown"]
    await _answer(mcp_client, "table:Films")
    await _answer(mcp_client, "design")
    assert gate_state(ws, "design") == "approved"

    # the same design again: nothing written, nothing stale
    res = await mcp_client.call_tool("submit_design", {"design": changed})
    assert res.structured_content["stored"]["changed"] is False
    assert not ws.exists("versions/design.v2.json") and gate_state(ws, "design") == "approved"


@pytest.mark.parametrize("mutate, where", [
    (lambda d: d.update(tables=[]), "/tables"),
    (lambda d: d["tables"][1].update(entities=[]), "/tables/1/entities"),
    (lambda d: d["tables"][0]["entities"][0].update(attributes=[]), "/tables/0/entities/0/attributes"),
    (lambda d: [e.update(source_table="nosuch") for t in d["tables"] for e in t["entities"]], "source_table"),
])
async def test_a_design_mapping_nothing_is_refused_and_the_approved_one_untouched(mcp_client, ws, mutate, where):
    await mcp_client.call_tool("submit_design", {"design": _design()})
    await _approve_everything(mcp_client)
    before = ws.read_text("design.json")
    bad = _design()
    mutate(bad)
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("submit_design", {"design": bad})
    error = _error(caught)
    assert error["code"] == "design" and where in error["where"] and error["remedy"]
    assert ws.read_text("design.json") == before and not ws.exists("versions")
    assert gate_state(ws, "design") == "approved"


async def test_record_approval_must_name_the_current_review(mcp_client, ws):
    await mcp_client.call_tool("submit_design", {"design": _design()})
    shown = (await mcp_client.call_tool("review_gate", {"gate": "table:Films"})).structured_content
    with pytest.raises(ToolError) as caught:  # never fetched: no hash
        await mcp_client.call_tool("record_approval", {"gate": "table:Films", "decision": "approved"})
    error = _error(caught)
    assert error["code"] == "workflow" and error["details"]["review_sha256"] == shown["review_sha256"]
    assert "Partition key" in error["details"]["review"] and shown["review_sha256"] in error["remedy"]
    changed = _design()
    changed["tables"][0]["partition_key"]["justification"] = "film pages are read by id"
    await mcp_client.call_tool("submit_design", {"design": changed})
    with pytest.raises(ToolError) as caught:  # the user saw the earlier version
        await mcp_client.call_tool("record_approval", {"gate": "table:Films", "decision": "approved",
                                                       "review_sha256": shown["review_sha256"]})
    error = _error(caught)
    assert "film pages are read by id" in error["details"]["review"]
    assert error["details"]["review_sha256"] != shown["review_sha256"]
    assert gate_state(ws, "table:Films") == "not asked"


async def test_requirements_changed_after_approval_are_kept_and_stale(mcp_client, ws):
    await _answer(mcp_client, "requirements")
    res = await mcp_client.call_tool("set_pattern_rps", {"pattern_id": "AP1", "rps_peak": 90, "rps_average": 30})
    assert res.structured_content["stored"]["stale_gates"] == ["requirements"]
    assert "STALE" in res.content[0].text
    kept = ws.read_json("versions/access_patterns.v1.json")
    assert next(p for p in kept["patterns"] if p["id"] == "AP1")["rps_peak"] != 90
    assert gate_state(ws, "requirements") == "stale"
    same = await mcp_client.call_tool("set_pattern_rps", {"pattern_id": "AP1", "rps_peak": 90, "rps_average": 30})
    assert same.structured_content["stored"]["changed"] is False


def test_a_regenerated_contract_keeps_the_approved_one(tmp_path, sakila_dir):
    ws = Workspace(tmp_path)
    contract = json.loads((sakila_dir / "contract.json").read_text())
    first = store(ws, "contract.json", contract)
    assert first.changed and first.kept_version is None  # nothing approved yet: nothing to keep
    record_approval(ws, "contract", "contract.json", "approved", None, None, first.sha256)
    assert gate_state(ws, "contract") == "approved"
    contract["tables"][0]["estimated_item_size_bytes"] = 801
    second = store(ws, "contract.json", contract)
    assert second.kept_version == "versions/contract.v1.json" and second.stale_gates == ["contract"]
    assert gate_state(ws, "contract") == "stale"


async def test_bad_rates_and_arguments_are_clean_errors(mcp_client, ws):
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("set_pattern_rps", {"pattern_id": "AP1", "rps_peak": -3})
    error = _error(caught)
    assert error["code"] == "input" and error["where"].endswith("rps_peak") and "requests per second" in error["remedy"]
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("set_pattern_rps", {"pattern_id": "AP1", "rps_peak": 5, "rps_average": 9})
    assert "below rps_average" in _error(caught)["why"]
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("set_pattern_rps", {"pattern_id": "AP1", "rps_peak": "lots"})
    error = _error(caught)
    assert error["where"] == "set_pattern_rps: rps_peak" and error["remedy"]
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("estimate_cost", {"item_sizes": {"Films": {"avg_bytes": "big"}}})
    assert _error(caught)["where"] == "item_sizes: /Films/avg_bytes"
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("add_access_pattern", {"description": "x", "kind": "scan"})
    assert _error(caught)["where"] == "add_access_pattern: kind"
