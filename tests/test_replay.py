"""Replay on Sakila through the product's own path: the shared capture analysed, the recommended
design, its generated contract, each gate approved through the gates use case, the tables the read
patterns use migrated into a moto server, then replay with the same log: every read pattern
answers as MySQL does, over at least 20 real parameter sets. A deliberately wrong design and
contract give `differing` and `not_servable` results that name the pattern and why."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mysql2ddb.server.cli.main import app
from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.render import to_markdown
from mysql2ddb.tools.core.settings import Settings
from mysql2ddb.tools.modeling.gate_views import table_order
from mysql2ddb.tools.usecases import analysis, corpora, execution, gates, modeling, replay
from mysql2ddb.tools.usecases.request import Request
from tests.conftest import dsn_for

DATABASE = "m2d_replay"  # our own Sakila: views are created in it
SAMPLES = 20


def approve(req: Request, gate: str) -> None:
    shown = gates.review(req, gate, full=False)
    gates.record(req, gate, "approved", shown.review_sha256, feedback="approved by tests/test_replay.py", via="test")


@pytest.fixture(scope="module")
async def migrated(tmp_path_factory, moto_server, capture_dir):
    """A workspace whose recommended design was migrated (the tables its read patterns use)."""
    moto_server.reset()
    dsn = dsn_for(DATABASE)
    corpora.ensure_sakila(dsn)
    log = str(capture_dir / "general.log.gz")
    req = Request.of(Settings(workdir=tmp_path_factory.mktemp("replay") / "work"), Caller.CLI)
    await analysis.analyze_schema(req, dsn.url())
    await analysis.analyze_query_log(req, [log])
    modeling.build_patterns(req)
    approve(req, "requirements")
    modeling.recommend(req)
    for table in table_order(req.workspace):
        approve(req, f"table:{table}")
    approve(req, "design")
    await modeling.generate_contract(req, dsn.url())
    approve(req, "contract")
    design = req.workspace.read_json("design.json")
    reads = {p["id"] for p in req.workspace.read_json("access_patterns.json")["patterns"] if p["kind"] == "read"}
    tables = sorted({op["table"] for m in design["pattern_mappings"] if m["pattern_id"] in reads
                     for op in m["operations"] if op.get("table")})
    report = (await execution.migrate(req, None, dsn.url(), endpoint_url=moto_server.url, region="us-east-1",
                                      tables=tables, no_verify=True, confirm=True)).result
    assert report.ok, report.summary()
    return req, dsn, moto_server.url, log


async def test_every_read_pattern_answers_as_mysql_does(migrated):
    req, dsn, url, log = migrated
    outcome = await replay.replay(req, log=log, samples=SAMPLES, dsn=dsn.url(), endpoint_url=url, region="us-east-1")
    report = outcome.result
    reads = report.reads
    assert len(reads) >= 5, report.summary()
    for p in reads:
        assert p.status == "matched" and p.samples >= SAMPLES and p.matched == p.samples, (p.pattern_id, p.verdict())
        assert p.from_log >= 1, p  # the capture's own statements, topped up from the data only when it has too few
        assert p.read_units_per_call and p.units_source == "computed from item sizes" and p.estimated_read_units
    assert {p.status for p in report.patterns if p.kind == "write"} == {"skipped"}
    assert report.ok and "answer as MySQL does" in report.summary()
    saved = json.loads(req.workspace.path("replay/report.json").read_text())
    assert [p["pattern_id"] for p in saved["patterns"]] == [p.pattern_id for p in report.patterns]
    assert "| matched |" in to_markdown(report)


def _pattern(req: Request, words: str) -> str:
    return next(p["id"] for p in req.workspace.read_json("access_patterns.json")["patterns"]
                if words in (p.get("example") or ""))


async def test_a_wrong_design_names_the_pattern_and_why(migrated):
    req, dsn, url, log = migrated
    design = req.workspace.read_json("design.json")
    contract = req.workspace.read_json("contract.json")
    newest = _pattern(req, "ORDER BY r.rental_date DESC")  # a customer's newest rentals
    by_film = _pattern(req, "WHERE f.film_id =")  # one film by its id
    by_prefix = _pattern(req, "LIKE")  # actors by a last-name prefix
    for mapping in design["pattern_mappings"]:
        op = mapping["operations"][0]
        if mapping["pattern_id"] == newest:
            op["scan_forward"] = True  # the wrong end of the sort key: the oldest rentals
        if mapping["pattern_id"] == by_film:
            op["key_condition"]["pk_value"] = ":title"  # keyed on what the statement does not give
    for table in contract["tables"]:
        if table["table"] == "Actors":
            table["attributes"] = [a for a in table["attributes"] if a["name"] != "first_name"]
    req.workspace.write_json("wrong/design.json", design)
    req.workspace.write_json("wrong/contract.json", contract)

    report = (await replay.replay(req, log=log, samples=5, dsn=dsn.url(), endpoint_url=url, region="us-east-1",
                                  design=str(req.workspace.path("wrong/design.json")),
                                  contract=str(req.workspace.path("wrong/contract.json")))).result
    got = {p.pattern_id: p for p in report.patterns}
    assert not report.ok
    assert got[newest].status == "differing" and got[newest].differing == got[newest].samples
    assert got[newest].diffs[0].order and got[newest].diffs[0].missing, got[newest].diffs[0]
    assert got[by_film].status == "not_servable" and "title" in (got[by_film].why or "")
    assert got[by_prefix].status == "differing"
    assert any(d["attribute"] == "first_name" for d in got[by_prefix].diffs[0].attributes)
    summary = report.summary()
    assert f"{newest} differs" in summary and f"{by_film} cannot be replayed" in summary and "title" in summary


async def test_a_log_whose_values_find_nothing_is_topped_up_with_rows(migrated, tmp_path):
    """Matching on empty answers proves nothing: when every logged parameter set of a pattern finds no
    row, replay takes more from rows that meet the statement, and says so."""
    import re

    req, dsn, url, _ = migrated
    by_film = _pattern(req, "WHERE f.film_id =")
    example = next(p["example"] for p in req.workspace.read_json("access_patterns.json")["patterns"]
                   if p["id"] == by_film)
    log = tmp_path / "nothing.log"
    statements = [re.sub(r"film_id = \d+", f"film_id = {99990 + i}", example) for i in range(3)]
    assert statements[0] != example
    lines = [f"2026-12-05T10:00:0{i}.000000Z\t   7 Query\t{text}" for i, text in enumerate(statements)]
    log.write_text("Time                 Id Command    Argument\n" + "\n".join(lines) + "\n")
    report = (await replay.replay(req, log=str(log), samples=3, dsn=dsn.url(), endpoint_url=url,
                                  region="us-east-1")).result
    got = next(p for p in report.patterns if p.pattern_id == by_film)
    assert got.status == "matched" and got.from_log == 3 and got.from_data >= 1 and got.with_rows >= 1, got
    assert any("returned no rows on MySQL" in n for n in got.notes), got.notes
    assert "none with rows" not in got.verdict() and "only on empty answers" not in report.summary()


def test_the_cli_replays_from_the_data_and_exits_by_the_verdict(migrated):
    req, dsn, url, _ = migrated
    result = CliRunner().invoke(app, ["--workdir", str(req.workspace.root), "replay", "--samples", "3", "--dsn",
                                      dsn.url(), "--endpoint-url", url, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    reads = [p for p in report["patterns"] if p["kind"] == "read"]
    assert report["log"] is None and all(p["from_data"] == p["samples"] == 3 for p in reads), reads
    assert {p["status"] for p in reads} == {"matched"}


async def test_the_mcp_tool_replays_read_only(migrated):
    from fastmcp import Client

    from mysql2ddb.server.app import create_server

    req, dsn, url, _ = migrated
    async with Client(create_server(req.settings)) as client:
        tools = {t.name: t for t in await client.list_tools()}
        assert tools["replay_access_patterns"].annotations.read_only_hint is True
        called = await client.call_tool("replay_access_patterns", {"samples": 2, "dsn": dsn.url(),
                                                                   "endpoint_url": url})
    data = called.structured_content
    assert data["artifacts"] == ["replay/report.json"]
    assert {p["status"] for p in data["patterns"] if p["kind"] == "read"} == {"matched"}
    assert "answer as MySQL does" in called.content[0].text
