"""Throttling is back-pressure, not failure: copies into a capacity-limited DynamoDB stand-in
(bench/capacity_standin.py: token buckets per table, per partition and per GSI, answering with
UnprocessedItems and 400 ProvisionedThroughputExceededException as DynamoDB does, items kept in
the moto server behind it) finish with nothing lost, their stats and the migration report show
the throttles and the consumed write units, and a table that takes nothing ends, after the stall
timeout, in an error that names the run to resume, which then resumes to the end. No assertion
on speed: the benchmark (bench/bench_throttle.py) measures that."""

from __future__ import annotations

import asyncio
import os

import pytest

from mysql2ddb.bench.capacity_standin import CapacityStandin, Limits
from mysql2ddb.tests.copy_support import count_items, create_ddb_table
from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.core.db import Dsn, sync_connection
from mysql2ddb.tools.core.errors import ThrottledError
from mysql2ddb.tools.execution.copy_engine import CopyOptions, copy_tables
from mysql2ddb.tools.execution.rate_control import Capacity, RateController, capacity_from_description
from mysql2ddb.tools.execution.report import MigrationReport
from mysql2ddb.tools.execution.rundir import RunDir

MYSQL_URL = os.environ.get("MYSQL2DDB_TEST_MYSQL", "mysql://root@127.0.0.1:3306")
DATABASE = "m2d_throttle_test"
ROWS = 2_400
ACCOUNTS = 60  # the collections table: 60 partition keys of 40 items each, written in key order
TIGHT = Limits(table_wcu=800, partition_wcu=200, partitions=4, burst_s=0.5, delay_s=0.002)
QUICK = dict(backoff_base_s=0.01, backoff_cap_s=0.25, checkpoint_ms=100)
_DDL = [
    "CREATE TABLE IF NOT EXISTS events (id INT PRIMARY KEY, account INT NOT NULL, amount DECIMAL(10,2) NOT NULL,"
    " note VARCHAR(200) NOT NULL)",
    f"INSERT IGNORE INTO events SELECT seq, seq % {ACCOUNTS}, seq / 7, REPEAT('x', 100 + seq % 90)"
    f" FROM seq_1_to_{ROWS}",
    "CREATE OR REPLACE VIEW ddb_flat_view AS SELECT id, account, amount, note FROM events",
    "CREATE OR REPLACE VIEW ddb_coll_view AS SELECT account, id, amount, note FROM events",
    "CREATE OR REPLACE VIEW ddb_indexed_view AS SELECT id, account, amount, note FROM events WHERE id <= 600",
]
_COLUMNS = {
    "id": {"name": "id", "ddb_type": "N", "mysql_type": "int", "column_type": "int(11)"},
    "account": {"name": "account", "ddb_type": "N", "mysql_type": "int", "column_type": "int(11)"},
    "amount": {"name": "amount", "ddb_type": "N", "mysql_type": "decimal", "column_type": "decimal(10,2)"},
    "note": {"name": "note", "ddb_type": "S", "mysql_type": "varchar", "column_type": "varchar(200)"},
}
FLAT = {"table": "TtFlat", "view": "ddb_flat_view", "pk": "id", "sk": None,
        "columns": [_COLUMNS[c] for c in ("id", "account", "amount", "note")]}
COLLECTIONS = {"table": "TtCollections", "view": "ddb_coll_view", "pk": "account", "sk": "id",
               "columns": [_COLUMNS[c] for c in ("account", "id", "amount", "note")]}
INDEXED = {**FLAT, "table": "TtIndexed", "view": "ddb_indexed_view"}


@pytest.fixture(scope="module")
def tt_dsn() -> Dsn:
    server = Dsn.parse(f"{MYSQL_URL}/mysql")
    with sync_connection(server.with_database(""), where="create test database") as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {DATABASE} CHARACTER SET utf8mb4")
    dsn = server.with_database(DATABASE)
    with sync_connection(dsn, where="create test tables") as conn, conn.cursor() as cur:
        for statement in _DDL:
            cur.execute(statement)
    return dsn


def _through(standin: CapacityStandin) -> AwsClients:
    return AwsClients(region="us-east-1", endpoint_url=standin.url)


async def test_flat_keys_and_item_collections_finish_under_tight_capacity(aws, moto_server, tt_dsn, tmp_path):
    for spec in (FLAT, COLLECTIONS):
        create_ddb_table(aws, spec)
    run = RunDir.create(tmp_path, {"tables": []})
    with CapacityStandin(moto_server.url, TIGHT) as standin:
        stats = await copy_tables({"TtFlat": FLAT, "TtCollections": COLLECTIONS}, tt_dsn, _through(standin), run,
                                  options=CopyOptions(**QUICK))
        seen = {t: standin.stats(t) for t in ("TtFlat", "TtCollections")}
    for s in stats:
        assert (s.read, s.written, s.rejected) == (ROWS, ROWS, 0), s.table
        assert count_items(aws, s.table) == ROWS  # nothing lost: every item is in the table behind the stand-in
        assert seen[s.table]["distinct"] == ROWS
        assert s.capacity_wcu_per_s == 800 and "warm throughput 800/s" in s.capacity
        assert s.consumed_wcu == seen[s.table]["units"] >= ROWS  # what DynamoDB said it consumed
        assert s.throttled == seen[s.table]["throttled_items"] and s.retried >= seen[s.table]["throttled_requests"]
        assert s.requests >= ROWS / 25 and s.p50_ms is not None and s.p99_ms >= s.p50_ms and s.errors == 0
        assert run.load_state(s.table).done
    assert sum(s.throttled for s in stats) > 0  # the limits were felt, and were no failure

    report = MigrationReport(run_id=run.run_id)
    report.set_tables(stats)
    throughput = next(t for t in report.tables() if t.title == "Throughput")
    assert {row[0] for row in throughput.rows} >= {"TtFlat", "TtCollections"}
    assert report.total.throttled == sum(s.throttled for s in stats)
    assert report.total.consumed_wcu == pytest.approx(sum(s.consumed_wcu for s in stats), abs=1)
    assert "throttled" in report.summary() and "WCU/s" in report.summary()


async def test_a_gsi_with_less_capacity_paces_its_table(aws, moto_server, tt_dsn, tmp_path):
    client = aws.client("dynamodb")
    client.create_table(
        TableName="TtIndexed", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"},
                              {"AttributeName": "account", "AttributeType": "N"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_account", "Projection": {"ProjectionType": "KEYS_ONLY"},
                                 "KeySchema": [{"AttributeName": "account", "KeyType": "HASH"}]}])
    run = RunDir.create(tmp_path, {"tables": []})
    limits = Limits(table_wcu=800, partition_wcu=400, index_wcu=200, burst_s=0.5, delay_s=0.002)
    with CapacityStandin(moto_server.url, limits) as standin:
        (s,) = await copy_tables({"TtIndexed": INDEXED}, tt_dsn, _through(standin), run, options=CopyOptions(**QUICK))
        seen = standin.stats("TtIndexed")
    assert (s.read, s.written) == (600, 600) and count_items(aws, "TtIndexed") == 600
    assert "by_account 200/s" in s.capacity
    assert s.index_wcu == {"by_account": 600.0} == seen["index_units"]  # every index write counted
    assert s.throttled == seen["throttled_items"]


async def test_a_table_that_takes_nothing_stops_resumably_after_the_stall_timeout(aws, moto_server, tt_dsn,
                                                                                  tmp_path):
    create_ddb_table(aws, FLAT)
    run = RunDir.create(tmp_path, {"tables": []})
    with CapacityStandin(moto_server.url, TIGHT) as standin:
        standin.set_limits(table_wcu=0)
        with pytest.raises(ThrottledError) as info:
            await asyncio.wait_for(copy_tables({"TtFlat": FLAT}, tt_dsn, _through(standin), run,
                                               options=CopyOptions(stall_timeout_s=1.5, **QUICK)), timeout=60)
        error = info.value
        assert "no write into TtFlat succeeded" in error.why and "throttled" in error.why
        assert f"--resume {run.run_id}" in error.remedy and "stall_timeout_s" in error.remedy
        stopped = run.load_state("TtFlat")
        assert stopped is not None and not stopped.done and stopped.written == 0

        standin.set_limits(table_wcu=800)
        (s,) = await copy_tables({"TtFlat": FLAT}, tt_dsn, _through(standin), RunDir.open(tmp_path, run.run_id),
                                 options=CopyOptions(**QUICK))
    assert (s.read, s.written) == (ROWS, ROWS) and count_items(aws, "TtFlat") == ROWS
    assert run.load_state("TtFlat").runs == 2


def test_capacity_comes_from_describe_table():
    on_demand = capacity_from_description({"TableName": "T", "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
                                           "ProvisionedThroughput": {"WriteCapacityUnits": 0}})
    assert (on_demand.mode, on_demand.write_units_per_s) == ("on-demand", 4_000)
    warm = capacity_from_description({"TableName": "T", "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
                                      "WarmThroughput": {"WriteUnitsPerSecond": 12_000},
                                      "OnDemandThroughput": {"MaxWriteRequestUnits": 10_000}})
    assert warm.write_units_per_s == 10_000 and "OnDemandThroughput" in warm.source
    provisioned = capacity_from_description({
        "TableName": "T", "ProvisionedThroughput": {"WriteCapacityUnits": 50},
        "GlobalSecondaryIndexes": [{"IndexName": "g", "ProvisionedThroughput": {"WriteCapacityUnits": 10},
                                    "Projection": {"ProjectionType": "ALL"}}]})
    assert (provisioned.mode, provisioned.write_units_per_s, provisioned.indexes) == ("provisioned", 50, {"g": 10})


class _Job:
    def __init__(self, sent: int):
        self.sent, self.body, self.units = sent, b"x" * 200 * sent, 0.0


def test_the_controller_backs_off_on_throttles_and_probes_upward_without():
    now = [0.0]
    ctl = RateController(Capacity(table="T", mode="on-demand", write_units_per_s=1_000), clock=lambda: now[0])
    assert ctl.rate == 1_000 and ctl.reserve(_Job(60)) == 0.0  # more than the burst: it may go, the next waits
    waited = ctl.reserve(_Job(25))
    assert waited > 0  # the bucket is spent: the pacer waits
    job = _Job(25)
    now[0] += 0.3
    ctl.reserve(job)
    ctl.answered(job, 5, 20, (5.0, {}))  # 80% throttled: the rate drops to what was served
    assert ctl.rate == 500 and ctl.decreases == 1 and not ctl.slow_start
    for _ in range(4):  # no throttles while the pacer is the limit: additive increase
        now[0] += 0.3
        ctl.reserve(_Job(10_000))
        ctl.reserve(_Job(1))
        done = _Job(1)
        ctl.answered(done, 1, 0, None)
    assert ctl.rate == pytest.approx(500 + 4 * 50)
    floor = RateController(Capacity(table="T", mode="on-demand", write_units_per_s=1_000), clock=lambda: now[0])
    for _ in range(20):
        now[0] += 0.3
        floor.throttled(_Job(25))
    assert floor.rate == 250  # never below a quarter of the stated capacity
