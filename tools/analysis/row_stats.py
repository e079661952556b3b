"""Row counts and measured row sizes, a few tables per query (UNION ALL), so a thousand tables
cost a few dozen round trips rather than a thousand.

A table whose information_schema estimate is above the threshold keeps the estimate (marked
`rows_estimated`); every other table gets COUNT(*). The average row size is the mean of the
non-NULL column values' byte lengths (as text) over the first SAMPLE_ROWS rows (all rows of a small table): what an
item built from the row will roughly weigh, unlike AVG_ROW_LENGTH which counts InnoDB pages.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from mysql2ddb.tools.analysis.schema_model import TableInfo
from mysql2ddb.tools.analysis.schema_reader import ConnectionPool, run_all
from mysql2ddb.tools.analysis import sql_build as q
from mysql2ddb.tools.core.sql import col

SAMPLE_ROWS = 10_000
TABLES_PER_QUERY = 50


def row_bytes(info: TableInfo) -> exp.Expression:
    """LENGTH(CONCAT_WS('', col, ...)): the bytes of the row's non-NULL values (CONCAT_WS skips
    NULLs), with a quarter of the nodes of a sum of per-column lengths."""
    if not info.columns:
        return q.number(0)
    # Anonymous: sqlglot would wrap ConcatWs in a NULL-if-any-NULL CASE, which is not MySQL's CONCAT_WS
    concat = exp.Anonymous(this="CONCAT_WS", expressions=[exp.Literal.string(""), *[col(c.name) for c in info.columns]])
    return exp.Length(this=concat, binary=True)


def stats_select(position: int, info: TableInfo, exact: bool) -> exp.Select:
    """One table's row: its position in the batch, COUNT(*) (NULL when not exact) and the sampled size."""
    sample = q.derived(q.select([q.alias(row_bytes(info), "b")], q.source(info.name), limit=SAMPLE_ROWS), "s")
    avg = q.select([exp.Avg(this=col("b", "s"))], sample)
    count = q.scalar(q.select([q.count_star()], q.source(info.name))) if exact else exp.Null()
    return q.select([q.alias(q.number(position), "t"), q.alias(count, "n"), q.alias(q.scalar(avg), "bytes")])


def batch_query(batch: list[tuple[TableInfo, bool]]) -> exp.Expression:
    return q.union_all([stats_select(i, info, exact) for i, (info, exact) in enumerate(batch)])


async def measure_rows(pool: ConnectionPool, tables: list[TableInfo], threshold: int, progress: Any = None) -> None:
    """Fill `rows`, `rows_estimated` and `avg_row_bytes` of every table, in place."""
    plan = [(t, t.rows <= threshold) for t in tables]
    batches = [plan[i:i + TABLES_PER_QUERY] for i in range(0, len(plan), TABLES_PER_QUERY)]
    done = 0

    async def run(batch: list[tuple[TableInfo, bool]]) -> None:
        nonlocal done
        async with pool.connection() as conn:
            rows = await conn.fetch(batch_query(batch), where="count rows")
        for row in rows:
            info = batch[int(row["t"])][0]
            if row["n"] is not None:
                info.rows, info.rows_estimated = int(row["n"]), False
            info.avg_row_bytes = round(float(row["bytes"]), 1) if row["bytes"] is not None else None
        done += len(batch)
        if progress is not None:
            progress.update("schema: row counts", done, len(plan))

    await run_all([run(b) for b in batches])
