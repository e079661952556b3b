"""The stage 3 commands through the real CLI (typer's runner): views, tables, plan, migrate, verify.
What writes needs both an approved contract (`gates approve contract`) and --yes."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from mysql2ddb.server.cli.main import app
from mysql2ddb.tools.core.approvals import record_approval
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.modeling.gate_views import current_sha256


runner = CliRunner()


def run(workdir, *args: str):
    return runner.invoke(app, ["--workdir", str(workdir), *args], catch_exceptions=False)


def approved(workdir, contract: str) -> str:
    """The contract copied into the workspace and approved there (bound to its hash, as the gates do)."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(contract, workdir / "contract.json")
    ws = Workspace(workdir)
    record_approval(ws, "contract", "contract.json", "approved", None, None, current_sha256(ws, "contract"), via="test")
    return str(workdir / "contract.json")


def test_views_prints_the_sql_without_creating_anything(sakila_dsn, contract, workdir):
    res = run(workdir, "views", contract, "--dsn", sakila_dsn.url())
    assert res.exit_code == 0, res.stderr
    assert res.stdout.count("CREATE OR REPLACE VIEW") == 7
    assert "`ddb_films_view`" in res.stdout
    res = run(workdir, "views", contract, "--dsn", sakila_dsn.url(), "--json")
    assert sorted(json.loads(res.stdout)["views"]) == sorted(
        f"ddb_{t}_view" for t in ("films", "categoryfilms", "customerrentals", "inventory", "payments", "actors", "staff"))


def test_plan_measures_every_table_and_names_the_slowest(sakila_dsn, contract, workdir):
    res = run(workdir, "plan", contract, "--dsn", sakila_dsn.url(), "--json")
    assert res.exit_code == 0, res.stderr
    plan = json.loads(res.stdout)
    items = {t["table"]: t["items"] for t in plan["tables"]}
    assert items == {"Films": 1000, "CategoryFilms": 1000, "CustomerRentals": 16643, "Inventory": 4581,
                     "Payments": 16049, "Actors": 200, "Staff": 2}
    assert plan["total_items"] == 39_475 and plan["slowest_table"] in items
    staff = next(t for t in plan["tables"] if t["table"] == "Staff")
    assert staff["max_item_bytes"] > 36_365  # staff 1's picture is 36,365 raw bytes
    assert staff["measured"] == "all"
    res = run(workdir, "plan", contract, "--dsn", sakila_dsn.url())
    assert "Slowest table" in res.stdout and "Copy plan" in res.stdout


def test_migrate_needs_an_approved_contract_and_yes(mp_dsn, contract, workdir, aws):
    args = ["migrate", contract, "--dsn", mp_dsn.url(), "--endpoint-url", aws.endpoint_url, "--tables", "Staff,Actors"]
    res = run(workdir, *args, "--yes", "--json")  # --yes is consent, not an approval
    assert res.exit_code == 2
    assert "`contract` gate" in res.stderr and "gates approve contract" in res.stderr
    approved(workdir, contract)
    res = run(workdir, *args, "--json")  # the approval is not consent
    assert res.exit_code == 2 and "--yes" in res.stderr
    assert aws.client("dynamodb").list_tables()["TableNames"] == []

    res = run(workdir, *args, "--yes", "--json")  # the shared file equals the approved contract.json
    assert res.exit_code == 0, res.stderr
    report = json.loads(res.stdout)
    assert {t["table"]: t["written"] for t in report["tables"]} == {"Staff": 2, "Actors": 200}
    assert {"table", "read", "written", "rejected", "retried", "seconds", "items_per_s"} <= set(report["tables"][0])
    assert [p["phase"] for p in report["phases"]][-4:] == ["views", "tables", "copy", "verify"]
    assert report["verify"]["ok"] and report["total"]["written"] == 202
    assert "Copy plan" in res.stderr  # the plan comes first, on stderr when stdout carries JSON

    res = run(workdir, "verify", contract, "--dsn", mp_dsn.url(), "--endpoint-url", aws.endpoint_url,
              "--tables", "Staff,Actors", "--json")
    assert res.exit_code == 0, res.stderr
    verdict = json.loads(res.stdout)
    assert verdict["ok"] is True
    assert {"table", "source_count", "target_count", "mismatches"} <= set(verdict["tables"][0])


def test_migrate_dry_run_prints_plan_sql_and_requests_and_writes_nothing(mp_dsn, contract, workdir, aws):
    res = run(workdir, "migrate", contract, "--dsn", mp_dsn.url(), "--endpoint-url", aws.endpoint_url,
              "--dry-run", "--json")
    assert res.exit_code == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["dry_run"] is True and report["plan"]["total_items"] == 39_475
    assert len(report["views_sql"]) == 7 and len(report["table_requests"]) == 7
    assert aws.client("dynamodb").list_tables()["TableNames"] == []
    assert not (workdir / "runs").exists()
    res = run(workdir, "migrate", contract, "--dsn", mp_dsn.url(), "--dry-run", "--tables", "Staff")
    assert res.exit_code == 0
    assert "CREATE OR REPLACE VIEW" in res.stdout and '"TableName": "Staff"' in res.stdout


def test_embedded_endpoint_runs_a_moto_server_for_the_run_and_says_so(mp_dsn, contract, workdir):
    approved(workdir, contract)
    res = run(workdir, "migrate", "--dsn", mp_dsn.url(), "--endpoint-url", "embedded",
              "--tables", "Staff", "--yes", "--json")
    assert res.exit_code == 0, res.stderr
    assert "embedded AWS endpoint: moto server at http://127.0.0.1:" in res.stderr
    report = json.loads(res.stdout)
    assert report["verify"]["ok"] and report["tables"][0]["written"] == 2
    assert run(workdir, "local", "stop", "--yes").exit_code == 0  # the workspace's endpoint outlives the run


def test_verify_on_the_embedded_endpoint_explains_why_it_cannot(contract, workdir, sakila_dsn):
    res = run(workdir, "verify", contract, "--dsn", sakila_dsn.url(), "--endpoint-url", "embedded")
    assert res.exit_code == 2
    assert "previous" in res.stderr and "migrate" in res.stderr


def test_tables_prints_requests_then_creates_and_reuses(sakila_dsn, contract, workdir, aws):
    res = run(workdir, "tables", contract, "--dsn", sakila_dsn.url())
    requests = json.loads(res.stdout)["tables"]
    films = next(r for r in requests if r["TableName"] == "Films")
    assert films["BillingMode"] == "PAY_PER_REQUEST"
    assert {"AttributeName": "film_id", "AttributeType": "N"} in films["AttributeDefinitions"]
    args = ["tables", contract, "--dsn", sakila_dsn.url(), "--endpoint-url", aws.endpoint_url, "--apply", "--yes"]
    assert run(workdir, *args).exit_code == 2  # not approved: nothing created
    assert aws.client("dynamodb").list_tables()["TableNames"] == []
    approved(workdir, contract)
    assert run(workdir, *args).exit_code == 0
    assert len(aws.client("dynamodb").list_tables()["TableNames"]) == 7
    again = run(workdir, *args, "--json")
    assert again.exit_code == 0, again.stderr
