"""The whole migration in chat, led by `status` alone: the scripted assistant knows nothing of the
workflow; it calls `status`, makes the tool call named there (filling in only what a user would
tell it: where the log is, a rate), answers each gate as the user, and stops when status says the
migration is verified. Both protocol eras (elicitation on 2025-11-25, input-required results on
2026-07-28); a query-log path (Sakila with the shared capture) and a schema-only path (Chinook).
Along the way, `migrate` without consent is refused and writes nothing."""

from __future__ import annotations

import ast
import json
import re

import boto3
import pymysql
import pytest
from fastmcp import Client
from fastmcp.exceptions import ToolError

from mysql2ddb.server.app import create_server
from mysql2ddb.tools.core.settings import Settings
from mysql2ddb.tools.usecases import corpora
from tests.conftest import dsn_for
from tests.views_in import ddb_views as views_in

ERAS = {"legacy": "2025-11-25", "2026-07-28": "2026-07-28"}
MAX_TURNS = 80


class User:
    """Approves what it is shown, and remembers the questions."""

    def __init__(self) -> None:
        self.questions: list[str] = []

    async def __call__(self, message, response_type, params, context):
        self.questions.append(message)
        return response_type(decision="approved", feedback="looks right to me", concerns="")


def parse_call(text: str, facts: dict[str, object]) -> tuple[str, dict[str, object]]:
    """`tool(arg=value, ...)` as status words it; a `<placeholder>` is what the user tells the assistant."""
    first = re.split(r",? then |\s\(or ", text)[0].strip()
    first = re.sub(r"'?(<[^>]*>)'?", lambda m: repr(facts[m.group(1)]), first)
    first = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", first))  # JSON words in the text
    call = ast.parse(first if "(" in first else first + "()", mode="eval").body
    assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name), text
    return call.func.id, {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}


def drop_our_views(database: str) -> None:
    """A rerun starts clean: the views an earlier run of this test created are dropped."""
    from sqlglot import exp

    from mysql2ddb.tools.core.sql import render, table

    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)
    with conn.cursor() as cur:
        for name in views_in(database):
            cur.execute(render(exp.Drop(tables=[table(name, db=database)], kind="VIEW", exists=True)))
    conn.close()


async def follow_status(chat: Client, facts: dict[str, object], database: str, endpoint: str) -> list[str]:
    """Drive the chat by status until the migration is verified; return the tool calls made."""
    made: list[str] = []
    refused_once = False
    for _ in range(MAX_TURNS):
        status = (await chat.call_tool("status", {})).structured_content
        if status["next_step"] is None:
            return made
        text = status["next_tool"]
        if text.startswith("analyze_query_log") and facts.get("<general or slow log>") is None:
            step = next(s for s in status["steps"] if s["name"] == status["next_step"])
            text = step["alternative_tool"]  # the user has no log: the alternative status offers
        tool, args = parse_call(text, facts)
        if tool == "migrate" and not refused_once:
            # the assistant forgets to ask: refused, and nothing is written
            with pytest.raises(ToolError, match="confirm"):
                await chat.call_tool("migrate", {})
            assert views_in(database) == []
            assert boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1").list_tables()[
                "TableNames"] == []
            refused_once = True
            args = {"dry_run": True}
        elif tool == "migrate":
            args = {"confirm": True}  # status's second half: the user said yes to the dry run it was shown
        made.append(f"{tool}({args})")
        await chat.call_tool(tool, args)
    raise AssertionError(f"status never reached the end: {made}")


@pytest.mark.parametrize("mode", sorted(ERAS))
async def test_query_log_path_follows_status_to_a_verified_migration(mode, tmp_path, capture_dir, moto_server):
    database = f"m2d_conv_log_{mode.replace('-', '')[:8]}"
    corpora.ensure_sakila(dsn_for(database))
    drop_our_views(database)
    moto_server.reset()
    settings = Settings(workdir=tmp_path / "work", dsn=dsn_for(database).url(), aws_endpoint_url=moto_server.url,
                        read_dirs=[capture_dir])
    user = User()
    async with Client(create_server(settings), mode=mode, elicitation_handler=user) as chat:
        assert chat.protocol_version == ERAS[mode]
        start = await chat.get_prompt("start_migration", {})
        assert "status" in start.messages[0].content.text
        made = await follow_status(chat, {"<general or slow log>": str(capture_dir / "general.log.gz")},
                                   database, moto_server.url)
        model = await chat.read_resource("mysql2ddb://workspace/dynamodb_data_model.md")
        assert "access pattern" in model[0].text.lower()
    assert made[0].startswith("analyze_schema") and made[1].startswith("analyze_query_log")
    assert any(m.startswith("migrate({'dry_run': True})") for m in made)
    assert len(user.questions) >= 4


@pytest.mark.parametrize("mode", sorted(ERAS))
async def test_schema_only_path_follows_status_to_a_verified_migration(mode, tmp_path, moto_server):
    database = f"m2d_conv_schema_{mode.replace('-', '')[:8]}"
    corpora.ensure_chinook(dsn_for(database))
    drop_our_views(database)
    moto_server.reset()
    settings = Settings(workdir=tmp_path / "work", dsn=dsn_for(database).url(), aws_endpoint_url=moto_server.url)
    user = User()
    async with Client(create_server(settings), mode=mode, elicitation_handler=user) as chat:
        made = await follow_status(chat, {"<from the user>": 20.0, "<general or slow log>": None},
                                   database, moto_server.url)
    assert not any(m.startswith("analyze_query_log") for m in made)
    records = json.loads((tmp_path / "work" / "approvals.json").read_text())["records"]
    assert records and all(r["decision"] == "approved" and r["artifact_sha256"] for r in records)  # each bound to its review
    assert any(m.startswith("build_access_patterns({'source': 'schema'})") for m in made)
    assert any(m.startswith("set_pattern_rps") for m in made)
