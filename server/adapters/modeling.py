"""MCP tools for the access-pattern registry, the context document, the recommended baseline
design and the contract generated from the approved design. Thin: policy and inputs are resolved
in tools/usecases/modeling.py."""

from __future__ import annotations

from typing import Literal

from fastmcp import FastMCP
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.arguments import clean_argument_errors
from mysql2ddb.server.adapters.common import Deps, annotations, in_thread, mapped, result
from mysql2ddb.tools.usecases import modeling as uc

TOOLS = {"build_access_patterns", "list_access_patterns", "add_access_pattern", "edit_access_pattern",
         "set_pattern_rps", "remove_access_pattern", "build_context_document", "recommend_design", "generate_contract"}


def register(app: FastMCP, deps: Deps) -> None:
    clean_argument_errors(app, TOOLS)

    def shown(done: uc.Modeled) -> ToolResult:
        return result(done.result, artifacts=[deps.workspace.uri(p) for p in done.artifacts])

    @app.tool(annotations=annotations("build_access_patterns"))
    @mapped
    async def build_access_patterns(growth_factor: float = 1.0, source: Literal["log", "schema"] = "log") -> ToolResult:
        """Build the access-pattern registry (access_patterns.json). source='log' (default): one pattern per
        pattern of the query-log analysis (analysis/query_log.json), with rps_average = executions / log window
        seconds and rps_peak = the busiest 1-second bucket, both times `growth_factor`; edits the user made
        are kept. source='schema' (no log): a read by primary key per table and a list-by-parent per foreign
        key, each WITHOUT a rate. A pattern without a rate is flagged needs_rps: ask the user and call
        set_pattern_rps; rates are never invented. A changed registry whose requirements were approved keeps
        the approved one under versions/ and the approval reads as stale."""
        return shown(await in_thread(uc.build_patterns, deps.request(), growth_factor, source))

    @app.tool(annotations=annotations("list_access_patterns"))
    @mapped
    async def list_access_patterns() -> ToolResult:
        """The registered access patterns: id, description, kind, entities, RPS peak/average (or 'needs RPS'),
        consistency, latency target, source, their SQL and the keys parsed from it."""
        return result(uc.list_patterns(deps.request()))

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
        return shown(uc.add_pattern(deps.request(), description, pattern_id=pattern_id, sql=sql, kind=kind,
                                    entities=entities, rps_peak=rps_peak, rps_average=rps_average,
                                    consistency=consistency, latency_ms=latency_ms))

    @app.tool(annotations=annotations("edit_access_pattern"))
    @mapped
    async def edit_access_pattern(pattern_id: str, description: str | None = None, sql: list[str] | None = None,
                                  kind: Literal["read", "write"] | None = None, entities: list[str] | None = None,
                                  rps_peak: float | None = None, rps_average: float | None = None,
                                  consistency: Literal["EVENTUAL", "STRONG"] | None = None,
                                  latency_ms: float | None = None) -> ToolResult:
        """Change fields of a pattern (only those given). Edited fields are kept when the registry is
        rebuilt from the log."""
        return shown(uc.edit_pattern(deps.request(), pattern_id, description=description, sql=sql, kind=kind,
                                     entities=entities, rps_peak=rps_peak, rps_average=rps_average,
                                     consistency=consistency, latency_ms=latency_ms))

    @app.tool(annotations=annotations("set_pattern_rps"))
    @mapped
    async def set_pattern_rps(pattern_id: str, rps_peak: float, rps_average: float | None = None) -> ToolResult:
        """Record the request rate the user gives for a pattern (requests per second, >= 0, peak >= average).
        Without an average the peak is used for both (the conservative choice, noted on the pattern)."""
        return shown(uc.set_pattern_rps(deps.request(), pattern_id, rps_peak, rps_average))

    @app.tool(annotations=annotations("remove_access_pattern"))
    @mapped
    async def remove_access_pattern(pattern_id: str) -> ToolResult:
        """Remove a pattern from the registry (a design mapping it then reports it as unknown)."""
        return shown(uc.remove_pattern(deps.request(), pattern_id))

    @app.tool(annotations=annotations("build_context_document"))
    @mapped
    async def build_context_document() -> ToolResult:
        """Write mcp_context.md, the design brief: application overview, key entities, the access-pattern
        table (RPS peak/avg, type, entities, consistency/latency), entity relationships with measured
        cardinalities, the current MySQL schema, performance data from the query log, and the design
        constraints (multi-table first, natural keys, cost, hot-partition avoidance). Read it before designing."""
        return shown(await in_thread(uc.write_context, deps.request()))

    @app.tool(annotations=annotations("recommend_design"))
    @mapped
    async def recommend_design() -> ToolResult:
        """Build a baseline DynamoDB design from the schema analysis and the registered patterns' SQL
        (multi-table, natural keys; junctions with few rows per parent embedded; children listed by their
        parent in the parent's item collection; joined parent columns copied; GSIs for other access paths;
        writes that change copies in one transaction), save it as design.json and validate it. A starting
        point: review it with the user and refine it with submit_design. An approved previous design is
        kept under versions/ and the result names the approvals that became stale."""
        return shown(await in_thread(uc.recommend, deps.request()))

    @app.tool(annotations=annotations("generate_contract"))
    @mapped
    async def generate_contract(allow_unapproved: bool = False, dsn: str | None = None) -> ToolResult:
        """Generate contract.json from design.json, mechanically, and validate it (reference JSON Schema,
        and the live database when a DSN is configured or given). Refuses while a table gate or the design
        gate is not approved for the design as it is now; allow_unapproved=true writes a draft marked so.
        An approved previous contract is kept under versions/ and its approval reads as stale."""
        return shown(await uc.generate_contract(deps.request(), dsn, allow_unapproved=allow_unapproved))
