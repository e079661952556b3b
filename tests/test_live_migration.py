"""Live migration end to end on a private MariaDB with a row binlog: a write workload runs during
the copy and during the sync (inserts, updates, deletes, renames of a denormalized attribute, key
changes that move orders between customers' item collections, multi-row transactions, rollbacks);
the sync is SIGKILLed in the middle and resumed; more writes; then the cutover verifies that
DynamoDB equals what the contract makes of MySQL, item by item."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
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

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))

CUSTOMERS, ORDERS = 60, 1500


def _attr(name: str, type_: str, table: str, column: str, **extra) -> dict:
    return {"name": name, "type": type_, "source_table": table, "source_column": column, **extra}


CONTRACT = {"tables": [
    {"table": "Customers", "type": "single-entity", "source_table": "customer", "pk": "customer_id",
     "satisfies": ["a customer by id"], "estimated_item_size_bytes": 60,
     "attributes": [_attr("customer_id", "N", "customer", "id"), _attr("name", "S", "customer", "name")]},
    {"table": "CustomerOrders", "type": "multi-entity", "source_table": "customer", "pk": "PK", "sk": "SK",
     "satisfies": ["a customer's orders"], "estimated_item_size_bytes": 120,
     "attributes": [], "entities": [
         {"entity_type": "CUSTOMER", "source_table": "customer", "pk_template": "CUSTOMER#{customer_id}",
          "sk_template": "PROFILE", "attributes": [_attr("customer_id", "N", "customer", "id"),
                                                   _attr("name", "S", "customer", "name")]},
         {"entity_type": "ORDER", "source_table": "orders", "pk_template": "CUSTOMER#{customer_id}",
          "sk_template": "ORDER#{order_id}", "attributes": [
              _attr("customer_id", "N", "orders", "customer_id"), _attr("order_id", "N", "orders", "id"),
              _attr("amount", "N", "orders", "amount"), _attr("status", "S", "orders", "status"),
              _attr("customer_name", "S", "orders", "customer_id", denormalized=True, join={
                  "type": "foreign-key", "target_table": "customer",
                  "join_condition": "customer.id = orders.customer_id", "select_column": "customer.name"})]}]},
]}


class Workload(threading.Thread):
    """The application: random writes until stopped; counts what it did."""

    def __init__(self, server, seed: int):
        super().__init__(daemon=True)
        self.server, self.rng, self.stop_now, self.done = server, random.Random(seed), threading.Event(), {}
        self.next_order = ORDERS + 1

    def _count(self, what: str) -> None:
        self.done[what] = self.done.get(what, 0) + 1

    def step(self, cur) -> None:
        r, cid = self.rng.random(), self.rng.randint(1, CUSTOMERS)
        if r < 0.25:
            cur.execute("INSERT INTO orders (id, customer_id, amount, status) VALUES (%s, %s, %s, 'new')",
                        (self.next_order, cid, self.rng.randint(1, 999)))
            self.next_order += 1
            self._count("insert")
        elif r < 0.45:
            cur.execute("UPDATE orders SET status = 'paid', amount = amount + 1 WHERE id = %s",
                        (self.rng.randint(1, self.next_order),))
            self._count("update")
        elif r < 0.55:
            cur.execute("DELETE FROM orders WHERE id = %s", (self.rng.randint(1, self.next_order),))
            self._count("delete")
        elif r < 0.65:
            cur.execute("UPDATE customer SET name = %s WHERE id = %s", (f"renamed-{self.rng.randint(1, 10**6)}", cid))
            self._count("rename")
        elif r < 0.75:
            cur.execute("UPDATE orders SET customer_id = %s WHERE id = %s", (cid, self.rng.randint(1, self.next_order)))
            self._count("move")
        elif r < 0.9:
            cur.execute("BEGIN")
            for _ in range(3):
                cur.execute("INSERT INTO orders (id, customer_id, amount, status) VALUES (%s, %s, 5, 'batch')",
                            (self.next_order, cid))
                self.next_order += 1
            cur.execute("UPDATE customer SET name = CONCAT(name, '+') WHERE id = %s", (cid,))
            cur.execute("COMMIT")
            self._count("transaction")
        else:
            cur.execute("BEGIN")
            cur.execute("DELETE FROM orders WHERE customer_id = %s", (cid,))
            cur.execute("UPDATE customer SET name = 'never' WHERE id = %s", (cid,))
            cur.execute("ROLLBACK")
            self._count("rollback")

    def run(self) -> None:
        conn = self.server.connect("shop")
        with conn.cursor() as cur:
            while not self.stop_now.is_set():
                self.step(cur)
                time.sleep(0.004)
        conn.close()


def _load(server) -> None:
    conn = server.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE DATABASE shop")
        cur.execute("CREATE TABLE shop.customer (id INT PRIMARY KEY, name VARCHAR(60) NOT NULL)")
        cur.execute("CREATE TABLE shop.orders (id INT PRIMARY KEY, customer_id INT NOT NULL, "
                    "amount DECIMAL(10,2) NOT NULL, status VARCHAR(10) NOT NULL)")
        cur.executemany("INSERT INTO shop.customer VALUES (%s, %s)", [(i, f"customer {i}") for i in range(1, CUSTOMERS + 1)])
        cur.executemany("INSERT INTO shop.orders VALUES (%s, %s, %s, 'new')",
                        [(i, 1 + i % CUSTOMERS, i % 500 + 0.5) for i in range(1, ORDERS + 1)])
    conn.close()


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
        _load(server)
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
