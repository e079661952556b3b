"""`migrate` end to end on Sakila into a moto server, checked against the hand-computed
contract-expected.json; and the refusals that must happen before anything is written: a contract
fragment that tries a second statement, an existing table with a different key schema (the core),
and a contract without an approval (the use case: the core just runs, tests/test_write_policy.py
covers every writing tool).

Writes to MySQL only in the m2d_mp_ databases (views are created there)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sqlglot import exp

from mysql2ddb.tools.core.errors import ConflictError, ContractError, WorkflowError
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.usecases import corpora
from mysql2ddb.tools.contract.load import load_contract
from mysql2ddb.tools.core.db import sync_connection
from mysql2ddb.tools.execution.pipeline import MigrateOptions, migrate
from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.approvals import record_approval
from mysql2ddb.tools.core.settings import Settings
from mysql2ddb.tools.modeling.gate_views import current_sha256
from mysql2ddb.tools.usecases import execution
from mysql2ddb.tools.usecases.request import Request

from tests.conftest import dsn_for
from tests.expected_items import assert_matches_expected


@pytest.fixture(scope="session")
def empty_sakila_dsn():
    """Sakila's schema without rows, for the refusal test alone: it asserts no view appears, so it
    must not share a database with runs that create views."""
    dsn = dsn_for("m2d_mp_refuse")
    if "film" not in corpora.table_counts(dsn):
        corpora.run_script(dsn, corpora.sakila_sql(dsn.database)[0], "load sakila schema")
    return dsn


@pytest.fixture(scope="session")
def expected(sakila_dir) -> dict[str, Any]:
    data = json.loads((sakila_dir / "contract-expected.json").read_text())
    return {t["table"]: t["item_count"] for t in data["tables"]}


@pytest.fixture
def contract_data(sakila_dir) -> dict[str, Any]:
    return json.loads((sakila_dir / "contract.json").read_text())


def approve(workspace: Workspace) -> None:
    """Approve the workspace's contract.json as it is now."""
    record_approval(workspace, "contract", "contract.json", "approved", None, None,
                    current_sha256(workspace, "contract"), via="test")


def views_in(dsn) -> list[str]:
    query = exp.select(sql.col("TABLE_NAME")).from_(sql.table("VIEWS", db="information_schema")).where(
        sql.col("TABLE_SCHEMA").eq(sql.param()))
    with sync_connection(dsn, where="list views") as conn, conn.cursor() as cur:
        cur.execute(sql.driver_sql(query), (dsn.database,))
        return sorted(r[0] for r in cur.fetchall())


def drop_views(dsn) -> None:
    with sync_connection(dsn, where="drop views") as conn, conn.cursor() as cur:
        for name in views_in(dsn):
            if name.startswith("ddb_"):
                cur.execute(sql.render(exp.Drop(tables=[sql.table(name)], kind="VIEW", exists=True)))


def scan(aws, table: str) -> list[dict]:
    client = aws.client("dynamodb")
    items: list[dict] = []
    for page in client.get_paginator("scan").paginate(TableName=table):
        items += page["Items"]
    return items


# ---- acceptance ------------------------------------------------------------------------------


async def test_sakila_migrates_and_every_table_matches_the_expected_items(mp_dsn, aws, workdir, sakila_dir, expected):
    contract = load_contract(sakila_dir / "contract.json")
    ws = Workspace(workdir)
    plans = []
    report = await migrate(contract, mp_dsn, aws, ws, MigrateOptions(), on_plan=plans.append)

    assert plans and plans[0].total_items == 39_475
    assert report.ok, report.model_dump_json(indent=1)
    assert [p.phase for p in report.phases] == ["validate", "plan", "views", "tables", "copy", "verify"]
    assert report.verify and report.verify["ok"]
    rows = {r.table: r for r in report.table_rows}
    for name, count in expected.items():
        assert rows[name].read == rows[name].written == count, name
        assert rows[name].rejected == 0, name
    assert_matches_expected(aws.client("dynamodb"), sakila_dir)
    assert report.total.written == 39_475

    data = json.loads(ws.read_text("execution/migration-report.json"))
    assert {"tables", "phases", "total", "verify"} <= set(data)
    assert {"table", "read", "written", "rejected", "retried", "seconds", "items_per_s"} <= set(data["tables"][0])
    run_report = ws.path(f"runs/{report.run_id}/report.json")
    assert run_report.is_file()


async def test_a_second_statement_in_a_fragment_is_refused_before_anything_is_created(empty_sakila_dsn, aws, workdir,
                                                                                       contract_data):
    mp_dsn = empty_sakila_dsn
    drop_views(mp_dsn)
    bad = copy.deepcopy(contract_data)
    films = next(t for t in bad["tables"] if t["table"] == "Films")
    lang = next(a for a in films["attributes"] if a["name"] == "language")
    lang["join"]["join_condition"] += "; DROP TABLE film"
    contract = load_contract(bad)
    ws = Workspace(workdir)
    with pytest.raises(ContractError) as caught:
        await migrate(contract, mp_dsn, aws, ws, MigrateOptions())
    assert any("/tables/0/attributes" in e["path"] for e in caught.value.details["errors"])
    assert [v for v in views_in(mp_dsn) if v.startswith("ddb_")] == []
    assert aws.client("dynamodb").list_tables()["TableNames"] == []
    assert not ws.exists("runs")


async def test_an_existing_table_with_another_key_schema_is_reported_and_left_alone(mp_dsn, aws, workdir, sakila_dir):
    client = aws.client("dynamodb")
    client.create_table(
        TableName="Staff", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "staff_id", "KeyType": "HASH"}, {"AttributeName": "store_id", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "staff_id", "AttributeType": "S"},
                              {"AttributeName": "store_id", "AttributeType": "N"}],
    )
    client.put_item(TableName="Staff", Item={"staff_id": {"S": "keep me"}, "store_id": {"N": "9"}})
    before = client.describe_table(TableName="Staff")["Table"]
    contract = load_contract(sakila_dir / "contract.json")
    with pytest.raises(ConflictError) as caught:
        await migrate(contract, mp_dsn, aws, Workspace(workdir), MigrateOptions(tables=["Staff"]))
    err = caught.value
    assert "Staff" in err.why and "left untouched" in err.why
    fields = {d["field"] for c in err.details["conflicts"] for d in c["differences"]}
    assert fields, err.details
    after = client.describe_table(TableName="Staff")["Table"]
    assert after["KeySchema"] == before["KeySchema"]
    assert after["AttributeDefinitions"] == before["AttributeDefinitions"]
    assert scan(aws, "Staff") == [{"staff_id": {"S": "keep me"}, "store_id": {"N": "9"}}]
    report = json.loads(Workspace(workdir).read_text("execution/migration-report.json"))
    assert {p["phase"]: p["status"] for p in report["phases"]}["tables"] == "failed"


async def test_the_use_case_refuses_an_unapproved_contract_before_any_write(mp_dsn, aws, workdir, sakila_dir):
    ws = Workspace(workdir)
    ws.write_text("contract.json", (sakila_dir / "contract.json").read_text())
    req = Request.of(Settings(workdir=workdir), Caller.CLI)
    args = {"dsn": mp_dsn.url(), "endpoint_url": aws.endpoint_url, "tables": ["Staff"]}
    with pytest.raises(WorkflowError) as caught:  # --yes is consent, not an approval
        await execution.migrate(req, **args, confirm=True)
    assert "`contract` gate" in caught.value.why and "gates approve contract" in caught.value.remedy
    # an approval of another version of the contract does not count: it is stale now
    data = json.loads(ws.read_text("contract.json"))
    ws.write_json("contract.json", {**data, "tables": data["tables"][:1]})
    approve(ws)
    ws.write_text("contract.json", (sakila_dir / "contract.json").read_text())
    with pytest.raises(WorkflowError) as caught:
        await execution.migrate(req, **args, confirm=True)
    assert "changed since" in caught.value.why
    assert aws.client("dynamodb").list_tables()["TableNames"] == [] and not ws.exists("runs")
    # a dry run is allowed (it writes nothing) and says what a real run needs
    report = (await execution.migrate(req, **args, dry_run=True)).result
    assert report.dry_run and not report.approved
    assert any("`contract` gate" in n for n in report.notes) and any("--yes" in n for n in report.notes)
    assert report.views_sql and report.table_requests and report.table_requests[0]["TableName"] == "Staff"
    assert aws.client("dynamodb").list_tables()["TableNames"] == []


def test_report_rows_totals_and_renderings():
    from mysql2ddb.tools.core.errors import AwsError
    from mysql2ddb.tools.core.render import to_markdown
    from mysql2ddb.tools.execution.report import MigrationReport

    report = MigrationReport(run_id="r1", endpoint="http://127.0.0.1:1")
    with report.phase("views"):
        pass
    with pytest.raises(AwsError), report.phase("tables"):
        raise AwsError("boom", where="x", remedy="y")
    report.set_tables([{"table": "A", "read": 10, "written": 9, "rejected": 1, "retried": 3, "seconds": 2.0,
                        "items_per_s": 4.5}, {"table": "B", "read": 5, "written": 5, "seconds": 1.0}])
    report.finish()
    assert not report.ok
    assert [(p.phase, p.status) for p in report.phases] == [("views", "ok"), ("tables", "failed")]
    assert "boom" in report.phases[1].detail
    data = json.loads(report.model_dump_json(by_alias=True))
    assert data["tables"][0] == {"table": "A", "read": 10, "written": 9, "rejected": 1, "retried": 3,
                                 "seconds": 2.0, "items_per_s": 4.5}
    assert data["total"]["written"] == 14 and data["total"]["retried"] == 3 and data["verify"] is None
    md = to_markdown(report)
    assert "did not succeed (failed: tables)" in md and "| total | 15 | 14 | 1 | 3 |" in md


async def test_a_run_resumes_by_id_and_refuses_a_changed_contract(mp_dsn, aws, workdir, sakila_dir):
    contract = load_contract(sakila_dir / "contract.json")
    ws = Workspace(workdir)
    first = await migrate(contract, mp_dsn, aws, ws, MigrateOptions(tables=["Actors"], no_verify=True))
    assert first.ok and [p.status for p in first.phases][-1] == "skipped"
    again = await migrate(contract, mp_dsn, aws, ws, MigrateOptions(tables=["Actors"], resume=first.run_id))
    assert again.run_id == first.run_id and again.ok and again.verify["ok"]
    assert again.table_rows[0].read == again.table_rows[0].written == 200  # counted once over both runs
    changed = contract.model_copy(update={"tables": contract.tables[:-1]})
    with pytest.raises(ConflictError) as caught:
        await migrate(changed, mp_dsn, aws, ws, MigrateOptions(tables=["Actors"], resume=first.run_id))
    assert "contract.json" in caught.value.remedy


async def test_warm_throughput_goes_into_create_table_when_asked(mp_dsn, aws, workdir, sakila_dir):
    from mysql2ddb.tools.execution.plan import PlanOptions

    contract = load_contract(sakila_dir / "contract.json")
    eager = PlanOptions(warm_threshold_s=0, warm_target_s=0.001)  # treat Actors as a large table
    report = await migrate(contract, mp_dsn, aws, Workspace(workdir), MigrateOptions(
        tables=["Actors"], dry_run=True, warm_throughput=True, plan=eager))
    warm = report.plan.table_plans[0].warm
    assert warm is not None and warm.write_units_per_second == 40_000
    request = report.table_requests[0]
    assert request["WarmThroughput"] == {"WriteUnitsPerSecond": 40_000}
    assert request["GlobalSecondaryIndexes"][0]["WarmThroughput"] == {"WriteUnitsPerSecond": 40_000}
    plain = await migrate(contract, mp_dsn, aws, Workspace(workdir), MigrateOptions(
        tables=["Actors"], dry_run=True, plan=eager))
    assert "WarmThroughput" not in plain.table_requests[0]
