"""Row counts and measured row sizes, a few tables per query (UNION ALL), so a thousand tables
cost a few dozen round trips rather than a thousand.

A table whose information_schema estimate is above the threshold keeps the estimate (marked
`rows_estimated`); every other table gets COUNT(*). The average row size is the mean of the
column values' byte lengths over the first SAMPLE_ROWS rows (all rows of a small table): what an
item built from the row will roughly weigh, unlike AVG_ROW_LENGTH which counts InnoDB pages.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from mysql2ddb.tools.analysis.schema_model import TableInfo
from mysql2ddb.tools.analysis.schema_reader import ConnectionPool, run_all
from mysql2ddb.tools.sql import col, param, table

SAMPLE_ROWS = 10_000
TABLES_PER_QUERY = 50


def row_bytes(info: TableInfo, alias: str | None = None) -> exp.Expression:
    """Sum of COALESCE(LENGTH(col), 0) over the table's columns."""
    terms: list[exp.Expression] = [
        exp.func("COALESCE", exp.Length(this=col(c.name, alias), binary=True), exp.Literal.number(0))
        for c in info.columns
    ]
    if not terms:
        return exp.Literal.number(0)
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return total


def _scalar(query: exp.Select) -> exp.Subquery:
    return exp.Subquery(this=query)


def stats_select(info: TableInfo, exact: bool) -> exp.Select:
    """One table's row: its name (a parameter), COUNT(*) (NULL when not exact) and the sampled size."""
    sample = (
        exp.select(exp.alias_(row_bytes(info), "b", quoted=True))
        .from_(table(info.name))
        .limit(exp.Literal.number(SAMPLE_ROWS))
        .subquery("s")
    )
    avg = exp.select(exp.func("AVG", col("b", "s"))).from_(sample)
    count: exp.Expression = (
        _scalar(exp.select(exp.Count(this=exp.Star())).from_(table(info.name))) if exact else exp.null()
    )
    return exp.select(
        exp.alias_(param(), "t", quoted=True),
        exp.alias_(count, "n", quoted=True),
        exp.alias_(_scalar(avg), "bytes", quoted=True),
    )


def batch_query(batch: list[tuple[TableInfo, bool]]) -> exp.Expression:
    selects = [stats_select(info, exact) for info, exact in batch]
    query: exp.Expression = selects[0]
    for select in selects[1:]:
        query = exp.union(query, select, distinct=False)
    return query


async def measure_rows(pool: ConnectionPool, tables: list[TableInfo], threshold: int, progress: Any = None) -> None:
    """Fill `rows`, `rows_estimated` and `avg_row_bytes` of every table, in place."""
    plan = [(t, t.rows <= threshold) for t in tables]
    batches = [plan[i:i + TABLES_PER_QUERY] for i in range(0, len(plan), TABLES_PER_QUERY)]
    by_name = {t.name: t for t in tables}
    done = 0

    async def run(batch: list[tuple[TableInfo, bool]]) -> None:
        nonlocal done
        async with pool.connection() as conn:
            rows = await conn.fetch(batch_query(batch), [t.name for t, _ in batch], where="count rows")
        for row in rows:
            name = row["t"].decode() if isinstance(row["t"], (bytes, bytearray)) else str(row["t"])
            info = by_name[name]
            if row["n"] is not None:
                info.rows, info.rows_estimated = int(row["n"]), False
            info.avg_row_bytes = round(float(row["bytes"]), 1) if row["bytes"] is not None else None
        done += len(batch)
        if progress is not None:
            progress.update("schema: row counts", done, len(plan))

    await run_all([run(b) for b in batches])
