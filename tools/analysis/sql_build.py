"""Direct sqlglot node constructors for the analysis' data queries.

sqlglot's fluent builders (`select().from_().where()`, `alias_`) copy the tree and parse their
string arguments at every step; on a thousand tables that costs more than the queries themselves.
These build the same ASTs node by node, with every identifier quoted (tools/core/sql.py's ident/col/
table), and are rendered with tools/core/sql.py's driver_sql like every other statement.
"""

from __future__ import annotations

from typing import Sequence

from sqlglot import exp

from mysql2ddb.tools.core.sql import col, ident, table


def alias(node: exp.Expression, name: str) -> exp.Alias:
    return exp.Alias(this=node, alias=ident(name))


def count_star() -> exp.Count:
    return exp.Count(this=exp.Star())


def count_distinct(columns: Sequence[str], source: str | None = None) -> exp.Count:
    return exp.Count(this=exp.Distinct(expressions=[col(c, source) for c in columns]))


def number(value: int) -> exp.Literal:
    return exp.Literal.number(value)


def is_null(column: str, source: str | None = None) -> exp.Is:
    return exp.Is(this=col(column, source), expression=exp.Null())


def all_not_null(columns: Sequence[str], source: str | None = None) -> exp.Expression:
    return exp.and_(*[exp.Not(this=is_null(c, source)) for c in columns], copy=False)


def any_null(columns: Sequence[str], source: str | None = None) -> exp.Expression:
    return exp.or_(*[is_null(c, source) for c in columns], copy=False)


def null_count(columns: Sequence[str]) -> exp.Sum:
    """SUM(IF(a IS NULL OR b IS NULL, 1, 0))."""
    return exp.Sum(this=exp.If(this=any_null(columns), true=number(1), false=number(0)))


def select(expressions: Sequence[exp.Expression], source: exp.Expression | None = None, *,
           where: exp.Expression | None = None, group: Sequence[exp.Expression] | None = None,
           order_desc: exp.Expression | None = None, then_by: Sequence[exp.Expression] = (),
           limit: int | None = None,
           joins: Sequence[exp.Join] | None = None) -> exp.Select:
    node = exp.Select(expressions=list(expressions))
    if source is not None:
        node.set("from_", exp.From(this=source))
    if joins:
        node.set("joins", list(joins))
    if where is not None:
        node.set("where", exp.Where(this=where))
    if group:
        node.set("group", exp.Group(expressions=list(group)))
    if order_desc is not None:
        node.set("order", exp.Order(expressions=[exp.Ordered(this=order_desc, desc=True),
                                                 *[exp.Ordered(this=e) for e in then_by]]))
    if limit is not None:
        node.set("limit", exp.Limit(expression=number(limit)))
    return node


def derived(query: exp.Expression, name: str) -> exp.Subquery:
    """`(query) AS name` for a FROM or JOIN."""
    return exp.Subquery(this=query, alias=exp.TableAlias(this=ident(name)))


def scalar(query: exp.Expression) -> exp.Subquery:
    return exp.Subquery(this=query)


def cross_join(source: exp.Expression) -> exp.Join:
    return exp.Join(this=source, kind="CROSS")


def left_join(source: exp.Expression, on: exp.Expression) -> exp.Join:
    return exp.Join(this=source, side="LEFT", on=on)


def union_all(parts: Sequence[exp.Expression]) -> exp.Expression:
    """Parts joined by UNION ALL; each part in parentheses so its ORDER BY/LIMIT stays its own."""
    wrapped = [exp.Subquery(this=p) if len(parts) > 1 else p for p in parts]
    node = wrapped[0]
    for part in wrapped[1:]:
        node = exp.Union(this=node, expression=part, distinct=False)
    return node


def source(name: str, as_: str | None = None) -> exp.Table:
    return table(name, alias=as_)
