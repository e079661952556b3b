"""Workspace artifacts as MCP resources: every file listed with a name, a description and its MIME
type; each readable, nested paths included; nothing outside the workspace; and a
notifications/resources/list_changed after a tool call that changed the artifacts (both protocol
eras), none after one that did not."""

from __future__ import annotations

import asyncio
import json

import mcp_types
import pytest
from fastmcp import Client
from fastmcp.exceptions import FastMCPError, McpError, NotFoundError

from mysql2ddb.server.app import create_server
from mysql2ddb.tools.core.settings import Settings

PREFIX = "mysql2ddb://workspace/"
ERAS = {"legacy": "2025-11-25", "2026-07-28": "2026-07-28"}


class Notices:
    """The client's message handler: keeps every list_changed notification."""

    def __init__(self) -> None:
        self.changed = 0

    async def __call__(self, message: object) -> None:
        if isinstance(message, mcp_types.ResourceListChangedNotification):
            self.changed += 1

    async def wait(self, count: int) -> bool:
        for _ in range(100):
            if self.changed >= count:
                return True
            await asyncio.sleep(0.01)
        return False


@pytest.mark.parametrize("mode", sorted(ERAS))
async def test_artifacts_are_listed_typed_readable_and_announced(mode, tmp_path, sakila_dsn):
    settings = Settings(workdir=tmp_path / "work", dsn=sakila_dsn.url())
    notices = Notices()
    async with Client(create_server(settings), mode=mode, message_handler=notices) as client:
        assert client.protocol_version == ERAS[mode]
        assert await client.list_resources() == []  # an empty workspace
        await client.call_tool("analyze_schema", {})
        assert await notices.wait(1), "no notifications/resources/list_changed after analyze_schema"

        listed = {str(r.uri)[len(PREFIX):]: r for r in await client.list_resources()}
        assert listed["analysis/schema.json"].mime_type == "application/json"
        for report in ("01_3_table_structure_analysis.md", "01_3_entity_relationships.md"):
            assert listed[report].mime_type == "text/markdown"
        for path, res in listed.items():
            assert res.name == path and res.description, path
            assert not res.description.startswith("Workspace artifact"), f"{path} has no description of its own"

        contents = await client.read_resource(PREFIX + "analysis/schema.json")
        assert contents[0].mime_type == "application/json"
        assert {t["name"] for t in json.loads(contents[0].text)["tables"]} >= {"film", "rental"}
        report = await client.read_resource(PREFIX + "01_3_entity_relationships.md")
        assert report[0].mime_type == "text/markdown" and report[0].text.strip()

        seen = notices.changed
        await client.call_tool("list_artifacts", {})  # reads only: nothing changed, nothing announced
        await asyncio.sleep(0.1)
        assert notices.changed == seen


async def test_nested_run_artifacts_and_other_types(tmp_path):
    settings = Settings(workdir=tmp_path / "work")
    ws = tmp_path / "work"
    (ws / "runs" / "20260101-000000-abc" / "rejects").mkdir(parents=True)
    (ws / "runs" / "20260101-000000-abc" / "report.json").write_text('{"ok": true}\n')
    (ws / "runs" / "20260101-000000-abc" / "rejects" / "Films.jsonl").write_text('{"key": 1}\n')
    async with Client(create_server(settings)) as client:
        listed = {str(r.uri): r for r in await client.list_resources()}
        report = listed[PREFIX + "runs/20260101-000000-abc/report.json"]
        assert report.mime_type == "application/json"
        assert "20260101-000000-abc" in report.description
        rejects = listed[PREFIX + "runs/20260101-000000-abc/rejects/Films.jsonl"]
        assert rejects.mime_type == "text/plain" and "Films" in rejects.description
        contents = await client.read_resource(PREFIX + "runs/20260101-000000-abc/report.json")
        assert json.loads(contents[0].text) == {"ok": True}


async def test_nothing_outside_the_workspace(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not show\n")
    ws = tmp_path / "work"
    ws.mkdir()
    (ws / "inside.md").write_text("# here\n")
    (ws / "link.txt").symlink_to(secret)  # a link out of the workspace is neither listed nor read
    server = create_server(Settings(workdir=ws))
    async with Client(server) as client:
        assert [str(r.uri) for r in await client.list_resources()] == [PREFIX + "inside.md"]
        with pytest.raises(McpError, match="leaves the workspace"):
            await client.read_resource(PREFIX + "link.txt")
        with pytest.raises(McpError, match="no artifact"):
            await client.read_resource(PREFIX + "missing.json")
    # the client normalises '..' away: the server is asked as a hostile client would ask it
    for uri in (PREFIX + "../secret.txt", PREFIX + "%2E%2E/secret.txt", PREFIX + "sub/%2e%2e/%2e%2e/secret.txt",
                PREFIX + str(secret), PREFIX + "link.txt"):
        with pytest.raises((FastMCPError, NotFoundError)) as refused:
            await server.read_resource(uri)
        assert "do not show" not in str(refused.value), uri
