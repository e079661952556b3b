"""Validation gates: the approvals record, and the gate tools on both MCP protocol eras."""

from __future__ import annotations

import contextlib
import json

import pytest
from fastmcp import Client
from fastmcp.client.elicitation import ElicitResult
from fastmcp.exceptions import ToolError

from mysql2ddb.server.app import create_server
from mysql2ddb.tools.core.errors import InputError
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.contract.load import load_contract
from mysql2ddb.tools.contract.digest import contract_sha256
from mysql2ddb.tools.core.approvals import (
    artifact_sha256,
    is_approved,
    load_approvals,
    open_feedback,
    record_approval,
)


@pytest.fixture
def ws(workdir) -> Workspace:
    return Workspace(workdir)


def test_latest_answer_wins_and_is_timed(ws):
    assert not is_approved(ws, "requirements")
    record_approval(ws, "requirements", None, "approved", None, None, None)
    assert is_approved(ws, "requirements")
    record_approval(ws, "requirements", None, "rejected", "AP3 is missing", ["rps guessed"], None)
    assert not is_approved(ws, "requirements")
    log = load_approvals(ws)
    assert [r.decision for r in log.records] == ["approved", "rejected"]
    assert all(r.time.endswith("+00:00") for r in log.records)
    assert open_feedback(ws)[0].feedback == "AP3 is missing"
    raw = json.loads(ws.read_text("approvals.json"))
    assert raw["records"][1]["concerns"] == ["rps guessed"]


def test_changed_contract_hash_withdraws_the_approval(ws, sakila_dir):
    contract = load_contract(sakila_dir / "contract.json")
    sha = contract_sha256(contract)
    assert sha == contract_sha256(contract.dump())
    record_approval(ws, "contract", "contract.json", "approved", None, None, sha)
    assert is_approved(ws, "contract", artifact_sha256=sha)
    changed = contract.dump()
    changed["tables"][0]["estimated_item_size_bytes"] = 801
    assert not is_approved(ws, "contract", artifact_sha256=contract_sha256(changed))


def test_unknown_gate_and_decision_are_refused(ws):
    with pytest.raises(InputError):
        record_approval(ws, "tables", None, "approved", None, None, None)
    with pytest.raises(InputError):
        record_approval(ws, "table:Films", "Films", "maybe", None, None, None)
    with pytest.raises(InputError):
        record_approval(ws, "table:", None, "approved", None, None, None)


# ---- gate tools through an in-memory client, on both protocol eras ------------------------------

ERAS = ["legacy", "2026-07-28"]  # legacy negotiates 2025-11-25 (elicitation/create); 2026-07-28 input_required

DESIGN = {
    "name": "sakila",
    "philosophy": "one table per access path",
    "tables": [
        {"name": "Films", "purpose": "film pages", "partition_key": {"attribute": "film_id", "type": "N",
                                                                       "source_column": "film.film_id"},
         "entities": [{"name": "FILM", "source_table": "film", "attributes": [
             {"name": "film_id", "type": "N", "source_table": "film", "source_column": "film_id"}]}]},
        {"name": "Actors", "partition_key": {"attribute": "actor_id", "type": "N"},
         "gsis": [{"name": "ByLastName", "partition_key": {"attribute": "last_name_initial"},
                   "sort_key": {"attribute": "last_name"}, "projection": "ALL"}],
         "entities": [{"name": "ACTOR", "source_table": "actor", "attributes": []}]},
    ],
    "pattern_mappings": [{"pattern_id": "AP1", "operations": [{"type": "GetItem", "table": "Films"}]}],
}


class Answers:
    """A scripted user: each question pops the next answer (a dict accepts, 'decline'/'cancel')."""

    def __init__(self, *answers, on_ask=None):
        self.answers = list(answers)
        self.questions: list[str] = []
        self.on_ask = on_ask

    async def __call__(self, message, response_type, params, context):
        self.questions.append(message)
        if self.on_ask:
            self.on_ask()
        answer = self.answers.pop(0)
        if answer in ("decline", "cancel"):
            return ElicitResult(action=answer)
        return response_type(**answer)


@pytest.fixture
def design_ws(ws, sakila_dir) -> Workspace:
    ws.write_json("design.json", DESIGN)
    ws.write_text("contract.json", (sakila_dir / "contract.json").read_text())
    return ws


@contextlib.asynccontextmanager
async def client(settings, mode, answers=None):
    async with Client(create_server(settings), mode=mode, elicitation_handler=answers) as c:
        yield c


@pytest.mark.parametrize("mode", ERAS)
async def test_approve_a_table_on_each_era(settings, design_ws, mode):
    user = Answers({"decision": "approved", "feedback": "looks right"})
    async with client(settings, mode, user) as c:
        assert c.protocol_version == ("2025-11-25" if mode == "legacy" else "2026-07-28")
        got = (await c.call_tool("review_gate", {"gate": "table:Films"})).structured_content
    assert got["status"] == "recorded" and got["decision"] == "approved"
    assert got["via"] == ("elicitation" if mode == "legacy" else "input-required")
    assert "Partition key: `film_id`" in user.questions[0] and "Serves AP1" in user.questions[0]
    assert is_approved(design_ws, "table:Films")
    assert got["artifact_sha256"] == artifact_sha256(DESIGN["tables"][0])
    assert "table:Actors" in got["next"]


@pytest.mark.parametrize("mode", ERAS)
async def test_reject_with_feedback_is_recorded_and_shown_again(settings, design_ws, mode):
    user = Answers({"decision": "rejected", "feedback": "key on title", "concerns": "hot key\nno GSI"},
                   {"decision": "approved"})
    async with client(settings, mode, user) as c:
        got = (await c.call_tool("review_gate", {"gate": "table", "subject": "Films"})).structured_content
        assert got["decision"] == "rejected" and got["concerns"] == ["hot key", "no GSI"]
        assert "revise" in got["next"]
        listed = (await c.call_tool("list_approvals", {})).structured_content
        assert listed["open_feedback"][0]["feedback"] == "key on title"
        assert listed["pending_tables"] == ["Films", "Actors"]
        await c.call_tool("review_gate", {"gate": "table:Films"})
    assert "key on title" in user.questions[1]  # the revision is reviewed against the feedback
    assert is_approved(design_ws, "table:Films")
    assert [r.decision for r in load_approvals(design_ws).records] == ["rejected", "approved"]


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("action", ["decline", "cancel"])
async def test_decline_or_cancel_records_nothing(settings, design_ws, mode, action):
    async with client(settings, mode, Answers(action)) as c:
        got = (await c.call_tool("review_gate", {"gate": "contract"})).structured_content
    assert got["status"] == ("declined" if action == "decline" else "cancelled")
    assert load_approvals(design_ws).records == []


@pytest.mark.parametrize("mode", ERAS)
async def test_tables_in_design_order(settings, design_ws, mode):
    user = Answers({"decision": "approved"}, {"decision": "approved"})
    async with client(settings, mode, user) as c:
        with pytest.raises(ToolError) as caught:
            await c.call_tool("review_gate", {"gate": "table:Actors"})
        error = json.loads(str(caught.value))
        assert error["code"] == "workflow" and "table:Films" in error["remedy"]
        assert user.questions == []  # Actors was not shown
        with pytest.raises(ToolError) as caught:
            await c.call_tool("review_gate", {"gate": "design"})
        assert "Films" in json.loads(str(caught.value))["remedy"]
        await c.call_tool("review_gate", {"gate": "table:Films"})
        got = (await c.call_tool("review_gate", {"gate": "table:Actors"})).structured_content
        assert got["status"] == "recorded" and "ByLastName" in user.questions[1]
        assert "review_gate(gate='design')" in got["next"]


@pytest.mark.parametrize("mode", ERAS)
async def test_artifact_changed_while_asking(settings, design_ws, mode):
    def revise():
        changed = json.loads(json.dumps(DESIGN))
        changed["tables"][0]["purpose"] = "revised meanwhile"
        design_ws.write_json("design.json", changed)

    async with client(settings, mode, Answers({"decision": "approved"}, on_ask=revise)) as c:
        got = (await c.call_tool("review_gate", {"gate": "table:Films"})).structured_content
    assert got["stale"] is True
    assert not is_approved(design_ws, "table:Films", artifact_sha256=artifact_sha256(
        design_ws.read_json("design.json")["tables"][0]))


@pytest.mark.parametrize("mode", ERAS)
async def test_client_without_elicitation_uses_record_approval(settings, design_ws, sakila_dir, mode):
    async with client(settings, mode) as c:
        got = (await c.call_tool("review_gate", {"gate": "contract"})).structured_content
        assert got["status"] == "unsupported" and "record_approval" in got["next"]
        assert "CustomerRentals" in got["shown"] and got["review_sha256"] in got["next"]
        recorded = (await c.call_tool("record_approval", {
            "gate": "contract", "decision": "approved", "concerns": ["watch Staff blobs"],
            "review_sha256": got["review_sha256"]})).structured_content  # the hash of the review the user saw
    sha = contract_sha256(load_contract(sakila_dir / "contract.json"))
    assert got["review_sha256"] == sha
    assert recorded["artifact_sha256"] == sha and recorded["via"] == "record_approval"
    assert recorded["state"] == "approved"
    assert is_approved(design_ws, "contract", artifact_sha256=sha)
    edited = design_ws.read_json("contract.json")
    edited["tables"][0]["estimated_item_size_bytes"] = 900
    design_ws.write_json("contract.json", edited)
    assert not is_approved(design_ws, "contract", artifact_sha256=contract_sha256(edited))


async def test_record_approval_keeps_the_table_order(mcp_client, design_ws):
    films = artifact_sha256(DESIGN["tables"][0])
    actors = artifact_sha256(DESIGN["tables"][1])
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("record_approval", {"gate": "table:Actors", "decision": "approved",
                                                       "review_sha256": actors})
    assert "table:Films" in json.loads(str(caught.value))["remedy"]
    await mcp_client.call_tool("record_approval", {"gate": "table:Films", "decision": "rejected", "feedback": "x",
                                                   "review_sha256": films})
    with pytest.raises(ToolError):
        await mcp_client.call_tool("record_approval", {"gate": "table:Actors", "decision": "approved",
                                                       "review_sha256": actors})
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("record_approval", {"gate": "table:Films", "decision": "maybe",
                                                       "review_sha256": films})
    assert "approved, rejected or feedback" in json.loads(str(caught.value))["remedy"]


async def test_table_gates_from_the_contract_without_a_design(mcp_client, ws, sakila_dir):
    ws.write_text("contract.json", (sakila_dir / "contract.json").read_text())
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("record_approval", {"gate": "table:CategoryFilms", "decision": "approved",
                                                       "review_sha256": "0" * 64})
    assert "table:Films" in json.loads(str(caught.value))["remedy"]
    got = (await mcp_client.call_tool("review_gate", {"gate": "table:Films"})).structured_content
    assert "`film_id`" in got["shown"]


@pytest.mark.parametrize("mode", ERAS)
async def test_requirements_gate_shows_the_patterns(settings, ws, mode):
    async with client(settings, mode, Answers({"decision": "feedback", "feedback": "AP9 peaks at 50 rps"})) as c:
        with pytest.raises(ToolError) as caught:
            await c.call_tool("review_gate", {"gate": "requirements"})
        assert "build_access_patterns" in json.loads(str(caught.value))["remedy"]
        ws.write_json("access_patterns.json", {"patterns": [{"id": "AP9", "description": "cast of a film",
                                                             "rps_peak": 20, "rps_average": 4}]})
        got = (await c.call_tool("review_gate", {"gate": "requirements"})).structured_content
    assert got["decision"] == "feedback" and not is_approved(ws, "requirements")
    assert open_feedback(ws)[0].feedback == "AP9 peaks at 50 rps"
