"""Stage 1, schema analysis: the core entry points.

`analyze_schema` reads the live database (read-only: it sends SELECT statements only) in a fixed
number of information_schema queries, then measures the data a few queries at a time: row
counts, relationship cardinality, orphans and key skew. `write_schema_artifacts` writes
`analysis/schema.json` and the two markdown reports into the workspace.

An empty database (no tables and no views visible to the user) is an error, not an empty result:
there is nothing to migrate, and the usual cause is a wrong database name or missing grants.
"""

from __future__ import annotations

import time
from typing import Any

from mysql2ddb.tools.core.errors import NotFoundError
from mysql2ddb.tools.analysis.cardinality import measure_all
from mysql2ddb.tools.analysis.relationships import derive_relationships
from mysql2ddb.tools.analysis.row_stats import measure_rows
from mysql2ddb.tools.analysis.schema_model import QueryStats, SchemaAnalysis
from mysql2ddb.tools.analysis.schema_reader import Metadata, open_pool, read_metadata
from mysql2ddb.tools.analysis.schema_render import write_schema_artifacts
from mysql2ddb.tools.core.db import Dsn

__all__ = ["analyze_schema", "write_schema_artifacts"]

DATA_CONNECTIONS = 4


def _progress(progress: Any, task: str, done: float, total: float | None = None) -> None:
    if progress is not None:
        progress.update(task, done, total)


def _empty_error(dsn: Dsn) -> NotFoundError:
    return NotFoundError(
        f"database `{dsn.database}` has no tables or views (or none this user may see)",
        where=f"analyze_schema @ {dsn.redacted()}",
        remedy="check the database name at the end of the DSN (SHOW DATABASES; SHOW TABLES lists them), "
               "load the application's schema into it, or GRANT SELECT, SHOW VIEW on it to this user",
    )


def _warnings(analysis: SchemaAnalysis) -> list[str]:
    out: list[str] = []
    for t in analysis.tables:
        if not t.primary_key:
            out.append(f"table `{t.name}` has no primary key: DynamoDB items need one; pick a unique key")
        if t.rows_estimated:
            out.append(f"table `{t.name}`: {t.rows:,} rows is the server's estimate (above "
                       f"{analysis.exact_count_threshold:,}); its relationships and keys were not scanned")
    for r in analysis.relationships:
        if r.orphans:
            how = "nothing enforces it" if r.source == "inferred" else "the constraint was not enforced on load"
            out.append(f"{r.orphans} row(s) of `{r.child}` ({', '.join(r.columns)}) reference no `{r.parent}` "
                       f"row ({how})")
    for r in analysis.relationships:
        if r.cardinality == "M:N" and r.measured and r.max_children is not None and r.max_parents is not None:
            if r.max_children <= 1 or r.max_parents <= 1:
                one = r.parent if r.max_children <= 1 else r.child
                out.append(f"`{r.via}` links `{r.parent}` and `{r.child}` M:N, but every `{one}` row has at most one "
                           f"partner in the data: it is used as 1:N")
    for v in analysis.views:
        if not v.definition:
            out.append(f"view `{v.name}`: no definition visible; GRANT SHOW VIEW to read it")
    return out


def _assemble(dsn: Dsn, meta: Metadata, threshold: int, stats: QueryStats) -> SchemaAnalysis:
    return SchemaAnalysis(database=dsn.database, server=meta.server, exact_count_threshold=threshold,
                          tables=meta.tables, views=meta.views, triggers=meta.triggers, queries=stats)


async def analyze_schema(dsn: Dsn, *, progress: Any = None, exact_count_threshold: int = 1_000_000,
                         connections: int = DATA_CONNECTIONS) -> SchemaAnalysis:
    """The whole schema analysis of `dsn.database`. Raises our errors (PrivilegeError,
    DatabaseUnavailable, NotFoundError for a missing or empty database)."""
    started = time.monotonic()
    stats = QueryStats()
    async with open_pool(dsn, max(1, connections), stats) as (first, pool):
        _progress(progress, "schema: metadata", 0, 1)
        meta = await read_metadata(first, dsn.database)
        _progress(progress, "schema: metadata", 1, 1)
        if not meta.tables and not meta.views:
            raise _empty_error(dsn)
        await measure_rows(pool, meta.tables, exact_count_threshold, progress)
        relationships = derive_relationships(meta.tables)
        key_stats = await measure_all(pool, meta.tables, relationships, exact_count_threshold, progress)
    analysis = _assemble(dsn, meta, exact_count_threshold, stats)
    analysis.relationships, analysis.key_stats = relationships, key_stats
    analysis.warnings = _warnings(analysis)
    stats.seconds = round(time.monotonic() - started, 3)
    return analysis
