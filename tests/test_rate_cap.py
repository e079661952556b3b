"""The user's cap on the copy's write rate and the stall timeout, from every front end to the copy
engine and back into the run directory: the plan times each table at the cap when it is slower
than the table (and at the warm rate when the run warms the table); a migrate keeps both values
in the run's settings, so a resume (and the live migration's background process) copies the same
way unless given new ones; a bad value is refused, naming the argument, before anything is
written. The copies run against the moto server, or through the capacity stand-in in front of
it (bench/capacity_standin.py: DynamoDB's write limits, so the rate controller really paces).
No assertion on speed."""

from __future__ import annotations

import asyncio
import json
import math

import pytest
from fastmcp.exceptions import ToolError
from typer.testing import CliRunner

from mysql2ddb.bench.capacity_standin import CapacityStandin, Limits
from mysql2ddb.server.cli.main import app
from mysql2ddb.tools.contract.model import ContractTable
from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.approvals import record_approval
from mysql2ddb.tools.core.errors import InputError, ThrottledError
from mysql2ddb.tools.core.pricing import load_prices
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.execution.copy_options import CopyOptions
from mysql2ddb.tools.execution.plan import Measure, PlanOptions, assemble, plan_table
from mysql2ddb.tools.execution.rundir import RunDir, RunSettings
from mysql2ddb.tools.modeling.gate_views import current_sha256
from mysql2ddb.tools.usecases import execution, live
from mysql2ddb.tools.usecases.request import Request

PRICES = load_prices()
TABLES = ["Staff", "Actors"]  # 2 staff with 36 KB pictures, 200 actors: a copy of a second or so at the caps below
runner = CliRunner()


# ---- the plan: items built by hand (the arithmetic) ---------------------------------------------


def orders(gsis: list[dict] | None = None) -> ContractTable:
    return ContractTable.model_validate({
        "table": "Orders", "type": "single-entity", "source_table": "orders", "pk": "customer", "sk": "id",
        "gsis": gsis or [], "satisfies": [], "estimated_item_size_bytes": 100,
        "attributes": [{"name": n, "type": "S", "source_table": "orders", "source_column": n}
                       for n in ("customer", "id", "status", "body")],
    })


def measured(table: ContractTable, rows: list[tuple]) -> Measure:
    def convert(row: tuple) -> dict:
        customer, oid, status, body = row
        item = {"customer": {"S": customer}, "id": {"S": oid}, "body": {"S": body}}
        return {**item, "status": {"S": status}} if status is not None else item

    m = Measure(table, convert, lambda item: sum(len(k) + len(next(iter(v.values()))) for k, v in item.items()),
                ValueError)
    for row in rows:
        m.add(row)
    return m


def test_a_cap_below_the_table_rate_bounds_the_plan_and_says_so():
    t = orders()
    m = measured(t, [(f"c{i}", str(i), None, "x") for i in range(8000)])  # 8,000 one-unit items, keys spread
    free = plan_table(t, 8000, m, None, PRICES, PlanOptions())
    assert free.duration_seconds == pytest.approx(8000 / 4000) and free.bound_by == "table 4,000/s"

    capped = plan_table(t, 8000, m, None, PRICES, PlanOptions(max_write_units_per_s=100))
    assert capped.duration_seconds == pytest.approx(8000 / 100) and capped.duration_seconds > free.duration_seconds
    assert capped.bound_by == "your cap (100 WCU/s)"
    plan = assemble([capped], PRICES, max_write_units_per_s=100)
    assert plan.duration_seconds == capped.duration_seconds and plan.max_write_units_per_s == 100
    assert "limited by your cap (100 WCU/s)" in plan.summary() and "your cap: 100 WCU/s a table" in plan.summary()
    assert plan.tables()[0].rows[0][7] == "your cap (100 WCU/s)"

    above = plan_table(t, 8000, m, None, PRICES, PlanOptions(max_write_units_per_s=10_000))
    assert (above.duration_seconds, above.bound_by) == (free.duration_seconds, free.bound_by)  # the table is slower


def test_the_cap_times_a_gsi_that_writes_more_than_its_table():
    t = orders(gsis=[{"index_name": "All", "pk": "status", "projection": "ALL"}])
    m = measured(t, [(f"c{i}", str(i), f"s{i}", "x" * 1500) for i in range(1000)])  # 2 units each, index as much
    plan = plan_table(t, 1000, m, None, PRICES, PlanOptions(max_write_units_per_s=50))
    assert plan.write_units == plan.gsi_write_units == 2000
    assert plan.duration_seconds == pytest.approx(2000 / 50) and plan.bound_by == "your cap (50 WCU/s)"


def test_the_warm_option_chosen_times_the_table_at_the_warm_rate():
    t = orders()
    m = measured(t, [(f"c{i}", str(i), None, "x") for i in range(1000)])
    big = 10_000_000
    offered = plan_table(t, big, m, 1000 / big, PRICES, PlanOptions())
    assert offered.warm is not None and not offered.warmed
    assert offered.duration_seconds == pytest.approx(big / 4000)  # the option only: the table is created cold

    chosen = plan_table(t, big, m, 1000 / big, PRICES, PlanOptions(warm_throughput=True))
    assert chosen.warmed and chosen.warm == offered.warm
    assert chosen.duration_seconds == pytest.approx(offered.warm.duration_seconds)
    assert chosen.write_units_per_s == offered.warm.write_units_per_second == math.ceil(big / 300)
    plan = assemble([chosen], PRICES)
    assert plan.duration_seconds == chosen.duration_seconds
    assert "Orders is created with WarmThroughput" in plan.summary() and "Option for Orders" not in plan.summary()
    assert "created warm at" in plan.summary()  # the slowest table's rate, not a new table's

    # under a cap below a new table's rate, warming buys nothing: no option, the cap times the table
    slow = plan_table(t, big, m, 1000 / big, PRICES, PlanOptions(max_write_units_per_s=2000, warm_throughput=True))
    assert slow.warm is None and not slow.warmed
    assert slow.duration_seconds == pytest.approx(big / 2000) and slow.bound_by == "your cap (2,000 WCU/s)"
    # a cap between the two: the option is sized to the cap, no faster
    between = plan_table(t, big, m, 1000 / big, PRICES, PlanOptions(max_write_units_per_s=9000))
    assert between.warm is not None and between.warm.write_units_per_second == 9000
    assert between.warm.duration_seconds == pytest.approx(big / 9000, abs=0.01)


# ---- migrate, plan and live through the use cases -------------------------------------------------


@pytest.fixture
def req(settings, contract) -> Request:
    """A request on a workspace holding the Sakila contract, approved."""
    ws = Workspace(settings.workdir)
    ws.write_text("contract.json", open(contract, encoding="utf-8").read())
    record_approval(ws, "contract", "contract.json", "approved", None, None, current_sha256(ws, "contract"), via="test")
    return Request.of(settings, Caller.CLI)


async def test_a_capped_run_keeps_its_cap_and_stall_timeout_through_its_resumes(req, mp_dsn, aws, moto_server):
    with CapacityStandin(moto_server.url, Limits(table_wcu=4000, delay_s=0.002)) as standin:
        standin.set_limits(table_wcu=0)  # the tables take nothing: the run stops after the stall timeout
        with pytest.raises(ThrottledError) as info:  # within the guard only with the 1 s given (default 300 s)
            await asyncio.wait_for(execution.migrate(
                req, None, mp_dsn.url(), endpoint_url=standin.url, tables=TABLES, confirm=True,
                max_write_units_per_s=300, stall_timeout_s=1), timeout=120)
        assert "succeeded for" in info.value.why
        (run_id,) = RunDir.list_runs(req.workspace.root)
        run = RunDir.open(req.workspace.root, run_id)
        assert run.load_settings() == RunSettings(max_write_units_per_s=300, stall_timeout_s=1)
        assert json.loads(run.settings_path.read_text()) == {"max_write_units_per_s": 300.0, "stall_timeout_s": 1.0}

        standin.set_limits(table_wcu=4000)
        outcome = await execution.migrate(req, None, mp_dsn.url(), endpoint_url=standin.url, tables=TABLES,
                                          resume=run_id, confirm=True)  # neither value given: the run's own
    report = outcome.result
    assert report.ok and report.run_id == run_id and report.verify["ok"]
    assert {t.table: t.written for t in report.table_rows} == {"Staff": 2, "Actors": 200}
    assert all(t.capacity_wcu_per_s == 4000 for t in report.table_rows)  # copied through the stand-in, paced
    assert report.plan.max_write_units_per_s == 300
    assert {t.table: t.bound_by for t in report.plan.table_plans} == dict.fromkeys(TABLES, "your cap (300 WCU/s)")
    assert run.load_settings() == RunSettings(max_write_units_per_s=300, stall_timeout_s=1)
    engine = run.load_settings().copy_options(CopyOptions(tables_in_parallel=2))  # what the copy engine is given
    assert (engine.max_write_units_per_s, engine.stall_timeout_s, engine.tables_in_parallel) == (300, 1, 2)

    # a new value given on resume replaces the kept one; the other stays
    await execution.migrate(req, None, mp_dsn.url(), endpoint_url=aws.endpoint_url, tables=TABLES, resume=run_id,
                            confirm=True, max_write_units_per_s=500)
    assert run.load_settings() == RunSettings(max_write_units_per_s=500, stall_timeout_s=1)


async def test_a_migrate_with_a_cap_runs_to_the_end_on_moto(req, mp_dsn, aws):
    outcome = await execution.migrate(req, None, mp_dsn.url(), endpoint_url=aws.endpoint_url, tables=["Staff"],
                                      confirm=True, max_write_units_per_s=50)
    report = outcome.result
    assert report.ok and report.verify["ok"] and report.total.written == 2
    assert RunDir.open(req.workspace.root, report.run_id).load_settings().max_write_units_per_s == 50


@pytest.mark.parametrize("argument,value", [("max_write_units_per_s", 0), ("max_write_units_per_s", -5),
                                            ("stall_timeout_s", 0), ("stall_timeout_s", -5),
                                            ("max_write_units_per_s", float("nan"))])
async def test_a_bad_value_is_refused_naming_the_argument_and_nothing_is_written(req, mp_dsn, aws, argument, value):
    calls = [
        lambda: execution.migrate(req, None, mp_dsn.url(), endpoint_url=aws.endpoint_url, tables=["Staff"],
                                  confirm=True, **{argument: value}),
        lambda: live.start(req, None, mp_dsn.url(), endpoint_url=aws.endpoint_url, confirm=True, **{argument: value}),
    ]
    if argument == "max_write_units_per_s":
        calls.append(lambda: execution.plan(req, None, mp_dsn.url(), ["Staff"], max_write_units_per_s=value))
    for call in calls:
        with pytest.raises(InputError) as info:
            await call()
        assert info.value.where.startswith(argument) and "above 0" in info.value.remedy
    assert not req.workspace.exists("runs")
    assert aws.client("dynamodb").list_tables()["TableNames"] == []


# ---- the front ends ----------------------------------------------------------------------------------


async def test_the_mcp_tools_take_the_cap_and_the_stall_timeout(mcp_client, req, mp_dsn, aws):
    args = {"dsn": mp_dsn.url(), "endpoint_url": aws.endpoint_url, "tables": ["Staff"]}
    res = await mcp_client.call_tool("migrate", {**args, "confirm": True, "max_write_units_per_s": 250,
                                                 "stall_timeout_s": 120})
    report = res.structured_content
    assert report["ok"] and report["plan"]["max_write_units_per_s"] == 250
    assert RunDir.open(req.workspace.root, report["run_id"]).load_settings() == RunSettings(
        max_write_units_per_s=250, stall_timeout_s=120)

    res = await mcp_client.call_tool("plan_migration", {"dsn": mp_dsn.url(), "tables": ["Staff"],
                                                        "max_write_units_per_s": 1})
    assert [t["bound_by"] for t in res.structured_content["tables"]] == ["your cap (1 WCU/s)"]

    for tool in ("migrate", "start_cdc"):
        with pytest.raises(ToolError) as info:
            await mcp_client.call_tool(tool, {"dsn": mp_dsn.url(), "endpoint_url": aws.endpoint_url,
                                              "stall_timeout_s": -5, "confirm": True})
        assert json.loads(str(info.value))["where"].startswith("stall_timeout_s"), tool
    assert RunDir.list_runs(req.workspace.root) == [report["run_id"]]


def test_the_cli_takes_the_cap_and_the_stall_timeout(req, mp_dsn, aws):
    workdir = str(req.workspace.root)
    common = ["--dsn", mp_dsn.url(), "--endpoint-url", aws.endpoint_url, "--tables", "Staff"]
    res = runner.invoke(app, ["--workdir", workdir, "migrate", *common, "--yes", "--json", "--max-wcu", "150",
                              "--stall-timeout", "90"], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["ok"] and "your cap (150 WCU/s)" in res.stderr  # the plan, printed first
    assert RunDir.open(workdir, report["run_id"]).load_settings() == RunSettings(
        max_write_units_per_s=150, stall_timeout_s=90)

    res = runner.invoke(app, ["--workdir", workdir, "plan", "--dsn", mp_dsn.url(), "--tables", "Staff",
                              "--max-wcu", "1", "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    assert [t["bound_by"] for t in json.loads(res.stdout)["tables"]] == ["your cap (1 WCU/s)"]

    bad = {"max_write_units_per_s (--max-wcu)": ["--max-wcu", "0"], "stall_timeout_s (--stall-timeout)": [
        "--stall-timeout=-5"], "max_write_units_per_s (--max-wcu): -5": ["--cdc", "--max-wcu=-5"]}  # --cdc: run_live
    for named, args in bad.items():
        res = runner.invoke(app, ["--workdir", workdir, "migrate", *common, "--yes", *args], catch_exceptions=False)
        assert res.exit_code == 2 and named in res.stderr, (args, res.stdout, res.stderr)
    assert RunDir.list_runs(workdir) == [report["run_id"]]
