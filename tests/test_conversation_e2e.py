"""The whole migration in chat: an in-memory client drives Sakila from analysis to a verified
migration using only MCP tools, prompts and resources, answering every gate as a user would,
on both protocol eras (elicitation on 2025-11-25, input-required results on 2026-07-28)."""

from __future__ import annotations

import json

import pytest
from fastmcp import Client

from mysql2ddb.server.app import create_server
from mysql2ddb.tools.core.settings import Settings
from mysql2ddb.tools.usecases import corpora
from tests.conftest import dsn_for

ERAS = {"legacy": "2025-11-25", "2026-07-28": "2026-07-28"}


class User:
    """Approves what it is shown, and remembers the questions."""

    def __init__(self):
        self.questions: list[str] = []

    async def __call__(self, message, response_type, params, context):
        self.questions.append(message)
        return response_type(decision="approved", feedback="looks right to me", concerns="")


@pytest.mark.parametrize("mode", sorted(ERAS))
async def test_scripted_conversation_migrates_sakila(mode, tmp_path, capture_dir, moto_server):
    dsn = dsn_for("m2d_e2e_sakila")
    corpora.ensure_sakila(dsn)
    moto_server.reset()
    settings = Settings(workdir=tmp_path / "work", dsn=dsn.url(), aws_endpoint_url=moto_server.url,
                        read_dirs=[capture_dir])  # the user lets the server read the shared capture
    user = User()
    async with Client(create_server(settings), mode=mode, elicitation_handler=user) as chat:
        assert chat.protocol_version == ERAS[mode]

        async def call(tool, args=None):
            return (await chat.call_tool(tool, args or {})).structured_content

        async def next_tool():
            return (await call("status"))["next_tool"]

        start = await chat.get_prompt("start_migration", {})
        assert "analyze_schema" in start.messages[0].content.text
        await call("analyze_schema")
        await call("analyze_query_log", {"paths": [str(capture_dir / "general.log.gz")]})
        patterns = await call("build_access_patterns")
        assert len(patterns["patterns"]) == 9
        answer = await call("review_gate", {"gate": "requirements"})
        assert answer["decision"] == "approved" and answer["state"] == "approved"
        assert answer["review_sha256"] == answer["artifact_sha256"]  # bound to the review the user saw
        await call("build_context_document")
        recommended = await call("recommend_design")
        assert recommended["validation"]["valid"], recommended["validation"]
        await call("render_data_model")
        # table gates in design order, then the design
        while (step := await next_tool()).startswith("review_gate(gate='table:"):
            gate = step.split("'")[1]
            assert (await call("review_gate", {"gate": gate}))["decision"] == "approved"
        assert (await call("review_gate", {"gate": "design"}))["decision"] == "approved"
        # the approved design submitted again as it is: nothing written, nothing to approve again
        design = json.loads((settings.workdir / "design.json").read_text())
        assert (await call("submit_design", {"design": design}))["stored"]["changed"] is False
        assert (await call("list_approvals"))["stale"] == []
        await call("generate_contract")
        assert (await call("validate_contract"))["valid"] is True
        assert (await call("review_gate", {"gate": "contract"}))["decision"] == "approved"
        plan = await call("plan_migration")
        assert plan["tables"]
        report = await call("migrate", {"confirm": True})  # the user saw the plan and agreed
        assert report["ok"] is True, report
        assert all(t["rejected"] == 0 for t in report["tables"])
        status = await call("status")
        assert status["next_step"] is None, status
        model = await chat.read_resource("mysql2ddb://workspace/dynamodb_data_model.md")
        assert "Access pattern" in model[0].text or "access pattern" in model[0].text
    assert len(user.questions) >= 4
