"""`replay_access_patterns`: the application's read statements with real parameters against MySQL
and against the DynamoDB request the design maps each pattern to, compared through the contract.
READ_ONLY (tools/core/consent.py): it reads MySQL (a READ ONLY transaction) and DynamoDB (GetItem,
Query) and writes only its report into the workspace. Thin: tools/usecases/replay.py holds the policy."""

from __future__ import annotations

from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, annotations, mapped, result
from mysql2ddb.tools.usecases import replay


def register(app: FastMCP, deps: Deps) -> None:
    @app.tool(annotations=annotations("replay_access_patterns"))
    @mapped
    async def replay_access_patterns(log: str | None = None, samples: int = 20, dsn: str | None = None,
                                     endpoint_url: str | None = None, region: str | None = None,
                                     contract: str | None = None, design: str | None = None,
                                     ctx: Context = CurrentContext()) -> ToolResult:
        """Prove the migrated design answers the application's queries as MySQL does: for each read
        access pattern, up to `samples` real parameter sets (from the query log `log`, workspace-relative,
        topped up from the data; without a log, from the data), the SQL on MySQL and the mapped GetItem or
        Query on DynamoDB (endpoint_url: where the migration wrote, e.g. 'embedded'), compared as items
        and attributes through the contract. Per pattern: samples, matched, differing (with a diff),
        not_servable (with why), read units per call against the cost estimate. Writes replay/report.json."""
        outcome = await replay.replay(deps.request(ctx), log=log, samples=samples, dsn=dsn, endpoint_url=endpoint_url,
                                      region=region, contract=contract, design=design)
        return result(outcome.result, artifacts=outcome.artifacts)
