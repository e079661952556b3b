"""Cardinality measured from the data: per candidate key its distinct count, NULLs and the share
of rows its most frequent values hold (skew); per relationship the children per parent (max,
average) and the orphans.

At most two data queries per table, whatever its number of keys and relationships:
  1. aggregates in one scan: COUNT(DISTINCT key) and NULL count per key, plus one anti-join per
     relationship where the table is the child (orphan rows and distinct orphan keys);
  2. the top values of every non-unique key (a UNION ALL of small GROUP BY ... LIMIT queries).
Children per parent follow from the child's key stats: max = the top value's count, average =
non-NULL rows / distinct values. A table above the row threshold is not scanned: its key
distinct counts come from the server's index statistics and are marked `estimated`; its
relationships are marked `measured=False`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from mysql2ddb.tools.analysis import sql_build as q
from mysql2ddb.tools.analysis.relationships import is_unique
from mysql2ddb.tools.analysis.schema_model import KeyStats, Relationship, TableInfo, TopValue
from mysql2ddb.tools.analysis.schema_reader import ConnectionPool, run_all
from mysql2ddb.tools.core.sql import col

TOP_VALUES = 5
NOT_KEY_TYPES = frozenset({"tinyblob", "blob", "mediumblob", "longblob", "tinytext", "text", "mediumtext",
                           "longtext", "json", "geometry", "point", "linestring", "polygon", "multipoint",
                           "multilinestring", "multipolygon", "geometrycollection", "geomcollection"})


def _key(columns: list[str]) -> tuple[str, ...]:
    return tuple(c.lower() for c in columns)


def candidate_keys(info: TableInfo, extra: list[list[str]] | None = None) -> list[list[str]]:
    """Column lists worth knowing the distribution of: the primary key and its leading column,
    unique keys, foreign keys, every B-tree index and its leading column, and `extra` (the
    columns of relationships the table is the child of)."""
    lists = [info.primary_key, info.primary_key[:1]] + [u.columns for u in info.unique_keys]
    lists += [fk.columns for fk in info.foreign_keys] + list(extra or [])
    for index in info.indexes:
        if index.kind.upper() not in ("FULLTEXT", "SPATIAL") and "(expression)" not in index.columns:
            lists += [index.columns, index.columns[:1]]
    found: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for columns in lists:
        if not columns or _key(columns) in seen:
            continue
        seen.add(_key(columns))
        if all(info.column(c) is not None and info.column(c).data_type not in NOT_KEY_TYPES for c in columns):  # type: ignore[union-attr]
            found.append(list(columns))
    return found


@dataclass
class TablePlan:
    info: TableInfo
    trivial: list[list[str]] = field(default_factory=list)  # unique and NOT NULL: known without reading
    measured: list[list[str]] = field(default_factory=list)
    top_keys: list[int] = field(default_factory=list)  # positions in `measured` of the non-unique keys
    orphan_checks: list[Relationship] = field(default_factory=list)


def plan_table(info: TableInfo, child_rels: list[Relationship]) -> TablePlan:
    """`child_rels`: the FK/inferred relationships whose child is this table."""
    plan = TablePlan(info, orphan_checks=child_rels)
    for columns in candidate_keys(info, [r.columns for r in child_rels]):
        nullable = any(info.column(c).nullable for c in columns)  # type: ignore[union-attr]
        unique = is_unique(info, columns)
        if unique and not nullable:
            plan.trivial.append(columns)
            continue
        if not unique:
            plan.top_keys.append(len(plan.measured))
        plan.measured.append(columns)
    return plan


def orphan_query(rel: Relationship) -> exp.Select:
    """Child rows (and distinct keys) with a non-NULL key that matches no parent row."""
    on = exp.and_(*[exp.EQ(this=col(c, "c"), expression=col(r, "p")) for c, r in zip(rel.columns, rel.ref_columns)],
                  copy=False)
    return q.select(
        [q.alias(q.count_star(), "orphans"), q.alias(q.count_distinct(rel.columns, "c"), "orphan_keys")],
        q.source(rel.child, "c"),
        joins=[q.left_join(q.source(rel.parent, "p"), on)],
        where=exp.and_(q.all_not_null(rel.columns, "c"), q.is_null(rel.ref_columns[0], "p"), copy=False),
    )


def aggregate_query(plan: TablePlan) -> exp.Select:
    aggregates: list[exp.Expression] = []
    for i, columns in enumerate(plan.measured):
        nullable = any(plan.info.column(c).nullable for c in columns)  # type: ignore[union-attr]
        aggregates.append(q.alias(q.count_distinct(columns), f"d{i}"))
        aggregates.append(q.alias(q.null_count(columns) if nullable else q.number(0), f"n{i}"))
    if not aggregates:
        aggregates.append(q.alias(q.count_star(), "rows"))
    if not plan.orphan_checks:
        return q.select(aggregates, q.source(plan.info.name))
    base = q.derived(q.select(aggregates, q.source(plan.info.name)), "a")
    joins = [q.cross_join(q.derived(orphan_query(r), f"o{i}")) for i, r in enumerate(plan.orphan_checks)]
    fields: list[exp.Expression] = [exp.Column(this=exp.Star(), table=q.ident("a"))]
    for i in range(len(plan.orphan_checks)):
        fields += [q.alias(col("orphans", f"o{i}"), f"o{i}"), q.alias(col("orphan_keys", f"o{i}"), f"ok{i}")]
    return q.select(fields, base, joins=joins)


def _slots(plan: TablePlan) -> dict[int, int]:
    """First result column of each non-unique key: every key has columns of its own, so the
    UNION ALL never mixes two keys' types or collations in one column (NULL elsewhere)."""
    offsets, at = {}, 0
    for i in plan.top_keys:
        offsets[i], at = at, at + len(plan.measured[i])
    return offsets


def top_values_query(plan: TablePlan) -> exp.Expression:
    offsets = _slots(plan)
    width = sum(len(plan.measured[i]) for i in plan.top_keys)
    parts = []
    for i in plan.top_keys:
        columns, first = plan.measured[i], offsets[i]
        values = [q.alias(col(columns[s - first]) if first <= s < first + len(columns) else exp.Null(), f"v{s}")
                  for s in range(width)]
        parts.append(q.select(
            [q.alias(q.number(i), "key_no"), *values, q.alias(q.count_star(), "n")],
            q.source(plan.info.name), where=q.all_not_null(columns), group=[col(c) for c in columns],
            order_desc=col("n"), then_by=[col(c) for c in columns], limit=TOP_VALUES))  # ties: stable
    return q.union_all(parts)


_INTEGER_TYPES = frozenset({"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year"})


def _json_value(value: Any, data_type: str) -> Any:
    """One top value as JSON: text for binary that is not UTF-8 (0x...), temporal values and
    decimals in MySQL's text form, integers as integers."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return "0x" + bytes(value).hex()
    if data_type in _INTEGER_TYPES:
        try:
            return int(value)
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)  # Decimal, date/datetime/time (MySQL text form), timedelta


def _estimated_distinct(info: TableInfo, columns: list[str]) -> int | None:
    wanted = list(_key(columns))
    for index in info.indexes:
        if list(_key(index.columns[:len(wanted)])) == wanted and len(index.prefix_cardinality) >= len(wanted):
            return index.prefix_cardinality[len(wanted) - 1]
    return None


def _trivial_stats(info: TableInfo, columns: list[str]) -> KeyStats:
    return KeyStats(table=info.name, columns=list(columns), unique=True, distinct=info.rows, nulls=0,
                    top_share=round(1 / info.rows, 6) if info.rows else None, avg_row_bytes=info.avg_row_bytes,
                    estimated=info.rows_estimated)


async def measure_table(pool: ConnectionPool, plan: TablePlan, threshold: int) -> tuple[list[KeyStats], dict]:
    """Key stats of one table, and its orphan counts {relationship index in plan: (rows, keys)}."""
    info = plan.info
    stats = [_trivial_stats(info, cols) for cols in plan.trivial]
    measured = [KeyStats(table=info.name, columns=list(cols), unique=is_unique(info, cols),
                         avg_row_bytes=info.avg_row_bytes) for cols in plan.measured]
    if info.rows > threshold:
        for key in measured:
            key.distinct, key.estimated = _estimated_distinct(info, key.columns), True
        return stats + measured, {}
    async with pool.connection() as conn:
        row = (await conn.fetch(aggregate_query(plan), where=f"key stats of {info.name}"))[0]
        tops = await conn.fetch(top_values_query(plan), where=f"top values of {info.name}") if plan.top_keys else []
    for i, key in enumerate(measured):
        key.distinct, key.nulls = int(row[f"d{i}"]), int(row[f"n{i}"] or 0)
    total = info.rows or 1
    offsets = _slots(plan)
    for top in tops:
        number = int(top["key_no"])
        key = measured[number]
        values = [_json_value(top[f"v{offsets[number] + j}"], info.column(c).data_type)  # type: ignore[union-attr]
                  for j, c in enumerate(key.columns)]
        key.top_values.append(TopValue(value=values[0] if len(values) == 1 else values, count=int(top["n"]),
                                       share=round(int(top["n"]) / total, 6)))
    for key in measured:
        key.top_values.sort(key=lambda v: -v.count)
        key.top_share = key.top_values[0].share if key.top_values else (round(1 / total, 6) if key.distinct else None)
    orphans = {i: (int(row[f"o{i}"]), int(row[f"ok{i}"])) for i in range(len(plan.orphan_checks))}
    return stats + measured, orphans


def _children(stats: KeyStats, rows: int) -> tuple[int | None, float | None]:
    """(max, average) rows per distinct non-NULL value of the key."""
    if not stats.distinct:
        return None, None
    top = stats.top_values[0].count if stats.top_values else 1  # no top values: a unique key
    return top, round((rows - (stats.nulls or 0)) / stats.distinct, 3)


def apply_to_relationships(relationships: list[Relationship], tables: dict[str, TableInfo],
                           stats: dict[tuple[str, tuple[str, ...]], KeyStats],
                           orphans: dict[int, tuple[int, int]]) -> None:
    """Fill each relationship's measured fields from the key stats (in place). `orphans` is keyed
    by id() of the relationship."""
    for rel in relationships:
        source = tables[rel.via if rel.cardinality == "M:N" else rel.child]
        down = stats.get((source.name, _key(rel.columns)))
        if source.rows_estimated or down is None or down.estimated:
            rel.measured = False
            continue
        rel.measured = True
        rel.max_children, rel.avg_children = _children(down, source.rows)
        rel.parents_with_children = down.distinct
        if rel.cardinality == "M:N":
            up = stats.get((source.name, _key(rel.via_columns)))
            if up is not None:
                rel.max_parents, rel.avg_parents = _children(up, source.rows)
            continue
        rows, keys = orphans.get(id(rel), (0, 0))
        rel.orphans = rows
        rel.parents_with_children = (down.distinct or 0) - keys
        if rel.max_children:  # no child rows at all: the declared cardinality stands
            rel.cardinality = "1:1" if rel.max_children <= 1 else "1:N"


async def measure_all(pool: ConnectionPool, tables: list[TableInfo], relationships: list[Relationship],
                      threshold: int, progress: Any = None) -> list[KeyStats]:
    """Measure every table's candidate keys and fill every relationship; returns the key stats."""
    by_child: dict[str, list[Relationship]] = {}
    for rel in relationships:
        if rel.cardinality != "M:N":
            by_child.setdefault(rel.child, []).append(rel)
    plans = [plan_table(t, by_child.get(t.name, [])) for t in tables]
    plans = [p for p in plans if p.trivial or p.measured or p.orphan_checks]
    done = 0

    async def tracked(plan: TablePlan) -> tuple[list[KeyStats], dict]:
        nonlocal done
        out = await measure_table(pool, plan, threshold)
        done += 1
        if progress is not None:
            progress.update("schema: keys and relationships", done, len(plans))
        return out

    results = await run_all([tracked(p) for p in plans])
    key_stats: list[KeyStats] = []
    orphans: dict[int, tuple[int, int]] = {}
    for plan, (stats, table_orphans) in zip(plans, results):
        key_stats += stats
        orphans.update({id(plan.orphan_checks[i]): v for i, v in table_orphans.items()})
    by_key = {(k.table, _key(k.columns)): k for k in key_stats}
    apply_to_relationships(relationships, {t.name: t for t in tables}, by_key, orphans)
    return key_stats
