"""MCP tools for the DynamoDB design: submit it, validate it, price it, look for hot partitions,
weigh alternatives and render dynamodb_data_model.md. Each reads the schema analysis and the
access-pattern registry from the workspace; a design given inline replaces the stored one only
in `submit_design`."""

from __future__ import annotations

from typing import Any

from fastmcp import FastMCP
from fastmcp.tools.base import ToolResult

from fastmcp import Context
from fastmcp.dependencies import CurrentContext

from mysql2ddb.server.adapters.common import Deps, McpProgress, annotations, in_thread, mapped, result
from mysql2ddb.tools.core.errors import ConfigError
from mysql2ddb.tools.modeling import design_io


def register(app: FastMCP, deps: Deps) -> None:
    ws = deps.workspace

    def prices() -> Any:
        from mysql2ddb.tools.core.pricing import load_prices

        return load_prices(deps.settings.prices_file)

    def inputs(item_sizes: dict[str, Any] | None) -> tuple[Any, list[Any], dict[str, Any] | None]:
        return design_io.load_schema(ws), design_io.load_patterns(ws), design_io.load_item_sizes(ws, item_sizes)

    def validate(design: Any, item_sizes: dict[str, Any] | None) -> Any:
        from mysql2ddb.tools.modeling.validate_design import validate_design as run

        schema, patterns, sizes = inputs(item_sizes)
        outcome = run(design, schema, patterns, sizes)
        ws.write_json(design_io.VALIDATION_ARTIFACT, outcome)
        return outcome

    @app.tool(annotations=annotations("submit_design"))
    @mapped
    async def submit_design(design: dict[str, Any], item_sizes: dict[str, Any] | None = None) -> ToolResult:
        """Submit a DynamoDB design (shape: schemas/design.schema.json): tables with partition/sort keys
        (natural keys preferred; templates like 'CUSTOMER#{customer_id}' for multi-entity tables), GSIs with
        projections, entities mapping MySQL tables with contract attributes, and for EVERY access pattern the
        requests that serve it (GetItem/Query/Scan/PutItem/UpdateItem/DeleteItem/TransactWriteItems with
        `actions`/BatchGetItem; table or index; key condition; filter; limit). Also denormalization decisions
        with justification and deliberately dropped tables/columns. Shape errors come back all at once with
        JSON pointer paths. Saves design.json, then validates it against the schema analysis and the
        registry: computed coverage, unmapped columns, principles, item sizes, production warnings and
        enhancement requests to act on. `item_sizes`: measured {table: {avg_bytes, max_bytes, items}}."""
        parsed = design_io.parse_design(design)
        ws.write_json(design_io.DESIGN_ARTIFACT, parsed)
        outcome = await in_thread(validate, parsed, item_sizes)
        return result(outcome, artifacts=[ws.uri(design_io.DESIGN_ARTIFACT), ws.uri(design_io.VALIDATION_ARTIFACT)])

    @app.tool(annotations=annotations("validate_design"))
    @mapped
    async def validate_design(design: dict[str, Any] | None = None,
                              item_sizes: dict[str, Any] | None = None) -> ToolResult:
        """Validate a design (inline, or the submitted design.json) against the schema analysis, the
        access patterns and item sizes: for every pattern the request serving it with its key condition
        checked against the table/GSI key schema (Scans flagged), every MySQL table/column mapped or
        dropped, design principles, the 400 KB limit, the five production warnings (each only when its
        condition holds, with the reason) and enhancement requests. Writes design_validation.json."""
        parsed = design_io.load_design(ws, design)
        outcome = await in_thread(validate, parsed, item_sizes)
        return result(outcome, artifacts=[ws.uri(design_io.VALIDATION_ARTIFACT)])

    @app.tool(annotations=annotations("estimate_cost"))
    @mapped
    async def estimate_cost(design: dict[str, Any] | None = None, item_sizes: dict[str, Any] | None = None,
                            target_utilization: float = 0.7) -> ToolResult:
        """Monthly cost of the design per table and GSI, on demand and provisioned (sized for the peak at
        `target_utilization`), from the patterns' request rates and the item sizes: 4 KB read / 1 KB write
        units per item, eventual reads half, transactions double, GSI writes by projection, storage with
        100 bytes per item. Patterns without a rate are listed, not guessed. Writes design_cost.json."""
        from mysql2ddb.tools.modeling.cost import estimate_cost as run

        parsed = design_io.load_design(ws, design)
        schema, patterns, sizes = inputs(item_sizes)
        report = await in_thread(run, parsed, patterns, schema, sizes, prices(), target_utilization)
        ws.write_json(design_io.COST_ARTIFACT, report)
        return result(report, artifacts=[ws.uri(design_io.COST_ARTIFACT)])

    @app.tool(annotations=annotations("measure_item_sizes"))
    @mapped
    async def measure_item_sizes(design: dict[str, Any] | None = None, dsn: str | None = None,
                                 ctx: Context = CurrentContext()) -> ToolResult:
        """Measure the design's item sizes from the data (read-only on MySQL): each table is written as a
        contract view query, run and converted exactly as the copy will, giving the real average and largest
        item (big tables sampled, said so). Writes item_sizes.json, which validate_design, estimate_cost and
        render_data_model then use instead of estimates. `dsn` defaults to MYSQL2DDB_DSN."""
        from mysql2ddb.tools.core.db import Dsn
        from mysql2ddb.tools.usecases.measure_sizes import measure_item_sizes as run

        s = deps.settings
        text = dsn or (s.dsn.get_secret_value() if s.dsn else None)
        if not text:
            raise ConfigError("no database given", where="measure_item_sizes: dsn",
                              remedy="pass dsn='mysql://user:password@host:port/database' or set MYSQL2DDB_DSN")
        parsed = design_io.load_design(ws, design)
        measured = await in_thread(run, parsed, Dsn.parse(text, password=s.password()), schema=design_io.load_schema(ws),
                                   prices=prices(), progress=McpProgress(ctx))
        ws.write_json(design_io.ITEM_SIZES_ARTIFACT, measured.item_sizes())
        return result(measured, artifacts=[ws.uri(design_io.ITEM_SIZES_ARTIFACT)])

    @app.tool(annotations=annotations("analyze_hot_partitions"))
    @mapped
    async def analyze_hot_partitions(design: dict[str, Any] | None = None,
                                     item_sizes: dict[str, Any] | None = None) -> ToolResult:
        """Per partition key (tables and GSIs): the peak rate its busiest value receives, from the measured
        key skew (or the patterns' own key frequencies), against 3,000 read / 1,000 write units per
        partition, with write-sharding or caching advice when a key comes near or over the limit."""
        from mysql2ddb.tools.modeling.hot_partitions import analyze_hot_partitions as run

        parsed = design_io.load_design(ws, design)
        schema, patterns, sizes = inputs(item_sizes)
        return result(await in_thread(run, parsed, schema, patterns, sizes))

    @app.tool(annotations=annotations("design_alternatives"))
    @mapped
    async def design_alternatives(design: dict[str, Any] | None = None,
                                  item_sizes: dict[str, Any] | None = None) -> ToolResult:
        """Alternatives to the design and their trade-offs (performance vs cost, complexity vs flexibility,
        consistency vs availability): capacity mode, KEYS_ONLY projections, a duplicate table instead of a
        GSI, separate items instead of an embedded list, one table for everything, strong reads. Each is
        the design transformed and priced by the same cost model, with its monthly delta."""
        from mysql2ddb.tools.modeling.alternatives import design_alternatives as run

        parsed = design_io.load_design(ws, design)
        schema, patterns, sizes = inputs(item_sizes)
        return result(await in_thread(run, parsed, patterns, schema, sizes, prices()))

    @app.tool(annotations=annotations("render_data_model"))
    @mapped
    async def render_data_model(design: dict[str, Any] | None = None,
                                item_sizes: dict[str, Any] | None = None) -> ToolResult:
        """Write dynamodb_data_model.md for the design (default: the submitted design.json): philosophy,
        each table's key layout, entities and attribute sources, the access-pattern mapping, denormalization
        and dropped columns, cost, hot partitions, alternatives, production warnings and validation."""
        from mysql2ddb.tools.modeling.render_model import ARTIFACT, analyze_design, render_data_model as render

        parsed = design_io.load_design(ws, design)
        schema, patterns, sizes = inputs(item_sizes)

        def build() -> tuple[str, Any]:
            analysis = analyze_design(parsed, schema, patterns, sizes, prices())
            return render(parsed, analysis, patterns), analysis

        text, analysis = await in_thread(build)
        ws.write_text(ARTIFACT, text)
        ws.write_json(design_io.VALIDATION_ARTIFACT, analysis.validation)
        summary = analysis.validation.summary().split("\n\n")[0] + "\n\n" + analysis.cost.summary()
        return result({"path": ARTIFACT, "valid": analysis.validation.valid,
                       "on_demand_usd": analysis.cost.on_demand_usd,
                       "provisioned_usd": analysis.cost.provisioned_usd},
                      markdown=f"{summary}\n\nWrote `{ARTIFACT}` ({ws.uri(ARTIFACT)}).\n",
                      artifacts=[ws.uri(ARTIFACT)])

