"""Live migration over MCP: `start_cdc` returns at once with its run id while a process owned by the
workspace copies and follows the binlog; it outlives the call and the client (a second client sees
it in `status`); killed, `status` says so and `resume_cdc` continues it from its checkpoint (one
process per run); `cutover` finishes it with proof. A source that fails the preflight is refused
with every remedy and nothing is written."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from fastmcp import Client
from fastmcp.exceptions import ToolError

from mysql2ddb.server.app import create_server
from mysql2ddb.tools.cdc.follow import CdcState
from mysql2ddb.tools.core.approvals import record_approval
from mysql2ddb.tools.core.settings import Settings
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.modeling.gate_views import current_sha256
from mysql2ddb.tools.usecases.live import sync_alive
from tests.binlog_server import available, private_mariadb
from tests.live_support import CONTRACT, load_shop

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))


def _approved_workspace(work) -> None:
    ws = Workspace(work)
    ws.write_json("contract.json", CONTRACT)
    record_approval(ws, "contract", "contract.json", "approved", None, None, current_sha256(ws, "contract"), via="test")


async def test_start_cdc_runs_in_the_background_and_cutover_finishes_it(tmp_path, moto_server, monkeypatch):
    moto_server.reset()
    work = tmp_path / "work"
    _approved_workspace(work)
    with private_mariadb() as server:
        load_shop(server, customers=20, orders=200)
        dsn = f"{server.url}/shop"
        for name, value in (("MYSQL2DDB_DSN", dsn), ("MYSQL2DDB_AWS_ENDPOINT_URL", moto_server.url),
                            ("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
            monkeypatch.setenv(name, value)  # the background process gets the server's environment
        settings = Settings(workdir=work, dsn=dsn, aws_endpoint_url=moto_server.url)
        async with Client(create_server(settings)) as chat:
            with pytest.raises(ToolError, match="confirm"):
                await chat.call_tool("start_cdc", {})
            began = time.monotonic()
            started = (await chat.call_tool("start_cdc", {"confirm": True})).structured_content
            assert time.monotonic() - began < 30 and started["background_pid"]
        run_root = work / "runs" / started["run_id"]
        deadline = time.monotonic() + 120
        while (CdcState.load(run_root) or CdcState(start=started["start"], position=started["start"])).state != "following":
            assert time.monotonic() < deadline, (run_root / "cdc.log").read_text()[-3000:]
            time.sleep(0.2)
        conn = server.connect("shop")
        with conn.cursor() as cur:
            cur.execute("UPDATE customer SET name = 'after the copy' WHERE id = 3")
            cur.execute("DELETE FROM orders WHERE id = 5")
        conn.close()
        async with Client(create_server(settings)) as later:  # the client restarted: the sync did not
            status = (await later.call_tool("status", {})).structured_content
            assert status["runs"][-1]["state"].startswith("live: following"), status["runs"]
            step = next(s for s in status["steps"] if s["name"] == "migration verified")
            assert step["tool"].startswith(f"cutover(run_id='{started['run_id']}'")
            with pytest.raises(ToolError, match="is running"):  # one sync per run
                await later.call_tool("resume_cdc", {"run_id": started["run_id"], "confirm": True})
            os.kill(CdcState.load(run_root).pid, signal.SIGKILL)  # the machine went down, say
            conn = server.connect("shop")
            with conn.cursor() as cur:
                cur.execute("UPDATE customer SET name = 'while it was down' WHERE id = 4")
            conn.close()
            deadline = time.monotonic() + 10
            while sync_alive(CdcState.load(run_root)):  # the kill lands
                assert time.monotonic() < deadline
                time.sleep(0.05)
            status = (await later.call_tool("status", {})).structured_content
            assert status["runs"][-1]["state"].startswith("live: not running"), status["runs"]
            step = next(s for s in status["steps"] if s["name"] == "migration verified")
            assert step["tool"].startswith(f"resume_cdc(run_id='{started['run_id']}'")
            with pytest.raises(ToolError, match="confirm"):
                await later.call_tool("resume_cdc", {"run_id": started["run_id"]})
            resumed = (await later.call_tool("resume_cdc", {"run_id": started["run_id"], "confirm": True}))
            assert resumed.structured_content["background_pid"] != started["background_pid"]
            with pytest.raises(ToolError, match="confirm"):
                await later.call_tool("cutover", {})
            report = (await later.call_tool("cutover", {"confirm": True, "timeout": 120})).structured_content
    assert report["verified"], json.dumps(report["verify"], default=str)[:2000]
    assert report["applied_changes"] >= 3


async def test_a_source_without_a_row_binlog_is_refused_with_every_remedy(tmp_path):
    work = tmp_path / "work"
    _approved_workspace(work)
    with private_mariadb(binlog=("--server-id=9",)) as server:
        load_shop(server, customers=3, orders=5)
        settings = Settings(workdir=work, dsn=f"{server.url}/shop")
        async with Client(create_server(settings)) as chat:
            with pytest.raises(ToolError) as info:
                await chat.call_tool("start_cdc", {"confirm": True, "endpoint_url": "embedded"})
    error = json.loads(str(info.value))
    assert "binary log" in error["why"] and "log-bin" in error["remedy"]
    assert "REPLICATION SLAVE" not in error["why"]  # root has every privilege: only the real failures are named
    assert not (work / "runs").exists()
