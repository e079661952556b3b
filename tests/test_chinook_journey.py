"""A second schema through the whole CLI journey, with no query log: Chinook's schema defaults,
the RPS the user gives, the recommended design, every gate in order, the contract checked
against the live database, then views, tables, copy and verification on a moto server."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mysql2ddb.server.cli.main import app
from mysql2ddb.tools.usecases import corpora
from tests.conftest import dsn_for

runner = CliRunner()


@pytest.fixture(scope="session")
def chinook_copy():
    """Our own Chinook: migrate creates its views here, never in the shared m2d_chinook."""
    dsn = dsn_for("m2d_mp_chinook")
    corpora.ensure_chinook(dsn)
    return dsn


def cli(workdir, *args: str) -> dict:
    res = runner.invoke(app, ["--workdir", str(workdir), *args, "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_chinook_from_schema_defaults_to_verified_items(chinook_copy, aws, workdir):
    dsn = chinook_copy.url()
    schema = cli(workdir, "analyze", "schema", "--dsn", dsn)
    assert len(schema["tables"]) == 11
    patterns = cli(workdir, "model", "patterns", "build", "--from-schema")["patterns"]
    assert patterns and all(p["rps_peak"] is None for p in patterns)  # never invented
    for n, pattern in enumerate(patterns, start=1):
        cli(workdir, "model", "patterns", "set-rps", pattern["id"], "--peak", str(10 * n))
    design = cli(workdir, "model", "recommend")
    assert design["validation"]["valid"] is True and design["needs_rps"] == []
    assert all(p["covered"] and not p["scan"] for p in design["validation"]["patterns"])
    cli(workdir, "gates", "approve", "requirements")
    for table in cli(workdir, "gates", "list")["pending_tables"]:
        assert cli(workdir, "gates", "approve", f"table:{table}")["decision"] == "approved"
    assert cli(workdir, "gates", "approve", "design")["next"].startswith("generate the contract (mysql2ddb model contract")
    contract = cli(workdir, "model", "contract", "--dsn", dsn)
    assert contract["validation"]["valid"] is True
    assert cli(workdir, "gates", "approve", "contract")["state"] == "approved"
    assert cli(workdir, "gates", "list")["stale"] == []
    report = cli(workdir, "migrate", str(workdir / "contract.json"), "--dsn", dsn,
                 "--endpoint-url", aws.endpoint_url, "--yes")
    assert report["ok"] is True and report["verify"]["ok"] is True
    assert report["total"]["written"] == report["total"]["read"] > 15_000
    assert report["total"]["rejected"] == 0
