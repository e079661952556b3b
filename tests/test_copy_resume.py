"""A copy killed with SIGKILL in the middle and resumed with the same run id ends with the same
items, each source row counted once (read, written, rejected), no reject line twice, and matching
checksums. The child copies through the fault proxy, slowed down so it can be killed mid-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from mysql2ddb.tests.copy_support import (
    RESUME_REJECTS, RESUME_ROWS, RESUME_SPEC, checksum, create_ddb_table, expected_items, scan_items,
)
from mysql2ddb.tests.fault_proxy import FaultProxy
from mysql2ddb.tests.test_copy_engine import ce_dsn  # noqa: F401 - the session fixture
from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.execution.copy_engine import CopyOptions, copy_tables
from mysql2ddb.tools.execution.rundir import RunDir

CHILD = """
import asyncio, sys
from mysql2ddb.tests.copy_support import RESUME_SPEC
from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.core.db import Dsn
from mysql2ddb.tools.execution.copy_engine import CopyOptions, copy_tables
from mysql2ddb.tools.execution.rundir import RunDir

root, run_id, dsn, url = sys.argv[1:5]
asyncio.run(copy_tables({"CeResume": RESUME_SPEC}, Dsn.parse(dsn), AwsClients(endpoint_url=url), RunDir.open(root, run_id),
                        options=CopyOptions(concurrency=2, checkpoint_ms=20, backoff_base_s=0.002)))
"""


async def test_sigkill_mid_copy_then_resume_is_exact(aws, moto_server, ce_dsn, tmp_path):  # noqa: F811
    create_ddb_table(aws, RESUME_SPEC)
    run = RunDir.create(tmp_path, {"tables": []})
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    with FaultProxy(moto_server.url, delay_s=0.05, throttle=0.05, partial=0.1) as proxy:
        child = subprocess.Popen([sys.executable, str(script), str(tmp_path), run.run_id, ce_dsn.url(), proxy.url],
                                 env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
        deadline = time.monotonic() + 60
        state = None
        while time.monotonic() < deadline and child.poll() is None:
            state = run.load_state("CeResume")
            if state is not None and state.rows >= 1000:
                break
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        killed = run.load_state("CeResume")
        assert killed is not None and not killed.done and 1000 <= killed.rows < RESUME_ROWS
        assert killed.written <= killed.rows and proxy.counts.forwarded_puts >= killed.written
        lines = run.reject_path("CeResume").read_bytes()
        assert lines[:killed.reject_bytes].count(b"\n") == killed.rejected

        proxy.set_rates(throttle=0.05, partial=0.1)
        (s,) = await copy_tables({"CeResume": RESUME_SPEC}, ce_dsn, AwsClients(endpoint_url=proxy.url),
                                 RunDir.open(tmp_path, run.run_id),
                                 options=CopyOptions(backoff_base_s=0.002, backoff_cap_s=0.02))
    expected, rejected = expected_items(ce_dsn, RESUME_SPEC)
    assert rejected == RESUME_REJECTS
    assert (s.read, s.written, s.rejected) == (RESUME_ROWS, RESUME_ROWS - RESUME_REJECTS, RESUME_REJECTS)
    got = scan_items(aws, "CeResume")
    assert len(got) == len(expected) and checksum(got) == checksum(expected)
    rejects = run.read_rejects("CeResume")
    assert len(rejects) == RESUME_REJECTS and len({r["row"]["id"] for r in rejects}) == RESUME_REJECTS
    assert all("significant digits" in r["reason"] for r in rejects)
    final = run.load_state("CeResume")
    assert final.done and final.runs == 2 and final.retried >= s.retried - proxy.counts.faults
