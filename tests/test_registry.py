"""The access-pattern registry: keys parsed from SQL, rates from the log window (never invented),
edits, rebuilds that keep the user's edits, schema defaults, storage, MCP tools and CLI."""

from __future__ import annotations

import json

import pytest
from fastmcp.exceptions import ToolError
from typer.testing import CliRunner

from mysql2ddb.tools.core.errors import ConflictError, InputError, NotFoundError, WorkflowError
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.modeling.registry import (
    Registry, add_pattern, edit_pattern, load_registry, remove_pattern, require_rps, save_registry, set_rps,
)
from mysql2ddb.tools.modeling.registry_sources import (
    from_log_analysis, merge_log_patterns, schema_default_patterns,
)
from mysql2ddb.tools.modeling.sql_keys import statement_keys
from tests.recommend_support import log_json, sakila_log, schema_for, workspace_with

TRUTH_IDS = [f"AP{i}" for i in range(1, 10)]


# ---- SQL keys --------------------------------------------------------------------------------


def test_keys_equality_order_limit_offset():
    k = statement_keys("SELECT f.film_id, f.title FROM film_category fc JOIN film f ON f.film_id = fc.film_id "
                       "WHERE fc.category_id = ? ORDER BY f.title DESC LIMIT 20 OFFSET 40")
    assert (k.statement, k.table, k.tables) == ("select", "film_category", ["film_category", "film"])
    assert [(e.table, e.column) for e in k.equality] == [("film_category", "category_id")]
    assert [(o.table, o.column, o.direction) for o in k.order_by] == [("film", "title", "DESC")]
    assert (k.limit, k.offset) == (20, True)
    assert [(a.table, a.column, b.table, b.column) for a, b in k.joins[0].pairs] == \
        [("film", "film_id", "film_category", "film_id")]


def test_keys_ranges_prefix_null_and_in():
    k = statement_keys("SELECT * FROM t WHERE a IN (1, 2) AND b BETWEEN 1 AND 5 AND 3 < c AND d LIKE 'Gr%' "
                       "AND e LIKE '%x' AND f IS NULL")
    assert [(e.column, e.in_list) for e in k.equality] == [("a", True)]
    assert [(r.column, r.operator) for r in k.ranges] == [("b", "between"), ("c", ">"), ("d", "prefix"), ("e", "like")]
    assert [n.column for n in k.null_checks] == ["f"]
    assert k.columns[0].column == "*"


def test_keys_join_conditions_use_table_names_and_aggregates():
    k = statement_keys("SELECT COUNT(*) FROM inventory i LEFT JOIN rental r ON r.inventory_id = i.inventory_id "
                       "AND r.return_date IS NULL WHERE i.film_id = 4 AND r.rental_id IS NULL")
    join = k.joins[0]
    assert (join.table, join.kind, join.conditions) == ("rental", "left", ["rental.return_date IS NULL"])
    assert k.aggregates == ["COUNT"] and [(n.table, n.column) for n in k.null_checks] == [("rental", "rental_id")]


def test_keys_writes_and_aliases():
    ins = statement_keys("INSERT INTO rental (rental_date, inventory_id) VALUES (NOW(6), ?)")
    assert (ins.statement, ins.table, [c.column for c in ins.columns]) == ("insert", "rental", ["rental_date", "inventory_id"])
    upd = statement_keys("UPDATE rental SET return_date = NOW() WHERE rental_id = 5")
    assert (upd.statement, [c.column for c in upd.columns], upd.equality_columns()) == \
        ("update", ["return_date"], ["rental_id"])
    sel = statement_keys("SELECT l.name AS language FROM film f JOIN language l ON l.language_id = f.language_id")
    assert (sel.columns[0].table, sel.columns[0].alias) == ("language", "language")
    assert statement_keys("SELECT FROM WHERE ((").parse_error  # reported, not raised


# ---- rates from the log --------------------------------------------------------------------


def _log(seconds=100.0):
    return {"window": {"start": "2026-01-01T00:00:00", "end": "2026-01-01T00:01:40", "seconds": seconds},
            "patterns": [
                {"id": "AP1", "kind": "read", "count": 600, "rps_peak": 12, "tables": ["film"],
                 "fingerprint": "SELECT * FROM film WHERE film_id = ?", "example": "SELECT * FROM film WHERE film_id = 7"},
                {"id": "AP2", "kind": "transaction", "count": 50, "rps_peak": 3, "statements": [
                    {"fingerprint": "INSERT INTO rental (customer_id) VALUES (?)"},
                    {"fingerprint": "INSERT INTO payment (customer_id, amount) VALUES (?, ?)"}]}]}


def test_rates_are_count_over_window_times_growth():
    p1, p2 = from_log_analysis(_log(), growth_factor=1.5)
    assert (p1.rps_average, p1.rps_peak) == (pytest.approx(600 / 100 * 1.5), pytest.approx(12 * 1.5))
    assert (p1.kind, p1.operation, p1.source, p1.count, p1.needs_rps) == ("read", "select", "log", 600, False)
    assert (p2.kind, p2.operation, p2.entities) == ("write", "transaction", ["rental", "payment"])
    assert [s.keys.table for s in p2.statements] == ["rental", "payment"]
    assert p1.description == "select film by film_id"


def test_unknown_window_leaves_rates_unknown():
    log = _log()
    del log["window"]
    for p in log["patterns"]:
        del p["rps_peak"]
    patterns = from_log_analysis(log)
    assert all(p.rps_average is None and p.rps_peak is None and p.needs_rps for p in patterns)
    with pytest.raises(WorkflowError) as err:
        require_rps(patterns)
    assert "AP1, AP2" in err.value.why and "set_pattern_rps" in err.value.remedy
    assert err.value.details["needs_rps"] == ["AP1", "AP2"]


def test_sakila_capture_rates(capture_dir):
    analysis = log_json(sakila_log(capture_dir))
    truth = json.loads((capture_dir / "truth.json").read_text())
    patterns = from_log_analysis(analysis, growth_factor=2.0)
    seconds = analysis["window"]["seconds"]
    by_count = {p.count: p for p in patterns}
    for ap, count in truth["counts"].items():
        p = by_count[count]
        assert p.rps_average == pytest.approx(count / seconds * 2.0, rel=1e-3), ap
        assert p.rps_peak is not None and p.rps_peak >= p.rps_average
    rent = by_count[truth["counts"]["AP6"]]
    assert (rent.operation, rent.kind, len(rent.statements)) == ("transaction", "write", 2)
    require_rps(patterns)  # all measured


# ---- edits ------------------------------------------------------------------------------------


def test_add_edit_set_rps_remove():
    reg = Registry()
    p = add_pattern(reg, {"description": "orders of a customer", "sql": ["SELECT * FROM orders WHERE customer_id = ?"]})
    assert (p.id, p.needs_rps, p.kind, p.entities, p.source) == ("AP1", True, "read", ["orders"], "user")
    with pytest.raises(ConflictError):
        add_pattern(reg, {"id": "AP1", "description": "again"})
    with pytest.raises(InputError):
        add_pattern(reg, {"description": "bad", "rps_peak": -1})
    with pytest.raises(InputError):
        add_pattern(reg, {"description": "bad", "rps_peak": 1, "rps_average": 5})
    p = set_rps(reg, "AP1", 40)
    assert (p.rps_peak, p.rps_average, p.needs_rps) == (40, 40, False) and "peak" in p.notes[0]
    p = edit_pattern(reg, "AP1", {"latency_ms": 20, "consistency": "STRONG",
                                  "sql": ["UPDATE orders SET state = ? WHERE order_id = ?"]})
    assert (p.latency_ms, p.consistency, p.kind, p.operation) == (20, "STRONG", "write", "update")
    assert {"latency_ms", "consistency", "statements"} <= set(p.user_fields)
    with pytest.raises(InputError):
        edit_pattern(reg, "AP1", {"count": 3})
    with pytest.raises(NotFoundError):
        edit_pattern(reg, "AP9", {"description": "x"})
    remove_pattern(reg, "AP1")
    assert reg.patterns == []


def test_rebuild_keeps_user_edits_and_user_patterns():
    reg = merge_log_patterns(Registry(), _log())
    edit_pattern(reg, "AP1", {"description": "film page", "latency_ms": 15})
    add_pattern(reg, {"id": "AP9", "description": "nightly report", "rps_peak": 0.01})
    rebuilt = merge_log_patterns(reg, _log(seconds=50.0), growth_factor=1.0)
    first = rebuilt.get("AP1")
    assert (first.description, first.latency_ms, first.rps_average) == ("film page", 15, 12.0)
    assert rebuilt.get("AP9").description == "nightly report" and rebuilt.window.seconds == 50.0


def test_storage_roundtrip(tmp_path):
    ws = Workspace(tmp_path)
    assert load_registry(ws).patterns == []
    reg = merge_log_patterns(Registry(), _log())
    save_registry(ws, reg)
    data = ws.read_json("access_patterns.json")
    assert [p["id"] for p in data["patterns"]] == ["AP1", "AP2"] and data["window"]["seconds"] == 100.0
    assert load_registry(ws) == reg
    ws.write_text("access_patterns.json", '{"patterns": [{"id": 3}]}')
    with pytest.raises(InputError):
        load_registry(ws)


def test_schema_defaults_need_rps(chinook_dsn):
    patterns = schema_default_patterns(schema_for(chinook_dsn))
    assert patterns and all(p.needs_rps and p.source == "schema" for p in patterns)
    descriptions = [p.description for p in patterns]
    assert "get Album by AlbumId" in descriptions
    assert "list Track of an Album (by AlbumId)" in descriptions
    track = next(p for p in patterns if p.description == "list Track of an Album (by AlbumId)")
    assert track.statements[0].keys.equality_columns() == ["AlbumId"]


# ---- MCP tools and CLI ----------------------------------------------------------------------


async def test_mcp_registry_tools(mcp_client, workdir):
    with pytest.raises(ToolError, match="analyze_query_log"):
        await mcp_client.call_tool("build_access_patterns", {})
    workspace_with(workdir, log=_log())
    res = await mcp_client.call_tool("build_access_patterns", {"growth_factor": 2.0})
    assert [p["rps_average"] for p in res.structured_content["patterns"]] == [12.0, 1.0]
    res = await mcp_client.call_tool("add_access_pattern", {
        "description": "customer by email", "sql": ["SELECT * FROM customer WHERE email = ?"]})
    assert "Needs RPS from the user: AP3" in res.content[0].text
    res = await mcp_client.call_tool("set_pattern_rps", {"pattern_id": "AP3", "rps_peak": 5, "rps_average": 2})
    listed = (await mcp_client.call_tool("list_access_patterns", {})).structured_content
    assert [p["id"] for p in listed["patterns"]] == ["AP1", "AP2", "AP3"]
    assert listed["patterns"][2]["rps_average"] == 2 and not listed["patterns"][2]["needs_rps"]
    await mcp_client.call_tool("edit_access_pattern", {"pattern_id": "AP3", "latency_ms": 30})
    await mcp_client.call_tool("remove_access_pattern", {"pattern_id": "AP2"})
    data = Workspace(workdir).read_json("access_patterns.json")
    assert [(p["id"], p["latency_ms"]) for p in data["patterns"]] == [("AP1", None), ("AP3", 30)]
    with pytest.raises(ToolError, match="not_found"):
        await mcp_client.call_tool("set_pattern_rps", {"pattern_id": "AP7", "rps_peak": 1})


def test_cli_patterns(tmp_path):
    from mysql2ddb.server.cli.main import app

    workspace_with(tmp_path, log=_log())
    runner = CliRunner()
    base = ["--workdir", str(tmp_path), "model", "patterns"]
    out = runner.invoke(app, base + ["build", "--growth", "1.5", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["growth_factor"] == 1.5
    out = runner.invoke(app, base + ["add", "top films", "--sql", "SELECT * FROM film ORDER BY rental_rate DESC"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, base + ["set-rps", "AP3", "--peak", "9", "--average", "3", "--json"])
    assert json.loads(out.stdout)["patterns"][2]["rps_peak"] == 9
    out = runner.invoke(app, base + ["set-rps", "AP8", "--peak", "9"])
    assert out.exit_code == 2 and "AP8" in out.output
    out = runner.invoke(app, base + ["list", "--json"])
    assert [p["id"] for p in json.loads(out.stdout)["patterns"]] == ["AP1", "AP2", "AP3"]
