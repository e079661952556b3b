"""MCP tools for the access-pattern registry, the context document, the recommended baseline
design and the contract generated from the approved design. Thin: each calls a core in
tools/modeling and returns structured content plus markdown."""

from __future__ import annotations

from typing import Any, Literal

from fastmcp import FastMCP
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, annotations, in_thread, mapped, result
from mysql2ddb.tools.modeling import registry as reg
from mysql2ddb.tools.modeling import steps


def register(app: FastMCP, deps: Deps) -> None:
    ws = deps.workspace

    def saved(registry: reg.Registry, markdown: str | None = None) -> ToolResult:
        reg.save_registry(ws, registry)
        return result(registry, markdown=markdown, artifacts=[ws.uri(reg.ARTIFACT)])

    @app.tool(annotations=annotations("build_access_patterns"))
    @mapped
    async def build_access_patterns(growth_factor: float = 1.0, source: Literal["log", "schema"] = "log") -> ToolResult:
        """Build the access-pattern registry (access_patterns.json). source='log' (default): one pattern per
        pattern of the query-log analysis (analysis/query_log.json), with rps_average = executions / log window
        seconds and rps_peak = the busiest 1-second bucket, both times `growth_factor`; edits the user made
        are kept. source='schema' (no log): a read by primary key per table and a list-by-parent per foreign
        key, each WITHOUT a rate. A pattern without a rate is flagged needs_rps: ask the user and call
        set_pattern_rps; rates are never invented."""
        registry = await in_thread(steps.build_patterns, ws, growth_factor, source)
        return result(registry, artifacts=[ws.uri(reg.ARTIFACT)])

    @app.tool(annotations=annotations("list_access_patterns"))
    @mapped
    async def list_access_patterns() -> ToolResult:
        """The registered access patterns: id, description, kind, entities, RPS peak/average (or 'needs RPS'),
        consistency, latency target, source, their SQL and the keys parsed from it."""
        return result(reg.load_registry(ws))

    @app.tool(annotations=annotations("add_access_pattern"))
    @mapped
    async def add_access_pattern(description: str, sql: list[str] | None = None, pattern_id: str | None = None,
                                 kind: Literal["read", "write"] | None = None, entities: list[str] | None = None,
                                 rps_peak: float | None = None, rps_average: float | None = None,
                                 consistency: Literal["EVENTUAL", "STRONG"] = "EVENTUAL",
                                 latency_ms: float | None = None) -> ToolResult:
        """Add an access pattern the user describes. `sql`: the statement(s) that implement it (several =
        one transaction); keys, kind and tables are parsed from it, and recommend_design uses it. Leave
        rps_peak/rps_average empty when the user does not know them: the pattern is flagged needs_rps."""
        registry = reg.load_registry(ws)
        pattern = reg.add_pattern(registry, {
            "id": pattern_id, "description": description, "sql": sql, "kind": kind, "entities": entities,
            "rps_peak": rps_peak, "rps_average": rps_average, "consistency": consistency, "latency_ms": latency_ms})
        return saved(registry, markdown=f"Added {pattern.id}. " + registry.summary())

    @app.tool(annotations=annotations("edit_access_pattern"))
    @mapped
    async def edit_access_pattern(pattern_id: str, description: str | None = None, sql: list[str] | None = None,
                                  kind: Literal["read", "write"] | None = None, entities: list[str] | None = None,
                                  rps_peak: float | None = None, rps_average: float | None = None,
                                  consistency: Literal["EVENTUAL", "STRONG"] | None = None,
                                  latency_ms: float | None = None) -> ToolResult:
        """Change fields of a pattern (only those given). Edited fields are kept when the registry is
        rebuilt from the log."""
        registry = reg.load_registry(ws)
        pattern = reg.edit_pattern(registry, pattern_id, {
            "description": description, "sql": sql, "kind": kind, "entities": entities, "rps_peak": rps_peak,
            "rps_average": rps_average, "consistency": consistency, "latency_ms": latency_ms})
        return saved(registry, markdown=f"Updated {pattern.id}. " + registry.summary())

    @app.tool(annotations=annotations("set_pattern_rps"))
    @mapped
    async def set_pattern_rps(pattern_id: str, rps_peak: float, rps_average: float | None = None) -> ToolResult:
        """Record the request rate the user gives for a pattern (requests per second). Without an average
        the peak is used for both (the conservative choice, noted on the pattern)."""
        registry = reg.load_registry(ws)
        pattern = reg.set_rps(registry, pattern_id, rps_peak, rps_average)
        return saved(registry, markdown=f"{pattern.id}: {pattern.rps_peak} peak / {pattern.rps_average} average "
                                        "requests/s. " + registry.summary())

    @app.tool(annotations=annotations("remove_access_pattern"))
    @mapped
    async def remove_access_pattern(pattern_id: str) -> ToolResult:
        """Remove a pattern from the registry (a design mapping it then reports it as unknown)."""
        registry = reg.load_registry(ws)
        pattern = reg.remove_pattern(registry, pattern_id)
        return saved(registry, markdown=f"Removed {pattern.id}. " + registry.summary())

    @app.tool(annotations=annotations("build_context_document"))
    @mapped
    async def build_context_document() -> ToolResult:
        """Write mcp_context.md, the design brief: application overview, key entities, the access-pattern
        table (RPS peak/avg, type, entities, consistency/latency), entity relationships with measured
        cardinalities, the current MySQL schema, performance data from the query log, and the design
        constraints (multi-table first, natural keys, cost, hot-partition avoidance). Read it before designing."""
        outcome = await in_thread(steps.write_context, ws)
        return result(outcome, artifacts=[ws.uri(outcome.path)])

    @app.tool(annotations=annotations("recommend_design"))
    @mapped
    async def recommend_design() -> ToolResult:
        """Build a baseline DynamoDB design from the schema analysis and the registered patterns' SQL
        (multi-table, natural keys; junctions with few rows per parent embedded; children listed by their
        parent in the parent's item collection; joined parent columns copied; GSIs for other access paths;
        writes that change copies in one transaction), save it as design.json and validate it. A starting
        point: review it with the user and refine it with submit_design."""
        outcome = await in_thread(steps.recommend, ws)
        return result(outcome, artifacts=[ws.uri(outcome.path), ws.uri("design_validation.json")])

    @app.tool(annotations=annotations("generate_contract"))
    @mapped
    async def generate_contract(allow_unapproved: bool = False, dsn: str | None = None) -> ToolResult:
        """Generate contract.json from design.json, mechanically, and validate it (reference JSON Schema,
        and the live database when a DSN is configured or given). Refuses while a table gate or the design
        gate is not approved for the design as it is now; allow_unapproved=true writes a draft marked so."""
        target = _dsn(deps, dsn)
        outcome = await steps.generate_contract(ws, target, allow_unapproved=allow_unapproved)
        return result(outcome, artifacts=[ws.uri(outcome.path)])


def _dsn(deps: Deps, text: str | None) -> Any:
    from mysql2ddb.tools.core.db import Dsn

    s = deps.settings
    value = text or (s.dsn.get_secret_value() if s.dsn else None)
    return Dsn.parse(value, password=s.password()) if value else None
