"""Live migration over MCP: `start_cdc` starts the copy and the binlog sync as a process owned by
the workspace and returns its run id at once (no call blocks for hours; `status` shows the lag);
`cutover` finishes it with proof. Thin: tools/usecases/live.py holds the policy."""

from __future__ import annotations

from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, annotations, mapped, result
from mysql2ddb.tools.usecases import live


def register(app: FastMCP, deps: Deps) -> None:
    @app.tool(annotations=annotations("start_cdc"))
    @mapped
    async def start_cdc(contract: str | None = None, dsn: str | None = None, endpoint_url: str | None = None,
                        region: str | None = None, max_write_units_per_s: float | None = None,
                        stall_timeout_s: float | None = None, confirm: bool = False,
                        ctx: Context = CurrentContext()) -> ToolResult:
        """Migrate while the application keeps writing: checks the source can be followed (row binlog,
        full images, retention, replication privileges, a key on every table: every failure with its
        remedy, nothing written), records the binlog position, then a background process copies the
        approved contract and follows the binlog, applying every change through the contract. Needs the
        approved contract and confirm=true (ask the user). Returns the run id at once.
        `max_write_units_per_s`: the copy never writes a table faster than this (e.g. one serving live traffic).
        `stall_timeout_s`: the copy stops a table, resumably, after this many seconds without a successful write."""
        return result(await live.start(deps.request(ctx), contract, dsn, endpoint_url=endpoint_url, region=region,
                                       confirm=confirm, background=True, max_write_units_per_s=max_write_units_per_s,
                                       stall_timeout_s=stall_timeout_s))

    @app.tool(annotations=annotations("resume_cdc"))
    @mapped
    async def resume_cdc(run_id: str, accept_schema_change: bool = False, confirm: bool = False,
                         ctx: Context = CurrentContext()) -> ToolResult:
        """Resume a live migration whose sync is not running (a crash, a restart, or a stop before a
        schema change): a background process continues its copy and sync from the checkpoint. A stop
        before a schema change needs accept_schema_change=true, only after the user saw the change and
        accepts it (the contract is checked again, views re-created, affected tables re-built). Needs
        the run's contract approved and confirm=true."""
        return result(await live.resume(deps.request(ctx), run_id, accept_schema_change=accept_schema_change,
                                        confirm=confirm))

    @app.tool(annotations=annotations("cutover"))
    @mapped
    async def cutover(run_id: str | None = None, dsn: str | None = None, timeout: float = 300.0,
                      confirm: bool = False, ctx: Context = CurrentContext()) -> ToolResult:
        """Finish a live migration: wait until the sync reaches the source's current position, verify
        every item, stop the sync, and report the lag, the time taken and what the application must
        switch. Needs confirm=true (the sync stops)."""
        return result(await live.cutover(deps.request(ctx), run_id, dsn, timeout=timeout, confirm=confirm))
