"""Which items a changed source row feeds, read off the compiled views.

Each contract table compiles to one SELECT per entity over its source table `AS src` (views.py).
A row of table T reaches a SELECT in one of three ways:
- `base`: T is the SELECT's source: the row is one item's row, found again by T's key;
- `join`: T is joined (or correlated in a subquery) by equalities between T's columns and src's:
  the items are those whose src columns equal the row's values (a customer rename reaches that
  customer's orders through `orders.customer_id = customer.id`);
- `via`: T reaches src through one table M that is itself tied to src by one equality: T's
  column equals M's (`T.x = M.y`, or `T.x IN (SELECT M.y FROM M ...)`) and `M.z = src.w` (a film's
  actors through film_actor): the items are those whose src.w is an M.z of a row with M.y among
  the row's values; other conditions on M only narrow that, so reading those items again is exact;
- `full`: T is reached another way (more hops, or a link it cannot read off): every row of that
  SELECT is derived again. Correct, but a full read of the view's rows; the README names this limit.
A row of a table no SELECT names feeds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlglot import exp

from mysql2ddb.tools.execution.views_exprs import SRC

LinkKind = Literal["base", "join", "via", "full"]


@dataclass(frozen=True)
class Via:
    """T.t_column ~ middle.middle_column, and middle.to_src = src.src_column."""

    middle: str
    t_column: str
    middle_column: str
    to_src: str
    src_column: str


@dataclass
class Link:
    kind: LinkKind
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (column of T, column of src)
    via: Via | None = None


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
            via = _via(select, use) if len(uses) == 1 else None
            return Link("via", via=via) if via else Link("full")
        pairs.extend(p for p in found if p not in pairs)
    return Link("join", pairs)


def _via(select: exp.Select, use: exp.Table) -> Via | None:
    """The one middle table through which `use` reaches src, if the SELECT shows exactly one."""
    tables = list(select.find_all(exp.Table))
    found = []
    for middle in tables:
        if middle.name == use.name or sum(t.alias_or_name == middle.alias_or_name for t in tables) != 1:
            continue  # a name used twice could be either use: no guessing
        to_src = _pairs_for(middle.alias_or_name, _scope_of(middle))
        hop = _hop(select, use.alias_or_name, middle.alias_or_name) if len(to_src) == 1 else None
        if hop:
            found.append(Via(middle.name, hop[0], hop[1], to_src[0][0], to_src[0][1]))
    return found[0] if len(found) == 1 else None


def _hop(select: exp.Select, alias: str, middle: str) -> tuple[str, str] | None:
    """(column of T, column of the middle table) equal in `T.x = M.y` or `T.x IN (SELECT M.y ...)`."""
    for eq in select.find_all(exp.EQ):
        left, right = eq.left, eq.right
        if isinstance(left, exp.Column) and isinstance(right, exp.Column):
            if left.table == alias and right.table == middle:
                return left.name, right.name
            if right.table == alias and left.table == middle:
                return right.name, left.name
    for test in select.find_all(exp.In):
        query = test.args.get("query")
        inner = query.this if isinstance(query, exp.Subquery) else query
        if isinstance(test.this, exp.Column) and test.this.table == alias and isinstance(inner, exp.Select):
            picked = inner.expressions
            if len(picked) == 1 and isinstance(picked[0], exp.Column) and picked[0].table == middle:
                return test.this.name, picked[0].name
    return None
