"""Items our converter accepts and DynamoDB refuses: the copy isolates them (a refused batch is
split until the refused items stand alone), writes each to the reject file with DynamoDB's own
message and its key, counts it as rejected, and goes on. Every other item is written exactly once,
and the checkpoint stays exact.

Against moto: an item between moto's item limit (405,000 bytes by its count) and DynamoDB's
409,600 (ours), a partition key over 2,048 bytes, and source keys that convert to one number key
('7', '7.0' and '7.00' are all N 7: "Provided list of item keys contains duplicates"). Against a
tiny endpoint of our own that refuses (atomically, as DynamoDB does) every batch holding a marked
item: each accepted item counted, so "exactly once" is measured, not inferred from a scan.
Source rows live in the test's own database m2d_rejects.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
from decimal import Decimal
from typing import Any

import orjson
import pytest
from sqlglot import exp

from mysql2ddb.tests.copy_support import checksum, create_ddb_table, expected_items, scan_items
from mysql2ddb.tests.local_http import BATCH_TARGET, RequestProtocol, http_response
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.core.db import Dsn, sync_connection
from mysql2ddb.tools.core.errors import AwsError, NotFoundError
from mysql2ddb.tools.execution.copy_engine import CopyOptions, copy_tables
from mysql2ddb.tools.execution.report import MigrationReport
from mysql2ddb.tools.execution.rundir import RunDir
from mysql2ddb.tools.execution.verify import verify_specs

MYSQL_URL = os.environ.get("MYSQL2DDB_TEST_MYSQL", "mysql://root@127.0.0.1:3306")
DATABASE = "m2d_rejects"
ROWS = 600
BIG = {50, 333}                 # bodies of 406,000 bytes: under 409,600, over moto's 405,000
LONG_KEY = 123                  # doc of 2,100 bytes: a partition key over DynamoDB's 2,048
MARKED = {97, 98, 194, 291, 388, 485, 582}  # refused by the local endpoint (97 and 98 in one batch of 25)
CODES = {7: "7", 17: "7.0", 27: "7.00"}     # number keys from text: all three are N 7
QUICK = dict(backoff_base_s=0.002, backoff_cap_s=0.02, checkpoint_ms=20)

_COLUMNS = [("id", "INT"), ("doc", "VARCHAR(3000)"), ("body", "LONGTEXT"), ("code", "VARCHAR(8)"), ("flag", "INT")]


def _doc(i: int) -> str:
    return "k" * 2100 if i == LONG_KEY else f"doc-{i:04d}"


def _rows() -> list[tuple]:
    return [(i, _doc(i), "x" * 406_000 if i in BIG else f"body {i} ünï", CODES.get(i, str(i)),
             1 if i in MARKED else None) for i in range(1, ROWS + 1)]


def _view(name: str, columns: list[exp.Expression], where: exp.Expression | None = None) -> exp.Create:
    select = exp.select(*columns).from_(sql.table("docs"))
    return exp.Create(kind="VIEW", replace=True, this=sql.table(name),
                      expression=select.where(where) if where else select)


@pytest.fixture(scope="module")
def rj_dsn() -> Dsn:
    """m2d_rejects.docs (600 rows) and three views over it, built from sqlglot ASTs."""
    dsn = Dsn.parse(f"{MYSQL_URL}/{DATABASE}")
    with sync_connection(dsn.with_database(""), where="create m2d_rejects") as conn, conn.cursor() as cur:
        cur.execute(sql.render(sql.drop_database(DATABASE)))
        create = sql.create_database(DATABASE)
        create.set("properties", exp.Properties(expressions=[exp.CharacterSetProperty(this=exp.var("utf8mb4"),
                                                                                       default=False)]))
        cur.execute(sql.render(create))
    primary = [exp.ColumnConstraint(kind=exp.PrimaryKeyColumnConstraint())]
    defs = [exp.ColumnDef(this=sql.ident(name), kind=exp.DataType.build(kind, dialect=sql.DIALECT),
                          constraints=primary if name == "id" else []) for name, kind in _COLUMNS]
    insert = exp.Insert(this=exp.Schema(this=sql.table("docs"), expressions=[sql.ident(n) for n, _ in _COLUMNS]),
                        expression=exp.Values(expressions=[exp.Tuple(expressions=[sql.param() for _ in _COLUMNS])]))
    with sync_connection(dsn, where="fill m2d_rejects") as conn, conn.cursor() as cur:
        cur.execute(sql.render(exp.Create(kind="TABLE", this=exp.Schema(this=sql.table("docs"), expressions=defs))))
        cur.executemany(sql.driver_sql(insert), _rows())
        cur.execute(sql.render(_view("ddb_rj_docs_view", [sql.col("doc"), sql.col("id"), sql.col("body")])))
        cur.execute(sql.render(_view("ddb_rj_codes_view", [sql.col("code"), sql.col("id")],
                                     exp.LTE(this=sql.col("id"), expression=exp.Literal.number(40)))))
        cur.execute(sql.render(_view("ddb_rj_marks_view", [sql.col("id"), sql.col("doc"),
                                                           exp.alias_(sql.col("flag"), "bad", quoted=True)])))
        conn.commit()
    return dsn


DOCS_SPEC: dict[str, Any] = {
    "table": "RjDocs", "view": "ddb_rj_docs_view", "pk": "doc", "sk": None,
    "columns": [
        {"name": "doc", "ddb_type": "S", "mysql_type": "varchar", "column_type": "varchar(3000)"},
        {"name": "id", "ddb_type": "N", "mysql_type": "int", "column_type": "int(11)"},
        {"name": "body", "ddb_type": "S", "mysql_type": "longtext", "column_type": "longtext"},
    ],
}
CODES_SPEC: dict[str, Any] = {
    "table": "RjCodes", "view": "ddb_rj_codes_view", "pk": "code", "sk": None,
    "columns": [
        {"name": "code", "ddb_type": "N", "mysql_type": "varchar", "column_type": "varchar(8)"},
        {"name": "id", "ddb_type": "N", "mysql_type": "int", "column_type": "int(11)"},
    ],
}
MARKS_SPEC: dict[str, Any] = {
    "table": "RjMarks", "view": "ddb_rj_marks_view", "pk": "id", "sk": None,
    "columns": [
        {"name": "id", "ddb_type": "N", "mysql_type": "int", "column_type": "int(11)"},
        {"name": "doc", "ddb_type": "S", "mysql_type": "varchar", "column_type": "varchar(3000)"},
        {"name": "bad", "ddb_type": "N", "mysql_type": "int", "column_type": "int(11)"},
    ],
}


# ---- against moto --------------------------------------------------------------------------------

async def test_items_moto_refuses_go_to_the_reject_file_and_the_rest_is_written_once(aws, rj_dsn, tmp_path):
    for spec in (DOCS_SPEC, CODES_SPEC):
        create_ddb_table(aws, spec)
    run = RunDir.create(tmp_path, {"tables": []})
    docs, codes = await copy_tables({"RjDocs": DOCS_SPEC, "RjCodes": CODES_SPEC}, rj_dsn, aws, run,
                                    options=CopyOptions(**QUICK))

    culprits = BIG | {LONG_KEY}
    assert (docs.read, docs.written, docs.rejected) == (ROWS, ROWS - 3, 3)
    assert docs.retried > 0  # the requests that isolated them
    expected, converter_rejects = expected_items(rj_dsn, DOCS_SPEC)
    assert converter_rejects == 0 and len(expected) == ROWS  # our converter accepts every row
    got = scan_items(aws, "RjDocs")
    assert len(got) == ROWS - 3 and len({item["doc"]["S"] for item in got}) == ROWS - 3
    assert checksum(got) == checksum([item for item in expected if int(item["id"]["N"]) not in culprits])

    rejects = {r["key"][0]: r for r in run.read_rejects("RjDocs")}
    assert set(rejects) == {_doc(i) for i in culprits}
    for i in BIG:
        r = rejects[_doc(i)]
        assert r["reason"] == ("DynamoDB refused the item: ValidationException: "
                               "Item size has exceeded the maximum allowed size")
        assert r["item"]["id"] == {"N": str(i)} and len(r["item"]["body"]["S"]) == 406_000 and r["table"] == "RjDocs"
    assert "Size of hashkey has exceeded" in rejects["k" * 2100]["reason"]

    # '7', '7.0', '7.00' convert to N 7: the first in key order (row 7) is kept, the others rejected
    assert (codes.read, codes.written, codes.rejected) == (40, 38, 2)
    code_items = {item["code"]["N"]: item["id"]["N"] for item in scan_items(aws, "RjCodes")}
    assert len(code_items) == 38 and code_items["7"] == "7"
    code_rejects = run.read_rejects("RjCodes")  # by the batcher, before sending: moto would keep the last
    assert sorted(r["row"]["id"] for r in code_rejects) == [17, 27]
    assert all(r["reason"].startswith("duplicate key") and "DynamoDB key '7'" in r["reason"] for r in code_rejects)

    report = MigrationReport()
    report.set_tables([docs, codes])
    assert (report.total.read, report.total.written, report.total.rejected) == (ROWS + 40, ROWS - 3 + 38, 5)
    for table, stats in (("RjDocs", docs), ("RjCodes", codes)):
        state = run.load_state(table)
        assert state.done and (state.rows, state.written, state.rejected) == (stats.read, stats.written, stats.rejected)
        assert state.reject_bytes == run.reject_path(table).stat().st_size

    # a resume after completion changes nothing
    files = {t: run.reject_path(t).read_bytes() for t in ("RjDocs", "RjCodes")}
    again = await copy_tables({"RjDocs": DOCS_SPEC, "RjCodes": CODES_SPEC}, rj_dsn, aws,
                              RunDir.open(tmp_path, run.run_id), options=CopyOptions(**QUICK))
    counts = {"table", "read", "written", "rejected", "retried"}  # monitoring is per run: none for this one
    assert [s.model_dump(include=counts) for s in again] == [s.model_dump(include=counts) for s in (docs, codes)]
    assert {t: run.reject_path(t).read_bytes() for t in files} == files
    assert checksum(scan_items(aws, "RjDocs")) == checksum(got)


async def test_verification_of_the_run_does_not_expect_the_items_dynamodb_refused(aws, rj_dsn, tmp_path):
    """The run's reject file says which keys DynamoDB refused: verification given the run excludes
    them from the source side and counts them; without the run they are missing."""
    for spec in (DOCS_SPEC, CODES_SPEC):
        create_ddb_table(aws, spec)
    run = RunDir.create(tmp_path, {"tables": []})
    await copy_tables({"RjDocs": DOCS_SPEC, "RjCodes": CODES_SPEC}, rj_dsn, aws, run, options=CopyOptions(**QUICK))
    with open(run.reject_path("RjDocs"), "ab") as rejects:  # lines a verifier must skip or survive
        rejects.write(b'{"table":"RjDocs","key":["x"],"reason":"DynamoDB refused the item: cut short')

    result = verify_specs([DOCS_SPEC, CODES_SPEC], rj_dsn, aws, run=run)
    docs, codes = result.results
    assert result.ok, result.model_dump()
    assert (docs.source_count, docs.target_count, docs.rejected_by_target, docs.mismatches) == (ROWS - 3, ROWS - 3, 3, 0)
    assert (codes.source_count, codes.target_count, codes.rejected_by_target, codes.duplicates) == (38, 38, 0, 2)
    assert f"3 item(s) DynamoDB refused, in run {run.run_id}'s reject file" in result.summary()
    assert "refused by DynamoDB" in result.tables()[0].headers

    alone = verify_specs([DOCS_SPEC], rj_dsn, aws)  # no run: every row the converter accepts is expected
    assert not alone.ok
    assert alone.results[0].rejected_by_target == 0
    assert sorted(alone.results[0].missing) == sorted(_doc(i) for i in BIG | {LONG_KEY})


async def test_a_table_that_refuses_every_item_stops_the_copy(aws, rj_dsn, tmp_path):
    """Key type N in the contract, S in the table: not bad rows, a wrong table; the copy stops."""
    create_ddb_table(aws, {**MARKS_SPEC, "key_types": {"id": "S"}})
    run = RunDir.create(tmp_path, {"tables": []})
    with pytest.raises(AwsError) as info:
        await copy_tables({"RjMarks": MARKS_SPEC}, rj_dsn, aws, run,
                          options=CopyOptions(batch_size=25, concurrency=2, **QUICK))
    assert "refused every one of the 25 items" in info.value.why and "Type mismatch for key" in info.value.why
    assert "refused_batch_limit" in info.value.remedy
    state = run.load_state("RjMarks")
    assert not state.done and state.written == 0


# ---- against an endpoint of our own -------------------------------------------------------------

class _Endpoint:
    """BatchWriteItem like DynamoDB, minus storage: a request holding an item with a `bad` attribute,
    or two items with one number key `key`, is refused whole (400 ValidationException), any other is
    accepted whole; accepted items counted by `id`. `fail_after`: requests past that many answer
    ResourceNotFoundException (the copy stops)."""

    def __init__(self, key: str = "id") -> None:
        self.key = key
        self.accepted: collections.Counter = collections.Counter()
        self.requests = self.refused = 0
        self.fail_after: int | None = None
        self.server: asyncio.AbstractServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    def answer(self, headers: dict[bytes, bytes], body: bytes) -> bytes:
        if headers.get(b"x-amz-target") != BATCH_TARGET:
            return http_response(400, b'{"__type": "UnknownOperationException"}')
        self.requests += 1
        if self.fail_after is not None and self.requests > self.fail_after:
            return http_response(400, b'{"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",'
                                      b' "message": "Requested resource not found"}')
        (requests,) = orjson.loads(body)["RequestItems"].values()
        items = [r["PutRequest"]["Item"] for r in requests]
        bad = [item["id"]["N"] for item in items if "bad" in item]
        message = (f"One or more parameter values were invalid: item {bad[0]} is marked bad" if bad else
                   "Provided list of item keys contains duplicates"
                   if len({Decimal(item[self.key]["N"]) for item in items}) < len(items) else None)
        if message:
            self.refused += 1
            return http_response(400, json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#ValidationException",
                                                  "message": message}).encode())
        self.accepted.update(int(item["id"]["N"]) for item in items)
        return http_response(200, b'{"UnprocessedItems":{}}')


class _Conn(RequestProtocol):
    def __init__(self, endpoint: _Endpoint):
        super().__init__()
        self.endpoint = endpoint

    def on_request(self, method: bytes, path: bytes, headers: dict[bytes, bytes], body: bytes) -> None:
        self.reply(self.endpoint.answer(headers, body))


@pytest.fixture
async def endpoint():
    ep = _Endpoint()
    ep.server = await asyncio.get_running_loop().create_server(lambda: _Conn(ep), "127.0.0.1", 0)
    try:
        yield ep
    finally:
        ep.server.close()
        await ep.server.wait_closed()


async def test_a_batch_refused_for_repeated_keys_keeps_the_first_and_is_sent_again(endpoint, rj_dsn, tmp_path):
    """A key conversion the batcher trusts (the spec claims `code` is an INT column) meets '7', '7.0'
    and '7.00' in one batch: DynamoDB refuses it; the repeats are dropped without asking it again."""
    endpoint.key = "code"
    spec = {**CODES_SPEC, "columns": [dict(CODES_SPEC["columns"][0], mysql_type="int"), CODES_SPEC["columns"][1]]}
    run = RunDir.create(tmp_path, {"tables": []})
    (s,) = await copy_tables({"RjCodes": spec}, rj_dsn, AwsClients(endpoint_url=endpoint.url), run,
                             options=CopyOptions(batch_size=25, concurrency=2, **QUICK))
    assert (endpoint.requests, endpoint.refused) == (3, 1)  # 2 batches; the second refused once, then sent deduplicated
    assert (s.read, s.written, s.rejected, s.retried) == (40, 38, 2, 1)
    assert endpoint.accepted == collections.Counter(set(range(1, 41)) - {17, 27})  # '7' (row 7) kept
    rejects = run.read_rejects("RjCodes")
    assert sorted(r["item"]["id"]["N"] for r in rejects) == ["17", "27"]
    assert all(r["key"] == [7] and r["reason"].startswith("duplicate key: an earlier item of the same batch")
               for r in rejects)


BATCHES = ROWS // 25  # the first send of each batch; every request past those is a re-send


@pytest.mark.parametrize("transport", ["asyncio", "aiohttp"])
async def test_each_refused_item_is_isolated_and_every_valid_item_is_written_exactly_once(endpoint, rj_dsn, tmp_path,
                                                                                          transport):
    run = RunDir.create(tmp_path, {"tables": []})
    options = CopyOptions(batch_size=25, concurrency=4, transport=transport, **QUICK)
    aws = AwsClients(endpoint_url=endpoint.url)
    (s,) = await copy_tables({"RjMarks": MARKS_SPEC}, rj_dsn, aws, run, options=options)
    valid = set(range(1, ROWS + 1)) - MARKED
    assert endpoint.accepted == collections.Counter(valid)  # each valid item in exactly one accepted request
    assert (s.read, s.written, s.rejected) == (ROWS, len(valid), len(MARKED))
    assert s.retried == endpoint.requests - BATCHES  # every isolating request counted
    rejects = run.read_rejects("RjMarks")
    assert sorted(r["key"][0] for r in rejects) == sorted(MARKED)
    assert all(r["reason"] == f"DynamoDB refused the item: ValidationException: One or more parameter values were "
                              f"invalid: item {r['key'][0]} is marked bad" for r in rejects)
    assert all(r["item"]["bad"] == {"N": "1"} and r["item"]["doc"] == {"S": _doc(r["key"][0])} for r in rejects)
    state = run.load_state("RjMarks")
    assert state.done and (state.rows, state.written, state.rejected) == (ROWS, len(valid), len(MARKED))
    assert state.reject_bytes == run.reject_path("RjMarks").stat().st_size

    before = endpoint.requests
    (again,) = await copy_tables({"RjMarks": MARKS_SPEC}, rj_dsn, aws, RunDir.open(tmp_path, run.run_id),
                                 options=options)
    assert endpoint.requests == before  # nothing sent again
    assert (again.read, again.written, again.rejected) == (s.read, s.written, s.rejected)
    assert len(run.read_rejects("RjMarks")) == len(MARKED)


async def test_a_copy_stopped_while_isolating_resumes_exactly(endpoint, rj_dsn, tmp_path):
    run = RunDir.create(tmp_path, {"tables": []})
    options = CopyOptions(batch_size=25, concurrency=1, checkpoint_ms=0, backoff_base_s=0.002)
    aws = AwsClients(endpoint_url=endpoint.url)
    endpoint.fail_after = 40  # past the first refused batches, before the end
    with pytest.raises(NotFoundError):
        await copy_tables({"RjMarks": MARKS_SPEC}, rj_dsn, aws, run, options=options)
    stopped = run.load_state("RjMarks")
    assert not stopped.done and 0 < stopped.rows < ROWS and stopped.rejected >= 2
    assert stopped.rows == stopped.written + stopped.rejected
    lines = run.reject_path("RjMarks").read_bytes()
    assert lines[:stopped.reject_bytes].count(b"\n") == stopped.rejected
    assert {json.loads(line)["key"][0] for line in lines[:stopped.reject_bytes].splitlines()} == \
        {i for i in MARKED if i <= stopped.rows}

    endpoint.fail_after = None
    (s,) = await copy_tables({"RjMarks": MARKS_SPEC}, rj_dsn, aws, RunDir.open(tmp_path, run.run_id), options=options)
    valid = set(range(1, ROWS + 1)) - MARKED
    assert (s.read, s.written, s.rejected) == (ROWS, len(valid), len(MARKED))
    assert set(endpoint.accepted) == valid and max(endpoint.accepted.values()) <= 2  # in flight when stopped: again
    assert sorted(r["key"][0] for r in run.read_rejects("RjMarks")) == sorted(MARKED)  # no line twice
    final = run.load_state("RjMarks")
    assert final.done and final.runs == 2 and final.reject_bytes == run.reject_path("RjMarks").stat().st_size
