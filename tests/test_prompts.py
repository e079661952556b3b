"""Every MCP prompt renders with strict undefined variables and matches its snapshot."""

from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from mysql2ddb.prompts import render
from mysql2ddb.tools.core.workspace import Workspace
from tests.snapshot import assert_snapshot

PROMPTS = {
    "start_migration": {"dsn_hint": "mysql://app@db:3306/shop", "log_hint": "/var/log/mysql/general.log"},
    "analyze": {"dsn_hint": "", "log_hint": ""},
    "model": {},
    "review_gates": {},
    "execute": {"contract_path": "contract.json", "endpoint": "embedded"},
    "recover_failed_run": {"run_id": "20261124-101500"},
}


@pytest.mark.parametrize("name", sorted(PROMPTS))
async def test_prompt_snapshot(mcp_client, settings, name):
    ws = Workspace(settings.workdir)
    ws.write_json("design.json", {"tables": [{"name": "Films"}, {"name": "Actors"}]})
    ws.write_json("access_patterns.json", {"patterns": [{"id": "AP1", "rps_peak": 12}, {"id": "AP2", "rps_peak": None}]})
    res = await mcp_client.get_prompt(name, PROMPTS[name])
    text = res.messages[0].content.text.replace(str(ws.root), "<workdir>")
    assert_snapshot(f"prompts/{name}.md", text)


def test_templates_refuse_missing_variables():
    with pytest.raises(UndefinedError):
        render("execute.md.j2", contract_path="c.json")
