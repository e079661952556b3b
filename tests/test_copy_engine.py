"""The copy engine against real MariaDB and a real moto server, through a fault-injecting proxy:
zero loss, every retry counted, bad rows rejected with their reason while the run goes on, and the
pieces that make it fast checked against their slow references (PyMySQL's row decoding,
botocore's SigV4 signer)."""

from __future__ import annotations

import asyncio
import base64
import calendar
import datetime as dt
import json
import os
import time
from decimal import Decimal

import pymysql
import pymysql.cursors
import pytest

from mysql2ddb.tools.core.errors import ConflictError, InputError, NotFoundError
from mysql2ddb.tests.copy_support import (
    NULL_EVERY, ORDERS_ROWS, ORDERS_SPEC, PEOPLE_SPEC, SMALL_NULLS, SMALL_ROWS, SMALL_SPEC, checksum,
    count_items, create_ddb_table, ensure_source, expected_items, scan_items,
)
from mysql2ddb.tests.fault_proxy import FaultProxy
from mysql2ddb.tools.usecases import corpora
from mysql2ddb.tools.contract.catalog import read_catalog_sync
from mysql2ddb.tools.contract.load import load_contract
from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.core.db import Dsn, sync_connection
from mysql2ddb.tools.execution.checkpoint import decode_key, encode_key
from mysql2ddb.tools.execution.copy_engine import CopyOptions, copy_tables, resolve_options
from mysql2ddb.tools.execution.ddb_http import probe_moto
from mysql2ddb.tools.execution.http11 import HttpError, HttpPool
from mysql2ddb.tools.execution.rundir import RunDir
from mysql2ddb.tools.execution.sigv4 import FastSigner, botocore_headers
from mysql2ddb.tools.execution.source_stream import FastRows, key_order, stream_query
from mysql2ddb.tools.execution.spec import contract_specs
from mysql2ddb.tools.execution.views import apply_views

MYSQL_URL = os.environ.get("MYSQL2DDB_TEST_MYSQL", "mysql://root@127.0.0.1:3306")
QUICK = dict(backoff_base_s=0.002, backoff_cap_s=0.02, checkpoint_ms=100)


@pytest.fixture(scope="session")
def ce_dsn() -> Dsn:
    return ensure_source(Dsn.parse(f"{MYSQL_URL}/mysql"))


def _stream(dsn: Dsn, view: str, keys, after=None) -> list[tuple]:
    text, params = stream_query(view, keys, after)
    with sync_connection(dsn, cursorclass=pymysql.cursors.SSCursor) as conn:
        cur = conn.cursor()
        cur.execute(text, params or None)
        reader = FastRows(cur)
        return [row for rows in reader.chunks() for row in rows]


# ---- the copy ---------------------------------------------------------------------------------

async def test_copy_through_faults_loses_nothing_and_counts_every_retry(aws, moto_server, ce_dsn, tmp_path):
    create_ddb_table(aws, SMALL_SPEC)
    run = RunDir.create(tmp_path, {"tables": []})
    with FaultProxy(moto_server.url, throttle=0.1, partial=0.15, drop=0.08) as proxy:
        stats = await copy_tables({"CeSmall": SMALL_SPEC}, ce_dsn, AwsClients(endpoint_url=proxy.url), run,
                                  options=CopyOptions(concurrency=16, **QUICK))
    expected, rejected = expected_items(ce_dsn, SMALL_SPEC)
    got = scan_items(aws, "CeSmall")
    assert len(got) == len(expected) == SMALL_ROWS - SMALL_NULLS
    assert checksum(got) == checksum(expected)
    (s,) = stats
    assert (s.table, s.read, s.written, s.rejected) == ("CeSmall", SMALL_ROWS, len(expected), rejected)
    counts = proxy.counts
    assert counts.throttled and counts.partial and counts.dropped and counts.dropped_after_forward
    assert s.retried == counts.faults  # each injected fault was retried once, and counted
    state = run.load_state("CeSmall")
    assert state.done and state.rows == SMALL_ROWS and state.retried == s.retried


async def test_aiohttp_transport_and_botocore_signer_behave_the_same(aws, moto_server, ce_dsn, tmp_path):
    create_ddb_table(aws, PEOPLE_SPEC)
    run = RunDir.create(tmp_path, {"tables": []})
    with FaultProxy(moto_server.url, throttle=0.2, partial=0.2, drop=0.2, seed=3) as proxy:
        (s,) = await copy_tables({"CePeople": PEOPLE_SPEC}, ce_dsn, AwsClients(endpoint_url=proxy.url), run,
                                 options=CopyOptions(batch_size=2, transport="aiohttp", signer="botocore", **QUICK))
    expected, _ = expected_items(ce_dsn, PEOPLE_SPEC)
    assert checksum(scan_items(aws, "CePeople")) == checksum(expected)
    assert (s.read, s.written, s.rejected, s.retried) == (14, 12, 2, proxy.counts.faults)


async def test_bad_rows_go_to_the_reject_file_with_their_reason(aws, ce_dsn, tmp_path):
    create_ddb_table(aws, SMALL_SPEC)
    run = RunDir.create(tmp_path, {"tables": []})
    stats = await copy_tables({"CeSmall": SMALL_SPEC}, ce_dsn, aws, run, options=CopyOptions(**QUICK))
    rejects = run.read_rejects("CeSmall")
    assert len(rejects) == stats[0].rejected == SMALL_NULLS == ORDERS_ROWS // NULL_EVERY
    assert all("NULL" in r["reason"] and r["row"]["id"] is None and r["key"] == [None] for r in rejects)
    assert {r["row"]["qty"] for r in rejects} == {n * NULL_EVERY % 1000 - 500 for n in range(1, 21)}
    assert {"qty": 497, "amount": "368.89", "created_at": "2020-01-01T03:36:01.250000", "status": "paid",
            "note": "note 997 ünïcødé", "id": None, "customer_id": 95243} in [r["row"] for r in rejects]
    assert stats[0].written == count_items(aws, "CeSmall") == SMALL_ROWS - len(rejects)


async def test_tables_in_parallel_string_keys_in_byte_order_duplicates_rejected(aws, ce_dsn, tmp_path):
    names_spec = {**PEOPLE_SPEC, "table": "CeNames", "sk": None}  # `name` alone is not unique in the view
    for spec in (PEOPLE_SPEC, names_spec):
        create_ddb_table(aws, spec)
    run = RunDir.create(tmp_path, {"tables": []})
    progress = _Recorder()
    stats = await copy_tables({"CePeople": PEOPLE_SPEC, "CeNames": names_spec}, ce_dsn, aws, run,
                              options=CopyOptions(batch_size=2, **QUICK), progress=progress)
    people, names = stats
    assert (people.read, people.written, people.rejected) == (14, 12, 2)  # bob/Bob with a NULL sort key
    expected, _ = expected_items(ce_dsn, PEOPLE_SPEC)
    assert checksum(scan_items(aws, "CePeople")) == checksum(expected)
    assert {item["name"]["S"] for item in scan_items(aws, "CeNames")} == {
        "alice", "Alice", "alice ", "ALICE", "bob", "Bob", "çedille", "zoë", "Zoe", "émile"}
    assert (names.read, names.written, names.rejected) == (14, 10, 4)  # DynamoDB refuses a key twice a batch
    assert all(r["reason"].startswith("duplicate key") for r in run.read_rejects("CeNames"))
    assert {"copy CeNames", "copy CePeople"} <= set(progress.tasks)
    assert progress.last["copy CePeople"][:2] == (14, 14)


async def test_a_missing_table_stops_the_copy_with_a_remedy_and_keeps_the_state(aws, ce_dsn, tmp_path):
    run = RunDir.create(tmp_path, {"tables": []})
    with pytest.raises(NotFoundError) as info:
        await copy_tables({"CeOrders": ORDERS_SPEC}, ce_dsn, aws, run, options=CopyOptions(**QUICK))
    assert "ResourceNotFoundException" in info.value.why and "create the table" in info.value.remedy
    state = run.load_state("CeOrders")
    assert state is not None and not state.done and state.written == 0


async def test_an_unreachable_endpoint_fails_after_bounded_retries(ce_dsn, tmp_path):
    from mysql2ddb.tools.core.errors import AwsError

    run = RunDir.create(tmp_path, {"tables": []})
    with pytest.raises(AwsError) as info:
        await copy_tables({"CePeople": PEOPLE_SPEC}, ce_dsn, AwsClients(endpoint_url="http://127.0.0.1:9"), run,
                          options=CopyOptions(max_attempts=3, **QUICK))
    assert "3 times in a row" in info.value.why and "cannot connect" in info.value.why
    assert "--resume" in info.value.remedy and run.load_state("CePeople").written == 0


async def test_resume_refuses_a_changed_spec_and_unknown_tables(aws, ce_dsn, tmp_path):
    create_ddb_table(aws, PEOPLE_SPEC)
    run = RunDir.create(tmp_path, {"tables": []})
    await copy_tables({"CePeople": PEOPLE_SPEC}, ce_dsn, aws, run, options=CopyOptions(**QUICK))
    again = await copy_tables({"CePeople": PEOPLE_SPEC}, ce_dsn, aws, RunDir.open(tmp_path, run.run_id))
    assert (again[0].read, again[0].written) == (14, 12)  # a finished table is not copied twice
    changed = {**PEOPLE_SPEC, "columns": PEOPLE_SPEC["columns"][:2]}
    run.save_state(run.load_state("CePeople").model_copy(update={"done": False}))
    with pytest.raises(ConflictError):
        await copy_tables({"CePeople": changed}, ce_dsn, aws, run)
    with pytest.raises(InputError):
        await copy_tables({"CePeople": PEOPLE_SPEC}, ce_dsn, aws, run, tables=["Nope"])


async def test_batch_size_and_concurrency_follow_the_endpoint(aws, moto_server):
    on_moto = await resolve_options(CopyOptions(), aws)
    assert (on_moto.batch_size, on_moto.concurrency) == (500, 4)  # moto: any size, closes every connection
    with FaultProxy(moto_server.url) as proxy:  # a region: DynamoDB's 25 items, 32 in flight
        through = await resolve_options(CopyOptions(), AwsClients(endpoint_url=proxy.url))
    assert (through.batch_size, through.concurrency) == (25, 32)
    assert not probe_moto("https://dynamodb.us-east-1.amazonaws.com")
    fixed = await resolve_options(CopyOptions(batch_size=10, concurrency=3), aws)
    assert (fixed.batch_size, fixed.concurrency) == (10, 3)


# CustomerRentals and Payments stay out: moto takes a hash+range table at ~900 items/s (the migrate
# pipeline's acceptance test copies the whole contract)
SAKILA_TABLES = ["Films", "CategoryFilms", "Actors", "Staff"]


@pytest.fixture(scope="session")
def ce_sakila_dsn() -> Dsn:
    """Our own Sakila copy: views are created in it (the shared m2d_sakila is read-only)."""
    dsn = Dsn.parse(f"{MYSQL_URL}/m2d_ce_sakila")
    corpora.ensure_sakila(dsn)
    return dsn


def _plain(av: dict):
    """An AttributeValue in comparable form: N as Decimal, sets as sets (see contract-expected.json)."""
    (kind, value), = av.items()
    if kind == "N":
        return Decimal(value)
    if kind == "B" and isinstance(value, bytes):  # boto3 decodes base64
        return kind, base64.b64encode(value).decode("ascii")
    if kind in ("SS", "NS", "BS"):
        return kind, frozenset(Decimal(v) for v in value) if kind == "NS" else frozenset(value)
    if kind == "M":
        return {k: _plain(v) for k, v in value.items()}
    if kind == "L":
        return [_plain(v) for v in value]
    return kind, value


async def test_sakila_contract_copies_the_expected_items(aws, ce_sakila_dsn, sakila_dir, tmp_path):
    contract = load_contract(sakila_dir / "contract.json")
    contract = contract.model_copy(update={"tables": [t for t in contract.tables if t.table in SAKILA_TABLES]})
    await apply_views(contract, ce_sakila_dsn)
    specs = contract_specs(contract, read_catalog_sync(ce_sakila_dsn))
    for spec in specs.values():
        create_ddb_table(aws, spec)
    stats = {s.table: s for s in await copy_tables(specs, ce_sakila_dsn, aws, RunDir.create(tmp_path, contract))}
    client = aws.client("dynamodb")
    expected = json.loads((sakila_dir / "contract-expected.json").read_text())
    for table in [t for t in expected["tables"] if t["table"] in SAKILA_TABLES]:
        s = stats[table["table"]]
        assert (s.read, s.written, s.rejected) == (table["item_count"],) * 2 + (0,), table["table"]
        assert count_items(aws, table["table"]) == table["item_count"]
        names = [table["pk"]] + ([table["sk"]] if table["sk"] else [])
        for sample in table["samples"]:
            parts = sample["key"].split("\t")
            key = {n: {table["key_types"][n]: v} for n, v in zip(names, parts)}
            got = client.get_item(TableName=table["table"], Key=key)["Item"]
            got.pop("entity_type", None)
            assert _plain({"M": got}) == _plain({"M": sample["item"]}), (table["table"], sample["key"])


class _Recorder:
    def __init__(self):
        self.tasks: list[str] = []
        self.last: dict[str, tuple] = {}

    def update(self, task, done, total=None, message=None):
        self.tasks.append(task)
        self.last[task] = (done, total, message)

    def close(self):
        pass


# ---- the ordered, resumable stream ------------------------------------------------------------

def test_stream_resumes_exactly_after_every_row(ce_dsn):
    keys = key_order(PEOPLE_SPEC)
    assert keys == [("name", True), ("seq", False)]
    full = _stream(ce_dsn, "ddb_people_view", keys)
    assert len(full) == 14
    ordered = [(row[3], row[1]) for row in full]  # (name bytes, seq)
    assert ordered == sorted(ordered, key=lambda k: (k[0], -1 if k[1] is None else k[1]))
    for i, row in enumerate(full):
        after = decode_key(encode_key((row[3], row[1])))
        assert _stream(ce_dsn, "ddb_people_view", keys, after) == full[i + 1:]


def test_numeric_keys_resume_with_nulls_first(ce_dsn):
    keys = key_order(ORDERS_SPEC)
    assert keys == [("id", False)]
    text, params = stream_query("ddb_orders_view", keys, (None,))
    assert "IS NULL" in text and params == []
    head = _stream(ce_dsn, "ddb_orders_view", keys, (19_000,))
    assert [r[0] for r in head] == [i for i in range(19_001, ORDERS_ROWS + 1) if i % NULL_EVERY]
    assert len(_stream(ce_dsn, "ddb_orders_view", keys, (None,))) == ORDERS_ROWS - ORDERS_ROWS // NULL_EVERY


_TYPES_DDL = [
    "DROP TABLE IF EXISTS types",
    "CREATE TABLE types (id INT PRIMARY KEY, ti TINYINT, su SMALLINT UNSIGNED, mi MEDIUMINT, bu BIGINT UNSIGNED,"
    " d DECIMAL(65,30), f FLOAT, db DOUBLE, dd DATE, dtm DATETIME(6), ts TIMESTAMP NULL, tm TIME(3), y YEAR,"
    " bt BIT(10), c CHAR(3), vc VARCHAR(300), tx MEDIUMTEXT, bl BLOB, bn VARBINARY(8), e ENUM('a','b'),"
    " st SET('x','y','z'), js JSON, g POINT NULL, bo BOOLEAN)",
    "INSERT INTO types VALUES (1, -128, 65535, -8388608, 18446744073709551615,"
    " 12345678901234567890123456789012345.123456789012345678901234567890, 1.5, -2.2250738585072014e-308,"
    " '2003-06-05', '1999-12-31 23:59:59.123456', '2038-01-19 03:14:07', '-838:59:59.999', 2155, b'1010101010',"
    " 'ab', REPEAT('é', 300), REPEAT('x', 70000), x'00ff10', x'0001', 'b', 'x,z', '{\"a\": [1, 2.50]}',"
    " POINT(1.5, -2), TRUE)",
    "INSERT INTO types (id, dd, dtm, tm, vc) VALUES (2, '0000-00-00', '0000-00-00 00:00:00', '00:00:00', '')",
    "INSERT INTO types (id) VALUES (3)",
]


def test_fast_rows_decode_exactly_what_pymysql_does(ce_dsn):
    with sync_connection(ce_dsn, init_command="SET time_zone = '+00:00', sql_mode = ''") as conn, \
            conn.cursor() as cur:
        for statement in _TYPES_DDL:
            cur.execute(statement)
        cur.execute("SELECT * FROM types ORDER BY id")
        reference = list(cur.fetchall())
    with sync_connection(ce_dsn, cursorclass=pymysql.cursors.SSCursor) as conn:
        cur = conn.cursor()
        cur.execute("SELECT * FROM types ORDER BY id")
        fast = [row for rows in FastRows(cur).chunks() for row in rows]
    assert fast == reference
    assert isinstance(fast[0][5], Decimal) and fast[1][8] == "0000-00-00" and len(fast[0][16]) == 70000
    assert all(type(a) is type(b) for a, b in zip(fast[0], reference[0]))


# ---- signing, HTTP, run directory ----------------------------------------------------------------

@pytest.mark.parametrize("url", ["http://127.0.0.1:5078", "https://dynamodb.eu-west-1.amazonaws.com",
                                 "http://localhost:8000/"])
@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzE//token+/="])
def test_fast_signer_matches_botocore(url, token):
    from botocore.credentials import Credentials

    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    body = '{"RequestItems":{"T":[{"PutRequest":{"Item":{"k":{"S":"ünï"}}}}]}}'.encode()
    reference = botocore_headers(creds, "eu-west-1", url, "DynamoDB_20120810.BatchWriteItem", body)
    now = calendar.timegm(time.strptime(reference["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
    ours = FastSigner(creds, "eu-west-1", url).headers("DynamoDB_20120810.BatchWriteItem", body, now=now)
    assert ours == reference


async def test_http_client_reads_lengths_chunks_and_close_delimited_bodies():
    answers = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Amz-Crc32: 1\r\n\r\nhello",
        b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
        b"HTTP/1.0 200 OK\r\n\r\nuntil close",
    ]
    seen = []

    async def handle(reader, writer):
        while answers:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int([h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")][0].split(b":")[1])
            seen.append(head + await reader.readexactly(length))
            answer = answers.pop(0)
            writer.write(answer)
            await writer.drain()
            if answer.startswith(b"HTTP/1.0"):
                break
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    pool = HttpPool(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", timeout_s=5)
    try:
        first = await pool.post({"X-Amz-Target": "t"}, b"{}")
        assert (first.status, first.body, first.header(b"x-amz-crc32")) == (200, b"hello", b"1")
        second = await pool.post(b"X-Amz-Target: t\r\n", b"[]")
        assert (second.status, second.body) == (400, b"abcde")
        third = await pool.post({}, b"")
        assert (third.status, third.body) == (200, b"until close")
        assert len(seen) == 3 and b"Host: 127.0.0.1:" in seen[0] and seen[1].endswith(b"[]")
        with pytest.raises(HttpError):  # the server is gone: a connection error, retried by the engine
            await pool.post({}, b"")
    finally:
        await pool.close()
        server.close()


def test_run_directory_and_typed_keys(tmp_path):
    run = RunDir.create(tmp_path, {"tables": [{"table": "T"}]})
    assert RunDir.open(tmp_path, run.run_id).read_contract() == {"tables": [{"table": "T"}]}
    assert RunDir.list_runs(tmp_path) == [run.run_id]
    with pytest.raises(NotFoundError):
        RunDir.open(tmp_path, "../../etc")
    with pytest.raises(InputError):
        run.reject_path("../evil")
    key = (1, Decimal("-1.50"), 2.5, b"\x00\xff", "ünï", dt.datetime(2020, 1, 2, 3, 4, 5, 6), dt.date(2020, 1, 2),
           dt.timedelta(hours=-1, microseconds=5), dt.timedelta(seconds=7), None)
    assert decode_key(encode_key(key)) == key
    assert run.write_report({"ok": True}).name == "report.json"
