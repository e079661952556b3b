"""Live migration end to end on a private MariaDB with a row binlog: a write workload runs during
the copy and during the sync (inserts, updates, deletes, renames of a denormalized attribute, key
changes that move orders between customers' item collections, multi-row transactions, rollbacks);
the sync is SIGKILLed in the middle and resumed; more writes; then the cutover verifies that
DynamoDB equals what the contract makes of MySQL, item by item."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from mysql2ddb.tools.cdc.follow import CdcState
from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.approvals import record_approval
from mysql2ddb.tools.core.settings import Settings
from mysql2ddb.tools.modeling.gate_views import current_sha256
from mysql2ddb.tools.usecases import live
from mysql2ddb.tools.usecases.request import Request
from tests.binlog_server import available, private_mariadb
from tests.live_support import CONTRACT, Workload, load_shop

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))

def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _sync(work, env, run_id):
    return subprocess.Popen([sys.executable, "-m", "mysql2ddb", "--workdir", str(work), "live", "run", run_id],
                            env=env, stdout=subprocess.DEVNULL, stderr=open(work / "sync.log", "ab"))


def test_live_migration_survives_a_kill_and_cuts_over_exactly(tmp_path, moto_server):
    moto_server.reset()
    work = tmp_path / "work"
    work.mkdir()
    with private_mariadb() as server:
        load_shop(server)
        dsn = f"{server.url}/shop"
        settings = Settings(workdir=work, dsn=dsn, aws_endpoint_url=moto_server.url)
        req = Request.of(settings, Caller.CLI)
        req.workspace.write_json("contract.json", CONTRACT)
        record_approval(req.workspace, "contract", "contract.json", "approved", None, None,
                        current_sha256(req.workspace, "contract"), via="test")
        started = asyncio.run(live.start(req, confirm=True))
        run_root = work / "runs" / started.run_id
        env = {**os.environ, "MYSQL2DDB_DSN": dsn, "MYSQL2DDB_AWS_ENDPOINT_URL": moto_server.url,
               "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        app = Workload(server, seed=7)
        app.start()  # writes during the copy
        sync = _sync(work, env, started.run_id)
        _wait(lambda: (s := CdcState.load(run_root)) is not None and s.applied_changes > 100, 120, "the sync")
        os.kill(sync.pid, signal.SIGKILL)  # mid-stream, at any moment
        sync.wait()
        time.sleep(0.5)
        sync = _sync(work, env, started.run_id)  # resume from the checkpoint
        first = CdcState.load(run_root).applied_changes
        _wait(lambda: CdcState.load(run_root).applied_changes > first + 100, 120, "the resumed sync")
        app.stop_now.set()
        app.join()
        report = asyncio.run(live.cutover(req, started.run_id, timeout=120, confirm=True))
        sync.wait(30)
    assert report.verified, json.dumps(report.verify, default=str)[:3000]
    assert set(app.done) >= {"insert", "update", "delete", "rename", "move", "transaction", "rollback"}, app.done
    assert report.deletes > 0 and report.puts > 0
    assert CdcState.load(run_root).state in ("caught-up", "stopped")
    from mysql2ddb.tools.usecases.workflow import workflow_status

    status = workflow_status(req.workspace)
    assert status.runs[-1]["state"] == "verified (cut over)"
    assert next(s for s in status.steps if s.name == "migration verified").state == "done"
