"""The workspace's local endpoint outlives a call: started by `mysql2ddb local start` (a CLI process
that exits), used by a migrate into `embedded` in one process, then verified and read in others;
`local stop` ends it. The same journey in a chat, through the in-memory MCP client. A record whose
process is gone is cleaned. Every test stops what it started."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from fastmcp.exceptions import ToolError

from mysql2ddb.tools.core import local_endpoint as local
from mysql2ddb.tools.core.approvals import record_approval
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.modeling.gate_views import current_sha256


def cli(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """The real command, in a process of its own (what a terminal user runs)."""
    return subprocess.run([sys.executable, "-m", "mysql2ddb", "--workdir", str(workdir), *args],
                          capture_output=True, text=True, timeout=180, env={**os.environ, "COLUMNS": "200"})


def approved_workspace(workdir: Path, contract: str) -> Workspace:
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(contract, workdir / "contract.json")
    ws = Workspace(workdir)
    record_approval(ws, "contract", "contract.json", "approved", None, None, current_sha256(ws, "contract"), via="test")
    return ws


def staff_items(url: str) -> list[dict]:
    client = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                          aws_access_key_id="any", aws_secret_access_key="any")
    return client.scan(TableName="Staff")["Items"]


@pytest.fixture(autouse=True)
def stopped_afterwards(workdir):
    """Whatever a test started in its workspace is stopped at its end, passed or failed."""
    yield
    local.stop(workdir)


def test_started_by_the_cli_then_migrated_verified_and_read_in_later_processes(workdir, contract, mp_dsn):
    approved_workspace(workdir, contract)
    started = cli(workdir, "local", "start", "--json")
    assert started.returncode == 0, started.stderr
    info = json.loads(started.stdout)
    assert info["running"] and info["started_now"] and info["kind"] == "moto" and info["listens_on"] == "127.0.0.1"
    record = json.loads((workdir / local.RECORD).read_text())
    assert record["pid"] == info["pid"] and record["port"] == info["port"] and record["started_at"]
    assert local.pid_alive(record["pid"])  # the CLI process has exited; the server has not

    status = cli(workdir, "status", "--json")
    assert f"127.0.0.1:{record['port']}" in json.loads(status.stdout)["local_endpoint"]

    migrated = cli(workdir, "migrate", "--dsn", mp_dsn.url(), "--endpoint-url", "embedded", "--tables", "Staff",
                   "--yes", "--json")
    assert migrated.returncode == 0, migrated.stderr
    report = json.loads(migrated.stdout)
    assert report["tables"][0]["written"] == 2 and report["verify"]["ok"]
    said = " ".join(migrated.stderr.split())  # the CLI says it at once, on stderr
    assert f"at {info['url']}" in said and "already running" in said and "local stop" in said

    verified = cli(workdir, "verify", "--dsn", mp_dsn.url(), "--endpoint-url", "embedded", "--tables", "Staff", "--json")
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["ok"]
    assert sorted(i["staff_id"]["N"] for i in staff_items(info["url"])) == ["1", "2"]

    stopped = cli(workdir, "local", "stop", "--yes", "--json")
    assert json.loads(stopped.stdout)["stopped"]
    assert not local.pid_alive(record["pid"]) and not (workdir / local.RECORD).exists()
    after = cli(workdir, "verify", "--dsn", mp_dsn.url(), "--endpoint-url", "embedded", "--tables", "Staff")
    assert after.returncode == 2 and "no local endpoint runs" in after.stderr


def test_embedded_starts_the_endpoint_and_leaves_it_running(workdir, contract, mp_dsn):
    approved_workspace(workdir, contract)
    migrated = cli(workdir, "migrate", "--dsn", mp_dsn.url(), "--endpoint-url", "embedded", "--tables", "Staff",
                   "--yes", "--json")
    assert migrated.returncode == 0, migrated.stderr
    assert "moto server at http://127.0.0.1:" in migrated.stderr and "started now" in migrated.stderr
    ep = local.running(workdir)
    assert ep is not None and ep.kind == "moto"
    assert len(staff_items(ep.url)) == 2  # the migrate process is gone; its items are not


def test_a_record_whose_process_is_gone_is_cleaned(workdir):
    gone = subprocess.Popen(["true"])
    gone.wait()
    workdir.mkdir(parents=True)
    (workdir / local.RECORD).write_text(json.dumps({
        "kind": "moto", "pid": gone.pid, "port": 9, "url": "http://127.0.0.1:9", "started_at": "2020-01-01T00:00:00+00:00",
        "listens_on": "127.0.0.1", "command": []}))
    status = cli(workdir, "local", "status", "--json")
    assert not json.loads(status.stdout)["running"] and "stale" in status.stdout
    assert (workdir / local.RECORD).exists()  # status only reads
    started = json.loads(cli(workdir, "local", "start", "--json").stdout)
    assert started["started_now"] and started["pid"] != gone.pid
    again = json.loads(cli(workdir, "local", "start", "--json").stdout)
    assert not again["started_now"] and again["pid"] == started["pid"]  # health-checked, reused
    with pytest.raises(Exception) as caught:
        local.start(workdir, "dynamodb-local")
    assert "runs already" in str(caught.value)


def test_a_server_whose_workspace_forgot_it_ends_itself(workdir):
    ep, started = local.start(workdir)
    assert started and local.pid_alive(ep.pid)
    (workdir / local.RECORD).unlink()  # e.g. the workspace deleted: nobody could find it to stop it
    deadline = time.monotonic() + 20
    while local.pid_alive(ep.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not local.pid_alive(ep.pid)


async def test_chat_migrates_into_the_local_endpoint_then_verifies_and_reads_in_later_calls(mcp_client, settings,
                                                                                           contract, mp_dsn):
    approved_workspace(settings.workdir, contract)
    res = await mcp_client.call_tool("migrate", {"dsn": mp_dsn.url(), "endpoint_url": "embedded", "tables": ["Staff"],
                                                 "confirm": True})
    report = res.structured_content
    assert report["ok"] and any("local endpoint" in n and "stop_local_endpoint" in n for n in report["notes"])
    ep = local.running(settings.workdir)
    assert ep is not None

    verified = await mcp_client.call_tool("verify_migration", {"dsn": mp_dsn.url(), "endpoint_url": "embedded",
                                                               "tables": ["Staff"]})
    assert verified.structured_content["ok"]
    status = (await mcp_client.call_tool("status", {})).structured_content
    assert ep.url in status["local_endpoint"]
    shown = (await mcp_client.call_tool("local_endpoint_status", {"table": "Staff", "limit": 1})).structured_content
    assert shown["running"] and shown["url"] == ep.url and len(shown["items"]) == 1
    assert shown["dynamodb_tables"] == [{"table": "Staff", "items": 2}]

    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("stop_local_endpoint", {})
    assert "confirm=true" in json.loads(str(caught.value))["remedy"] and local.pid_alive(ep.pid)
    preview = (await mcp_client.call_tool("stop_local_endpoint", {"dry_run": True})).structured_content
    assert preview["dry_run"] and preview["running"] and local.pid_alive(ep.pid)
    stopped = (await mcp_client.call_tool("stop_local_endpoint", {"confirm": True})).structured_content
    assert stopped["stopped"] and not local.pid_alive(ep.pid)
    assert (await mcp_client.call_tool("status", {})).structured_content["local_endpoint"] is None


async def test_dynamodb_local_needs_consent_over_mcp_and_no_jar_argument(mcp_client, settings):
    with pytest.raises(ToolError) as caught:
        await mcp_client.call_tool("start_local_endpoint", {"kind": "dynamodb-local"})
    assert "every network interface" in json.loads(str(caught.value))["why"]
    tools = {t.name: t for t in await mcp_client.list_tools()}
    assert "jar" not in tools["start_local_endpoint"].input_schema["properties"]
    assert tools["stop_local_endpoint"].annotations.destructive_hint is True
    assert tools["local_endpoint_status"].annotations.read_only_hint is True
    assert local.running(settings.workdir) is None
