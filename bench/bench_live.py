"""`make bench` (live part): lag of the binlog sync at 150 writes/s, and the cutover time after the
writes stop (issue 16: goals <= 2 s and <= 30 s on a 2-core machine).

A private MariaDB with a row binlog (tests/binlog_server.py) holds the shop schema of the live
tests (200 customers, 20,000 orders); a moto server (ours, serial) is the target. The live run
starts, the sync runs as its own process (`mysql2ddb live run`), and once it has caught up the
application writes at 150 statements a second for 30 s. Lag is measured from outside: every
0.5 s a marker order is inserted, and a poller reads DynamoDB until the marker's item is there;
lag = seen - committed. Then the writes stop and `cutover` (catch up, verify every item, stop)
is timed.

    python -m bench.bench_live [--rate 150] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

LAG_GOAL_S, CUTOVER_GOAL_S = 2.0, 30.0


def _markers(server, ddb, stop: threading.Event, lags: list[float]) -> None:
    """Insert a marker order every 0.5 s; a second thread polls DynamoDB for each until it is there."""
    outstanding: dict[int, float] = {}
    lock = threading.Lock()

    def poll() -> None:
        while not stop.is_set() or outstanding:
            with lock:
                pending = sorted(outstanding.items())
            for marker, committed in pending:
                key = {"PK": {"S": "CUSTOMER#1"}, "SK": {"S": f"ORDER#{marker}"}}
                if ddb.get_item(TableName="CustomerOrders", Key=key).get("Item"):
                    lags.append(time.monotonic() - committed)
                    with lock:
                        outstanding.pop(marker)
                elif time.monotonic() - committed > 120:
                    with lock:
                        outstanding.pop(marker)  # counted as lost below
            time.sleep(0.02)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    conn = server.connect("shop")
    with conn.cursor() as cur:
        marker = 10_000_000
        while not stop.is_set():
            marker += 1
            cur.execute("INSERT INTO orders (id, customer_id, amount, status) VALUES (%s, 1, 1, 'marker')", (marker,))
            with lock:
                outstanding[marker] = time.monotonic()
            time.sleep(0.5)
    conn.close()
    poller.join(130)


def main(argv: list[str]) -> int:
    from mysql2ddb.tools.cdc.follow import CdcState
    from mysql2ddb.tools.core.access import Caller
    from mysql2ddb.tools.core.approvals import record_approval
    from mysql2ddb.tools.core.aws import AwsClients, MotoServer
    from mysql2ddb.tools.core.settings import Settings
    from mysql2ddb.tools.modeling.gate_views import current_sha256
    from mysql2ddb.tools.usecases import live
    from mysql2ddb.tools.usecases.request import Request
    from tests.binlog_server import available, private_mariadb
    from tests.live_support import CONTRACT, Workload, load_shop

    args = argparse.ArgumentParser(prog="bench_live")
    args.add_argument("--rate", type=float, default=150.0)
    args.add_argument("--seconds", type=float, default=30.0)
    opts = args.parse_args(argv)
    if available():
        print(f"SKIP live: {available()}")
        return 0
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    work = Path(tempfile.mkdtemp(prefix="m2d-bench-live-"))
    with MotoServer() as moto, private_mariadb() as server:
        load_shop(server, customers=200, orders=20_000)
        dsn = f"{server.url}/shop"
        req = Request.of(Settings(workdir=work, dsn=dsn, aws_endpoint_url=moto.url), Caller.CLI)
        req.workspace.write_json("contract.json", CONTRACT)
        record_approval(req.workspace, "contract", "contract.json", "approved", None, None,
                        current_sha256(req.workspace, "contract"), via="bench")
        started = asyncio.run(live.start(req, confirm=True))
        root = work / "runs" / started.run_id
        env = {**os.environ, "MYSQL2DDB_DSN": dsn, "MYSQL2DDB_AWS_ENDPOINT_URL": moto.url}
        sync = subprocess.Popen([sys.executable, "-m", "mysql2ddb", "--workdir", str(work), "live", "run",
                                 started.run_id], env=env, stdout=subprocess.DEVNULL,
                                stderr=open(work / "sync.log", "ab"))
        deadline = time.monotonic() + 600
        while (state := CdcState.load(root)) is None or state.state != "following":
            if time.monotonic() > deadline or sync.poll() is not None:
                print("FAIL live: the sync did not start following (see", work / "sync.log", ")")
                return 1
            time.sleep(0.2)
        ddb = AwsClients(endpoint_url=moto.url).client("dynamodb")
        app, stop, lags = Workload(server, seed=11, customers=200, orders=20_000, rate=opts.rate,
                                  mix=Workload.TYPICAL), threading.Event(), []
        poller = threading.Thread(target=_markers, args=(server, ddb, stop, lags), daemon=True)
        app.start()
        poller.start()
        time.sleep(opts.seconds)
        app.stop_now.set()
        app.join()
        stop.set()
        poller.join()
        began = time.monotonic()
        report = asyncio.run(live.cutover(req, started.run_id, timeout=300, confirm=True))
        cut_s = time.monotonic() - began
        sync.wait(30)
    writes = sum(app.done.values())
    p50 = statistics.median(lags) if lags else float("inf")
    p95 = sorted(lags)[int(0.95 * (len(lags) - 1))] if lags else float("inf")
    ok_lag, ok_cut = p95 <= LAG_GOAL_S, cut_s <= CUTOVER_GOAL_S and report.verified
    print(f"live: {writes:,} writes in {opts.seconds:.0f} s ({writes / opts.seconds:.0f}/s), {len(lags)} markers; "
          f"lag p50 {p50:.2f} s, p95 {p95:.2f} s, max {max(lags, default=float('inf')):.2f} s "
          f"(goal p95 <= {LAG_GOAL_S} s): {'PASS' if ok_lag else 'FAIL'}")
    print(f"live: cutover after the writes stopped {cut_s:.1f} s (catch up {report.catch_up_seconds:.1f} s, verify "
          f"{report.verify_seconds:.1f} s), verified {report.verified} "
          f"(goal <= {CUTOVER_GOAL_S:.0f} s): {'PASS' if ok_cut else 'FAIL'}")
    return 0 if ok_lag and ok_cut else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
