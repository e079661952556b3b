"""The context document: rendered from the live Sakila schema analysis and its workload capture
(snapshot), with needs-RPS patterns called out, StrictUndefined, and the MCP tool / CLI."""

from __future__ import annotations

import pytest
from fastmcp.exceptions import ToolError
from jinja2 import UndefinedError
from typer.testing import CliRunner

from mysql2ddb.prompts import render
from mysql2ddb.tools.modeling.context import TEMPLATE, build_context, context_data
from mysql2ddb.tools.modeling.registry import Registry, add_pattern
from mysql2ddb.tools.modeling.registry_sources import schema_default_patterns
from tests.recommend_support import sakila_log, sakila_registry, schema_for, workspace_with
from tests.snapshot import assert_snapshot


def test_sakila_context_snapshot(sakila_dsn, capture_dir):
    text = build_context(schema_for(sakila_dsn), sakila_registry(capture_dir), sakila_log(capture_dir))
    for heading in ("## Application Overview", "## Access Patterns Summary", "## Entity Relationships",
                    "## Current MySQL Schema", "## Performance Data", "## Design Constraints and Preferences"):
        assert heading in text
    assert "customer → rental: 1:N on rental(customer_id), max 46 / avg 26.79 children per parent" in text
    assert "actor ↔ film: M:N through film_actor" in text
    assert "| Pattern | Description | RPS (Peak/Avg) | Type | Entities | Requirements |" in text
    assert "Needs RPS" not in text  # every pattern was measured
    assert_snapshot("context/sakila_mcp_context.md", text)


def test_patterns_without_rates_are_asked_for(chinook_dsn):
    schema = schema_for(chinook_dsn)
    registry = Registry(patterns=schema_default_patterns(schema))
    add_pattern(registry, {"description": "invoices of a customer, newest first", "rps_peak": 12, "rps_average": 4,
                           "latency_ms": 25, "sql": ["SELECT * FROM Invoice WHERE CustomerId = ? ORDER BY InvoiceDate DESC"]})
    text = build_context(schema, registry)
    assert "[USER PROVIDED: needs RPS]" in text
    assert "**Needs RPS from the user**: AP1, AP2" in text
    assert "| 12 / 4 |" in text and "<25 ms latency" in text
    assert "No query log was analysed" in text


def test_template_is_strict(sakila_dsn, capture_dir):
    data = context_data(schema_for(sakila_dsn), sakila_registry(capture_dir))
    del data["relationships"]
    with pytest.raises(UndefinedError):
        render(TEMPLATE, **data)


async def test_build_context_document_tool(mcp_client, workdir, sakila_dsn, capture_dir):
    with pytest.raises(ToolError, match="analyze_schema"):
        await mcp_client.call_tool("build_context_document", {})
    ws = workspace_with(workdir, schema_for(sakila_dsn), sakila_log(capture_dir))
    await mcp_client.call_tool("build_access_patterns", {})
    res = await mcp_client.call_tool("build_context_document", {})
    assert res.structured_content["path"] == "mcp_context.md" and res.structured_content["patterns"] == 9
    assert ws.read_text("mcp_context.md").startswith("# MCP Context Document: `m2d_sakila`")


def test_cli_context(tmp_path, sakila_dsn, capture_dir):
    from mysql2ddb.server.cli.main import app

    workspace_with(tmp_path, schema_for(sakila_dsn), sakila_log(capture_dir))
    runner = CliRunner()
    assert runner.invoke(app, ["--workdir", str(tmp_path), "model", "patterns", "build"]).exit_code == 0
    out = runner.invoke(app, ["--workdir", str(tmp_path), "model", "context"])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "mcp_context.md").read_text() == build_context(
        schema_for(sakila_dsn), sakila_registry(capture_dir), sakila_log(capture_dir))
