"""Query-log analysis on the shared Sakila workload capture: the general and slow logs yield
exactly the 9 access patterns of truth.json (AP6 one two-statement transaction), the digest
export the same with AP6's INSERTs as two patterns. Our pattern ids are mapped to the truth by
matching example statements to the SQL in workload.py, never by our own output."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mysql2ddb.server.cli.main import app as cli_app
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.analysis.logs.analyze import analyze_logs, write_log_artifacts
from mysql2ddb.tools.analysis.logs.model import LogAnalysis
from tests.log_support import match_statement, statement_candidates, truth_counts

FILES = {"general": "general.log.gz", "slow": "slow.log.gz", "digest": "performance_schema_digest.tsv"}


@pytest.fixture(scope="module")
def analyses(capture_dir) -> dict[str, LogAnalysis]:
    return {kind: analyze_logs([capture_dir / name]) for kind, name in FILES.items()}


@pytest.fixture
def settings(workdir, capture_dir):
    """The MCP server may read the shared capture (MYSQL2DDB_READ_DIRS), as a user would allow it."""
    from mysql2ddb.tools.core.settings import Settings

    return Settings(workdir=workdir, read_dirs=[capture_dir])


@pytest.fixture(scope="module")
def candidates(sakila_dir):
    return statement_candidates(sakila_dir / "workload.py")


def _mapped(analysis: LogAnalysis, candidates) -> dict[str, list]:
    """truth AP id -> our patterns whose statements are that AP's SQL."""
    out: dict[str, list] = {}
    for pattern in analysis.patterns:
        keys = [match_statement(s.example, candidates) for s in pattern.statements]
        aps = {ap for ap, _ in keys}
        assert len(aps) == 1, f"{pattern.id} mixes {aps}"
        out.setdefault(aps.pop(), []).append((pattern, [i for _, i in keys]))
    return out


@pytest.mark.parametrize("kind", ["general", "slow"])
def test_logs_yield_the_nine_patterns_with_true_counts(kind, analyses, candidates, capture_dir):
    analysis = analyses[kind]
    truth = truth_counts(capture_dir)
    assert len(analysis.patterns) == 9
    mapped = _mapped(analysis, candidates)
    assert set(mapped) == set(truth)
    for ap, found in mapped.items():
        assert len(found) == 1, f"{ap} split into {[p.id for p, _ in found]}"
        pattern, order = found[0]
        assert pattern.count == truth[ap], (ap, pattern.id, pattern.count)
        assert pattern.rolled_back == 0
        if ap == "AP6":
            assert pattern.transaction and pattern.kind == "write" and order == [0, 1]
            assert [s.tables[0] for s in pattern.statements] == ["rental", "payment"]
            assert [s.count for s in pattern.statements] == [truth[ap], truth[ap]]
            assert all(s.repeats.min == s.repeats.max == 1 for s in pattern.statements)
        else:
            assert not pattern.transaction and len(pattern.statements) == 1
            assert pattern.statements[0].count == truth[ap]
    assert [p.id for p in analysis.patterns] == [f"AP{i}" for i in range(1, 10)]
    assert [p.count for p in analysis.patterns] == sorted((p.count for p in analysis.patterns), reverse=True)


@pytest.mark.parametrize("kind", ["general", "slow"])
def test_commits_and_session_statements_are_noise(kind, analyses, capture_dir):
    analysis = analyses[kind]
    ops = json.loads((capture_dir / "truth.json").read_text())["ops"]
    # one COMMIT after every operation, a second one inside AP6/AP7 (empty, hence noise only)
    assert analysis.noise["COMMIT"] == ops + truth_counts(capture_dir)["AP6"] + truth_counts(capture_dir)["AP7"]
    assert analysis.noise["SET"] >= 2  # SET NAMES, SET AUTOCOMMIT
    assert analysis.unparsed.count == 0 and not analysis.partial
    assert analysis.statements == sum(truth_counts(capture_dir).values()) + truth_counts(capture_dir)["AP6"]
    assert analysis.transactions == truth_counts(capture_dir)["AP6"]


@pytest.mark.parametrize("kind", ["general", "slow"])
def test_rates_come_from_the_log_timestamps(kind, analyses):
    analysis = analyses[kind]
    w = analysis.window
    assert w.start.startswith("2026-11-22T17:30:38") and w.end.startswith("2026-11-22T17:30:48")
    assert w.seconds == 10
    for p in analysis.patterns:
        assert p.rps_avg == pytest.approx(p.count / 10, abs=1e-3)
        assert p.rps_avg <= p.rps_peak <= p.count
    assert max(p.rps_peak for p in analysis.patterns) <= w.rps_peak


def test_slow_log_has_latency_and_the_general_log_has_none(analyses):
    for p in analyses["slow"].patterns:
        lat = p.latency
        assert lat.samples == p.count
        assert 0 < lat.query_time_avg_ms <= lat.query_time_max_ms
        assert lat.query_time_p95_ms <= lat.query_time_max_ms and lat.lock_time_avg_ms is not None
        assert lat.rows_examined_avg is not None
    ap1 = analyses["slow"].patterns[0]  # film by id: one row examined per look-up
    assert ap1.latency.rows_examined_avg == 1 and ap1.latency.rows_examined_max == 1
    assert all(p.latency is None for p in analyses["general"].patterns)


def test_digest_export_has_ap6_as_two_patterns(analyses, candidates, capture_dir):
    analysis = analyses["digest"]
    truth = truth_counts(capture_dir)
    assert len(analysis.patterns) == 10
    mapped = _mapped(analysis, candidates)
    assert set(mapped) == set(truth)
    for ap, found in mapped.items():
        assert all(not p.transaction for p, _ in found)
        if ap == "AP6":
            assert sorted(i for _, order in found for i in order) == [0, 1]
        else:
            assert len(found) == 1
        assert all(p.count == truth[ap] for p, _ in found)
    assert analysis.window.seconds == 10 and all(p.rps_peak is None for p in analysis.patterns)
    assert analysis.noise["COMMIT"] == 22839 and analysis.noise["DDL"] == 1  # TRUNCATE of the digest table
    assert all(p.latency.query_time_avg_ms > 0 for p in analysis.patterns)


def test_fingerprints_agree_across_the_three_sources(analyses):
    general = analyses["general"].fingerprint_counts()
    assert analyses["slow"].fingerprint_counts() == general
    assert analyses["digest"].fingerprint_counts() == general


def test_artifacts_and_registry_input(analyses, tmp_path):
    from mysql2ddb.tools.modeling.registry_sources import from_log_analysis

    ws = Workspace(tmp_path)
    written = write_log_artifacts(analyses["general"], ws)
    assert written == ["analysis/query_log.json", "01_2_mysql_log_analysis.md"]
    data = json.loads((tmp_path / "analysis" / "query_log.json").read_text())
    assert {"patterns", "noise", "window", "unparsed", "partial", "problems"} <= set(data)
    assert {"start", "end", "seconds"} <= set(data["window"])
    assert {"id", "fingerprint", "kind", "count", "tables", "rps_avg", "rps_peak", "example",
            "statements", "latency"} <= set(data["patterns"][0])
    report = (tmp_path / "01_2_mysql_log_analysis.md").read_text()
    assert "AP6: write transaction on rental, payment" in report and "COMMIT" in report
    registry = from_log_analysis(data)
    tx = [p for p in registry if p.operation == "transaction"]
    assert len(registry) == 9 and len(tx) == 1 and tx[0].entities[:2] == ["rental", "payment"]
    assert all(p.rps_average and p.rps_peak for p in registry)


def test_cli_json_output(capture_dir, workdir):
    res = CliRunner().invoke(cli_app, ["--workdir", str(workdir), "analyze", "log",
                                       str(capture_dir / "slow.log.gz"), "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert len(data["patterns"]) == 9 and data["noise"]["COMMIT"] == 22839
    assert {"start", "end", "seconds"} <= set(data["window"])
    tx = next(p for p in data["patterns"] if p["transaction"])
    assert [s["count"] for s in tx["statements"]] == [1632, 1632]
    assert (workdir / "01_2_mysql_log_analysis.md").is_file()


def test_cli_format_option_and_errors(capture_dir, workdir, tmp_path):
    runner = CliRunner()
    res = runner.invoke(cli_app, ["--workdir", str(workdir), "analyze", "log", "--format", "digest",
                                  str(capture_dir / "performance_schema_digest.tsv")])
    assert res.exit_code == 0 and "AP10" in res.stdout
    wrong = runner.invoke(cli_app, ["--workdir", str(workdir), "analyze", "log", "--format", "slow",
                                    str(capture_dir / "general.log.gz")])
    assert wrong.exit_code == 2 and "--format general" in wrong.stderr
    none = runner.invoke(cli_app, ["--workdir", str(workdir), "analyze", "log"])
    assert none.exit_code == 2 and "remedy" in none.stderr


async def test_mcp_tool(mcp_client, capture_dir):
    from fastmcp.exceptions import ToolError

    tool = next(t for t in await mcp_client.list_tools() if t.name == "analyze_query_log")
    assert tool.annotations.read_only_hint is True
    res = await mcp_client.call_tool("analyze_query_log", {"paths": [str(capture_dir / "general.log.gz")]})
    data = res.structured_content
    assert len(data["patterns"]) == 9 and "Access patterns" in res.content[0].text
    uri = next(u for u in data["artifacts"] if u.endswith("analysis/query_log.json"))
    stored = json.loads((await mcp_client.read_resource(uri))[0].text)
    assert stored["patterns"] == data["patterns"]
    with pytest.raises(ToolError) as err:
        await mcp_client.call_tool("analyze_query_log", {"paths": [str(capture_dir / "missing.log")]})
    detail = json.loads(str(err.value))
    assert detail["code"] == "not_found" and "missing.log" in detail["where"] and detail["remedy"]
