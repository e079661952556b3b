"""MCP tools for the DynamoDB design: submit it, validate it, price it, measure its items, look for
hot partitions, weigh alternatives and render dynamodb_data_model.md. Thin: inputs and policy are
resolved in tools/usecases/modeling_design.py; a design given inline replaces the stored one only in
`submit_design`."""

from __future__ import annotations

from typing import Any

from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.arguments import clean_argument_errors
from mysql2ddb.server.adapters.common import Deps, annotations, mapped, result
from mysql2ddb.tools.usecases import modeling_design as uc
from mysql2ddb.tools.usecases.modeling import Modeled

TOOLS = {"submit_design", "validate_design", "estimate_cost", "measure_item_sizes", "analyze_hot_partitions",
         "design_alternatives", "render_data_model"}


def register(app: FastMCP, deps: Deps) -> None:
    clean_argument_errors(app, TOOLS)

    def shown(done: Modeled) -> ToolResult:
        return result(done.result, artifacts=[deps.workspace.uri(p) for p in done.artifacts] or None)

    @app.tool(annotations=annotations("submit_design"))
    @mapped
    async def submit_design(design: dict[str, Any], item_sizes: dict[str, Any] | None = None) -> ToolResult:
        """Submit a DynamoDB design (shape: schemas/design.schema.json): tables with partition/sort keys
        (natural keys preferred; templates like 'CUSTOMER#{customer_id}' for multi-entity tables), GSIs with
        projections, entities mapping MySQL tables with contract attributes, and for EVERY access pattern the
        requests that serve it (GetItem/Query/Scan/PutItem/UpdateItem/DeleteItem/TransactWriteItems with
        `actions`/BatchGetItem; table or index; key condition; filter; limit). Also denormalization decisions
        with justification and deliberately dropped tables/columns. Shape errors come back all at once with
        JSON pointer paths; a design mapping nothing is refused. Saves design.json (an approved previous
        design is kept under versions/, and the result names the approvals that became stale and must be
        asked again; an identical design changes nothing), then validates it against the schema analysis
        and the registry: coverage, unmapped columns, principles, item sizes, production warnings and
        enhancement requests to act on. `item_sizes`: measured {table: {avg_bytes, max_bytes, items}}."""
        return shown(await uc.submit_design(deps.request(), design, item_sizes))

    @app.tool(annotations=annotations("validate_design"))
    @mapped
    async def validate_design(design: dict[str, Any] | None = None,
                              item_sizes: dict[str, Any] | None = None) -> ToolResult:
        """Validate a design (inline, or the submitted design.json) against the schema analysis, the
        access patterns and item sizes: for every pattern the request serving it with its key condition
        checked against the table/GSI key schema (Scans flagged), every MySQL table/column mapped or
        dropped, design principles, the 400 KB limit, the five production warnings (each only when its
        condition holds, with the reason) and enhancement requests. Writes design_validation.json."""
        return shown(await uc.validate_design(deps.request(), design, item_sizes=item_sizes))

    @app.tool(annotations=annotations("estimate_cost"))
    @mapped
    async def estimate_cost(design: dict[str, Any] | None = None, item_sizes: dict[str, Any] | None = None,
                            target_utilization: float = 0.7) -> ToolResult:
        """Monthly cost of the design per table and GSI, on demand and provisioned (sized for the peak at
        `target_utilization`), from the patterns' request rates and the item sizes: 4 KB read / 1 KB write
        units per item, eventual reads half, transactions double, GSI writes by projection, storage with
        100 bytes per item. Patterns without a rate are listed, not guessed. Writes design_cost.json."""
        return shown(await uc.estimate_cost(deps.request(), design, item_sizes=item_sizes,
                                            target_utilization=target_utilization))

    @app.tool(annotations=annotations("measure_item_sizes"))
    @mapped
    async def measure_item_sizes(design: dict[str, Any] | None = None, dsn: str | None = None,
                                 ctx: Context = CurrentContext()) -> ToolResult:
        """Measure the design's item sizes from the data (read-only on MySQL): each table is written as a
        contract view query, run and converted exactly as the copy will, giving the real average and largest
        item (big tables sampled, said so). Writes item_sizes.json, which validate_design, estimate_cost and
        render_data_model then use instead of estimates. `dsn` defaults to MYSQL2DDB_DSN."""
        return shown(await uc.measure_item_sizes(deps.request(ctx), design, dsn))

    @app.tool(annotations=annotations("analyze_hot_partitions"))
    @mapped
    async def analyze_hot_partitions(design: dict[str, Any] | None = None,
                                     item_sizes: dict[str, Any] | None = None) -> ToolResult:
        """Per partition key (tables and GSIs): the peak rate its busiest value receives, from the measured
        key skew (or the patterns' own key frequencies), against 3,000 read / 1,000 write units per
        partition, with write-sharding or caching advice when a key comes near or over the limit."""
        return shown(await uc.hot_partitions(deps.request(), design, item_sizes=item_sizes))

    @app.tool(annotations=annotations("design_alternatives"))
    @mapped
    async def design_alternatives(design: dict[str, Any] | None = None,
                                  item_sizes: dict[str, Any] | None = None) -> ToolResult:
        """Alternatives to the design and their trade-offs (performance vs cost, complexity vs flexibility,
        consistency vs availability): capacity mode, KEYS_ONLY projections, a duplicate table instead of a
        GSI, separate items instead of an embedded list, one table for everything, strong reads. Each is
        the design transformed and priced by the same cost model, with its monthly delta."""
        return shown(await uc.alternatives(deps.request(), design, item_sizes=item_sizes))

    @app.tool(annotations=annotations("render_data_model"))
    @mapped
    async def render_data_model(design: dict[str, Any] | None = None,
                                item_sizes: dict[str, Any] | None = None) -> ToolResult:
        """Write dynamodb_data_model.md for the design (default: the submitted design.json): philosophy,
        each table's key layout, entities and attribute sources, the access-pattern mapping, denormalization
        and dropped columns, cost, hot partitions, alternatives, production warnings and validation."""
        return shown(await uc.render_data_model(deps.request(), design, item_sizes=item_sizes))
