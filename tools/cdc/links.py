"""Which items a changed source row feeds, read off the compiled views.

Each contract table compiles to one SELECT per entity over its source table `AS src` (views.py).
A row of table T reaches a SELECT in one of three ways:
- `base`: T is the SELECT's source: the row is one item's row, found again by T's key;
- `join`: T is joined (or correlated in a subquery) by equalities between T's columns and src's:
  the items are those whose src columns equal the row's values (a customer rename reaches that
  customer's orders through `orders.customer_id = customer.id`);
- `full`: T is reached another way (two hops through a junction table): every row of that SELECT
  is derived again. Correct, but a full read of the view's rows; the README names this limit.
A row of a table no SELECT names feeds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlglot import exp

from mysql2ddb.tools.execution.views_exprs import SRC

LinkKind = Literal["base", "join", "full"]


@dataclass
class Link:
    kind: LinkKind
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (column of T, column of src)


def top_selects(query: exp.Expression) -> list[exp.Select]:
    """The entity SELECTs of a view query (one, or the branches of its UNION ALL)."""
    if isinstance(query, exp.Union):
        return top_selects(query.left) + top_selects(query.right)
    return [query]  # type: ignore[list-item]


def source_of(select: exp.Select) -> str:
    return select.args["from_"].this.name


def _is_src(column: exp.Column) -> bool:
    return column.table == SRC


def _pairs_for(alias: str, scope: exp.Expression) -> list[tuple[str, str]]:
    """Equalities `alias.x = src.y` (either side) inside `scope`."""
    out = []
    for eq in scope.find_all(exp.EQ):
        left, right = eq.left, eq.right
        if not (isinstance(left, exp.Column) and isinstance(right, exp.Column)):
            continue
        if left.table == alias and _is_src(right):
            out.append((left.name, right.name))
        elif right.table == alias and _is_src(left):
            out.append((right.name, left.name))
    return out


def _scope_of(table: exp.Table) -> exp.Expression:
    """The join's ON condition, or the subquery holding the table."""
    join = table.find_ancestor(exp.Join)
    if join is not None and join.this is table:
        return join.args.get("on") or join
    return table.find_ancestor(exp.Select) or table


def link(select: exp.Select, changed: str) -> Link | None:
    """How a row of `changed` reaches this SELECT's items; None when it does not."""
    if source_of(select) == changed:
        return Link("base")
    uses = [t for t in select.find_all(exp.Table) if t.name == changed]
    if not uses:
        return None
    pairs: list[tuple[str, str]] = []
    for use in uses:
        found = _pairs_for(use.alias_or_name, _scope_of(use))
        if not found:
            return Link("full")
        pairs.extend(p for p in found if p not in pairs)
    return Link("join", pairs)
