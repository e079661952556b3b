"""Validation gates: the approvals record, and the gate tools on both MCP protocol eras."""

from __future__ import annotations

import json

import pytest

from mysql2ddb.server.errors import InputError
from mysql2ddb.server.workspace import Workspace
from mysql2ddb.tools.contract.load import load_contract
from mysql2ddb.tools.modeling.approvals import (
    contract_sha256,
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
