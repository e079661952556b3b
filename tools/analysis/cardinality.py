"""Cardinality measured from the data: children per parent (max, average), orphans, and per
candidate key its distinct count and the share of rows its most frequent values hold (skew).

These are data queries, one or two per relationship or key, run a few at a time. Their cost is
bounded: a table above the row threshold is not scanned; its figures come from the server's
index statistics (or are left out) and are marked `estimated` / `measured=False`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlglot import exp

from mysql2ddb.tools.analysis.relationships import is_unique
from mysql2ddb.tools.analysis.schema_model import KeyStats, Relationship, TableInfo, TopValue
from mysql2ddb.tools.analysis.schema_reader import ConnectionPool, run_all
from mysql2ddb.tools.sql import col, table

TOP_VALUES = 5
NOT_KEY_TYPES = frozenset({"tinyblob", "blob", "mediumblob", "longblob", "tinytext", "text", "mediumtext",
                           "longtext", "json", "geometry", "point", "linestring", "polygon", "multipoint",
                           "multilinestring", "multipolygon", "geometrycollection", "geomcollection"})


def _all_not_null(columns: list[str], alias: str | None = None) -> exp.Expression:
    return exp.and_(*[exp.Not(this=exp.Is(this=col(c, alias), expression=exp.null())) for c in columns])


def _any_null(columns: list[str]) -> exp.Expression:
    return exp.or_(*[exp.Is(this=col(c), expression=exp.null()) for c in columns])


def _alias(node: exp.Expression, name: str) -> exp.Expression:
    return exp.alias_(node, name, quoted=True)


def group_stats(source: str, columns: list[str], prefix: str) -> exp.Select:
    """COUNT of groups, MAX and AVG of rows per group of `columns` (NULL keys left out)."""
    grouped = (
        exp.select(*[col(c) for c in columns], _alias(exp.Count(this=exp.Star()), "n"))
        .from_(table(source))
        .where(_all_not_null(columns))
        .group_by(*[col(c) for c in columns])
        .subquery("g")
    )
    n = col("n", "g")
    return exp.select(
        _alias(exp.Count(this=exp.Star()), f"{prefix}groups"),
        _alias(exp.Max(this=n), f"{prefix}max"),
        _alias(exp.Avg(this=n), f"{prefix}avg"),
    ).from_(grouped)


def orphan_query(rel: Relationship) -> exp.Select:
    """Child rows (and distinct keys) with a non-NULL key that matches no parent row."""
    on = exp.and_(*[exp.EQ(this=col(c, "c"), expression=col(r, "p")) for c, r in zip(rel.columns, rel.ref_columns)])
    keys = [col(c, "c") for c in rel.columns]
    return (
        exp.select(_alias(exp.Count(this=exp.Star()), "orphans"),
                   _alias(exp.Count(this=exp.Distinct(expressions=keys)), "orphan_keys"))
        .from_(table(rel.child, alias="c"))
        .join(table(rel.parent, alias="p"), on=on, join_type="left")
        .where(exp.and_(_all_not_null(rel.columns, "c"), exp.Is(this=col(rel.ref_columns[0], "p"), expression=exp.null())))
    )


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


async def measure_relationship(pool: ConnectionPool, rel: Relationship, tables: dict[str, TableInfo],
                               threshold: int) -> None:
    """Fill the measured fields of one relationship in place."""
    source = rel.via if rel.cardinality == "M:N" else rel.child
    if tables[source].rows > threshold:
        rel.measured = False
        return
    async with pool.connection() as conn:
        if rel.cardinality == "M:N":
            down = group_stats(source, rel.columns, "d_").subquery("a")
            up = group_stats(source, rel.via_columns, "u_").subquery("b")
            row = (await conn.fetch(exp.select(exp.Star()).from_(down).join(up, join_type="cross"),
                                    where=f"measure M:N via {source}"))[0]
            rel.parents_with_children = int(row["d_groups"])
            rel.max_children, rel.avg_children = _int(row["d_max"]), _round(row["d_avg"])
            rel.max_parents, rel.avg_parents = _int(row["u_max"]), _round(row["u_avg"])
            rel.measured = True
            return
        row = (await conn.fetch(group_stats(source, rel.columns, ""), where=f"measure {rel.parent}->{rel.child}"))[0]
        orphans = (await conn.fetch(orphan_query(rel), where=f"orphans {rel.parent}->{rel.child}"))[0]
    rel.orphans = int(orphans["orphans"])
    rel.parents_with_children = int(row["groups"]) - int(orphans["orphan_keys"])
    rel.max_children, rel.avg_children = _int(row["max"]), _round(row["avg"])
    rel.measured = True
    if rel.max_children:  # no child rows at all: the declared cardinality stands
        rel.cardinality = "1:1" if rel.max_children <= 1 else "1:N"


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)


def candidate_keys(info: TableInfo) -> list[list[str]]:
    """Column lists worth knowing the distribution of: the primary key and its leading column,
    unique keys, foreign keys, and every B-tree index with its leading column."""
    found: list[list[str]] = []
    lists = [info.primary_key, info.primary_key[:1]] + [u.columns for u in info.unique_keys]
    lists += [fk.columns for fk in info.foreign_keys]
    for index in info.indexes:
        if index.kind.upper() in ("FULLTEXT", "SPATIAL") or "(expression)" in index.columns:
            continue
        lists += [index.columns, index.columns[:1]]
    seen: set[tuple[str, ...]] = set()
    for columns in lists:
        key = tuple(c.lower() for c in columns)
        if not columns or key in seen:
            continue
        seen.add(key)
        types = [info.column(c) for c in columns]
        if any(t is None or t.data_type in NOT_KEY_TYPES for t in types):
            continue
        found.append(list(columns))
    return found


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return "0x" + bytes(value).hex()
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (Decimal, dt.timedelta)):
        return str(value)
    return str(value)


def top_values_query(info: TableInfo, columns: list[str]) -> exp.Select:
    cols = [col(c) for c in columns]
    distinct = exp.select(exp.Count(this=exp.Distinct(expressions=[col(c) for c in columns]))).from_(table(info.name))
    nullable = any(info.column(c).nullable for c in columns)  # type: ignore[union-attr]
    nulls: exp.Expression = (
        exp.Subquery(this=exp.select(exp.Count(this=exp.Star())).from_(table(info.name)).where(_any_null(columns)))
        if nullable else exp.Literal.number(0)
    )
    return (
        exp.select(*[_alias(c, f"k{i}") for i, c in enumerate(cols)], _alias(exp.Count(this=exp.Star()), "n"),
                   _alias(exp.Subquery(this=distinct), "distinct_count"), _alias(nulls, "nulls"))
        .from_(table(info.name))
        .where(_all_not_null(columns))
        .group_by(*cols)
        .order_by(exp.Ordered(this=col("n"), desc=True))
        .limit(exp.Literal.number(TOP_VALUES))
    )


def _estimated_distinct(info: TableInfo, columns: list[str]) -> int | None:
    wanted = [c.lower() for c in columns]
    for index in info.indexes:
        lead = [c.lower() for c in index.columns[:len(wanted)]]
        if lead == wanted and len(index.prefix_cardinality) >= len(wanted):
            return index.prefix_cardinality[len(wanted) - 1]
    return None


async def measure_key(pool: ConnectionPool, info: TableInfo, columns: list[str], threshold: int) -> KeyStats:
    stats = KeyStats(table=info.name, columns=list(columns), avg_row_bytes=info.avg_row_bytes)
    not_null = all(not info.column(c).nullable for c in columns)  # type: ignore[union-attr]
    if is_unique(info, columns) and not_null:  # known without reading: every value once
        stats.unique, stats.distinct, stats.nulls = True, info.rows, 0
        stats.estimated = info.rows_estimated
        if info.rows:
            stats.top_share = round(1 / info.rows, 6)
        return stats
    stats.unique = is_unique(info, columns)
    if info.rows > threshold:
        stats.distinct, stats.estimated = _estimated_distinct(info, columns), True
        return stats
    async with pool.connection() as conn:
        rows = await conn.fetch(top_values_query(info, columns), where=f"key stats {info.name}")
    if not rows:  # empty table, or every key NULL
        stats.distinct, stats.nulls = 0, info.rows
        return stats
    stats.distinct, stats.nulls = int(rows[0]["distinct_count"]), int(rows[0]["nulls"])
    total = info.rows or 1
    for row in rows:
        values = [_json_value(row[f"k{i}"]) for i in range(len(columns))]
        count = int(row["n"])
        stats.top_values.append(TopValue(value=values[0] if len(values) == 1 else values, count=count,
                                         share=round(count / total, 6)))
    stats.top_share = stats.top_values[0].share
    return stats


async def measure_all(pool: ConnectionPool, tables: list[TableInfo], relationships: list[Relationship],
                      threshold: int, progress: Any = None) -> list[KeyStats]:
    """Measure every relationship (in place) and every candidate key; returns the key stats."""
    by_name = {t.name: t for t in tables}
    jobs: list[Any] = [measure_relationship(pool, r, by_name, threshold) for r in relationships]
    keys = [(t, cols) for t in tables for cols in candidate_keys(t)]
    jobs += [measure_key(pool, t, cols, threshold) for t, cols in keys]
    done = 0

    async def tracked(job: Any) -> Any:
        nonlocal done
        out = await job
        done += 1
        if progress is not None:
            progress.update("schema: relationships and keys", done, len(jobs))
        return out

    results = await run_all([tracked(j) for j in jobs])
    return [r for r in results if isinstance(r, KeyStats)]
