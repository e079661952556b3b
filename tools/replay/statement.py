"""One replayed SELECT: the application's statement as it ran (literals in place), parsed once.

What the DynamoDB side needs: the value each WHERE column is given (equality, IN list, LIKE
prefix, range, BETWEEN), and which columns the joins make equal. What the comparison needs: the
rows' base-table keys and ORDER BY values, added to the SELECT list under `m2d_` names. What the
driver runs: the same statement with every literal a driver parameter and identifiers quoted
(`driver_text`), inside a READ ONLY transaction (run.py), under a time limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp

from mysql2ddb.tools.core.db import time_limited

KEY_PREFIX = "m2d_key_"
ORDER_PREFIX = "m2d_order_"
STATEMENT_SECONDS = 30
Column = tuple[str, str]  # (table, column), lower case: MySQL column names ignore case
_NAMED = "m2dp"


class Unsupported(Exception):
    """Why a statement cannot be replayed (a sentence for the report)."""


@dataclass
class Binding:
    kind: str  # eq | in | prefix | like | range | between | null
    values: list[Any] = field(default_factory=list)
    operator: str | None = None  # range: < <= > >=


@dataclass
class Slot:
    """A literal (or `?`) of the WHERE clause bound to one column: what a data sample replaces."""

    node: exp.Expression
    column: Column
    kind: str  # eq | prefix


def literal(node: exp.Expression) -> tuple[bool, Any]:
    """(is a value, the value) of a literal node: strings, exact numbers, NULL, booleans."""
    if isinstance(node, exp.Literal):
        if node.is_string:
            return True, node.this
        try:
            return True, int(node.this)
        except ValueError:
            return True, Decimal(node.this)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return True, -literal(node.this)[1]
    if isinstance(node, exp.Null):
        return True, None
    if isinstance(node, exp.Boolean):
        return True, bool(node.this)
    return False, None


def _is_value(node: exp.Expression) -> bool:
    return literal(node)[0] or isinstance(node, exp.Placeholder)


def conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    if isinstance(node, (exp.Paren, exp.Where)):
        return conjuncts(node.this)
    if isinstance(node, exp.And):
        return conjuncts(node.this) + conjuncts(node.expression)
    return [node]


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
_OPS = {exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}


def simple_prefix(pattern: str) -> str | None:
    """'Smi%' -> 'Smi'; None for any other LIKE pattern (wildcards inside, escapes)."""
    if pattern.endswith("%") and not any(c in pattern[:-1] for c in "%_\\"):
        return pattern[:-1]
    return None


class Statement:
    """A parsed SELECT with literals. `catalog` resolves unqualified columns of a join."""

    def __init__(self, text: str, catalog: Any, source: str = "log"):
        self.text, self.source = text, source
        try:
            tree = sqlglot.parse_one(text, read="mysql")
        except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError) as exc:
            raise Unsupported(f"the statement does not parse: {str(exc).splitlines()[0][:160]}") from None
        if not isinstance(tree, exp.Select):
            raise Unsupported("not a single SELECT (UNION, subquery or another statement)")
        if tree.args.get("into"):
            raise Unsupported("SELECT ... INTO writes")
        tree.set("locks", None)  # FOR UPDATE / LOCK IN SHARE MODE: replay takes no locks
        self.tree: exp.Select = tree
        self.catalog = catalog
        self.aliases: dict[str, str] = {}  # alias (lower case) -> table (lower case)
        self.tables: list[str] = []  # lower case
        self.names: dict[str, str] = {}  # lower case -> the table's name as written
        for node in tree.find_all(exp.Table):
            if node.name and node.find_ancestor(exp.Select) is tree:
                name = node.name.lower()
                self.names.setdefault(name, node.name)
                self.aliases[node.alias_or_name.lower()] = name
                self.aliases.setdefault(name, name)
                self.tables += [name] if name not in self.tables else []
        self.bindings: dict[Column, Binding] = {}
        self.links: list[tuple[Column, Column]] = []
        self.slots: list[Slot] = []
        self._where()
        self.limit = self._number("limit")
        self.offset = self._number("offset") or 0
        group = tree.args.get("group")
        projections = [p.this if isinstance(p, exp.Alias) else p for p in tree.expressions]
        self.aggregates = [type(p).__name__.upper() for p in projections if isinstance(p, exp.AggFunc)]
        self.count_only = (len(projections) == 1 and isinstance(projections[0], exp.Count) and group is None
                           and not tree.args.get("distinct"))
        self.grouped = group is not None or bool(self.aggregates)
        self.distinct = bool(tree.args.get("distinct"))
        order = tree.args.get("order")
        self.order: list[tuple[exp.Expression, bool]] = [
            (o.this, bool(o.args.get("desc"))) for o in (order.expressions if order else [])]

    # ---- names -----------------------------------------------------------------------------------
    def column(self, node: exp.Column) -> Column | None:
        name = node.name.lower()
        if node.table:
            return self.aliases.get(node.table.lower(), node.table.lower()), name
        if len(self.tables) == 1:
            return self.tables[0], name
        owners = [t for t in self.tables
                  if self.catalog is not None and self.catalog.column(self.names[t], name) is not None]
        return (owners[0], name) if len(owners) == 1 else None

    def alias_of(self, table: str) -> str | None:
        """The name the statement gives `table` in its own FROM/JOIN (the first, on a self-join)."""
        for node in self.tree.find_all(exp.Table):
            if node.name.lower() == table.lower() and node.find_ancestor(exp.Select) is self.tree:
                return node.alias_or_name
        return None

    def _number(self, arg: str) -> int | None:
        node = self.tree.args.get(arg)
        value = node.args.get("expression") if isinstance(node, (exp.Limit, exp.Offset)) else None
        ok, number = literal(value) if value is not None else (False, None)
        if value is not None and not (ok and isinstance(number, int)):
            raise Unsupported(f"{arg.upper()} is not a number")
        return number

    # ---- WHERE and ON ----------------------------------------------------------------------------
    def _bind(self, column: Column | None, binding: Binding, slot: exp.Expression | None = None,
              kind: str = "eq") -> None:
        if column is None:
            return
        self.bindings.setdefault(column, binding)
        if slot is not None:
            self.slots.append(Slot(slot, column, kind))

    def _where(self) -> None:
        for join in self.tree.args.get("joins") or []:
            for cond in conjuncts(join.args.get("on")):
                if isinstance(cond, exp.EQ) and isinstance(cond.this, exp.Column) and \
                        isinstance(cond.expression, exp.Column):
                    self._link(cond.this, cond.expression)
        for cond in conjuncts(self.tree.args.get("where")):
            self._condition(cond)

    def _link(self, a: exp.Column, b: exp.Column) -> None:
        left, right = self.column(a), self.column(b)
        if left and right:
            self.links.append((left, right))

    def _condition(self, cond: exp.Expression) -> None:
        if isinstance(cond, exp.EQ):
            left, right = cond.this, cond.expression
            if isinstance(left, exp.Column) and isinstance(right, exp.Column):
                self._link(left, right)
            elif isinstance(right, exp.Column) and _is_value(left):
                left, right = right, left
            if isinstance(left, exp.Column) and _is_value(right):
                self._bind(self.column(left), Binding("eq", [literal(right)[1]]), right)
        elif isinstance(cond, exp.In) and isinstance(cond.this, exp.Column) and not cond.args.get("query"):
            values = cond.expressions
            if values and all(_is_value(v) for v in values):
                kind = "eq" if len(values) == 1 else "in"
                self._bind(self.column(cond.this), Binding(kind, [literal(v)[1] for v in values]),
                           values[0] if len(values) == 1 else None)
        elif type(cond) in _OPS:
            left, right, op = cond.this, cond.expression, _OPS[type(cond)]
            if isinstance(right, exp.Column) and _is_value(left):
                left, right, op = right, left, _FLIP[op]
            if isinstance(left, exp.Column) and _is_value(right):
                self._bind(self.column(left), Binding("range", [literal(right)[1]], op))
        elif isinstance(cond, exp.Between) and isinstance(cond.this, exp.Column):
            low, high = cond.args.get("low"), cond.args.get("high")
            if low is not None and high is not None and _is_value(low) and _is_value(high):
                self._bind(self.column(cond.this), Binding("between", [literal(low)[1], literal(high)[1]]))
        elif isinstance(cond, exp.Like) and isinstance(cond.this, exp.Column) and _is_value(cond.expression):
            pattern = literal(cond.expression)[1]
            prefix = simple_prefix(pattern) if isinstance(pattern, str) else None
            if isinstance(cond.expression, exp.Placeholder):
                self._bind(self.column(cond.this), Binding("prefix", [None]), cond.expression, "prefix")
            elif prefix is not None:
                self._bind(self.column(cond.this), Binding("prefix", [prefix]), cond.expression, "prefix")
            else:
                self._bind(self.column(cond.this), Binding("like", [str(pattern).strip("%")]))
        elif isinstance(cond, exp.Is) and isinstance(cond.this, exp.Column) and isinstance(cond.expression, exp.Null):
            self._bind(self.column(cond.this), Binding("null"))

    def binding(self, table: str, column: str) -> tuple[Binding, Column] | None:
        """The value the statement gives table.column: directly, through columns its joins make
        equal, or (last) the one bound column of that name."""
        start = (table.lower(), column.lower())
        seen, frontier = {start}, [start]
        while frontier:
            here = frontier.pop(0)
            if here in self.bindings:
                return self.bindings[here], here
            for a, b in self.links:
                for x, y in ((a, b), (b, a)):
                    if x == here and y not in seen:
                        seen.add(y)
                        frontier.append(y)
        named = [c for c in self.bindings if c[1] == start[1]]
        return (self.bindings[named[0]], named[0]) if len(named) == 1 else None

    # ---- the statement the comparison runs ---------------------------------------------------------
    def keyed(self, table: str | None, key_columns: list[str]) -> tuple[exp.Select, list[str]]:
        """The SELECT plus `table`'s key columns (KEY_PREFIX<i>) and each ORDER BY value not already
        selected (ORDER_PREFIX<j>); returns it and the output name holding each ORDER BY value."""
        tree = self.tree.copy()
        columns = list(tree.expressions)
        if table is not None and key_columns:
            alias = self.alias_of(table)
            if alias is None:
                raise Unsupported(f"{table} is not in the statement's FROM or JOIN")
            columns += [exp.alias_(exp.column(c, table=alias), f"{KEY_PREFIX}{i}") for i, c in enumerate(key_columns)]
        outputs = [p.alias_or_name.lower() for p in tree.expressions]
        names: list[str] = []
        for j, (expression, _) in enumerate(self.order):
            if isinstance(expression, exp.Column) and not expression.table and expression.name.lower() in outputs:
                names.append(expression.name.lower())  # ORDER BY an output's alias
                continue
            names.append(f"{ORDER_PREFIX}{j}")
            columns.append(exp.alias_(expression.copy(), names[-1]))
        tree.set("expressions", columns)
        return tree, names


def quoted(tree: exp.Expression) -> exp.Expression:
    tree = tree.copy()
    for identifier in tree.find_all(exp.Identifier):
        identifier.set("quoted", True)
    return tree


def driver_text(tree: exp.Expression, flavor: str | None, seconds: int = STATEMENT_SECONDS) -> tuple[str, list[Any]]:
    """Driver text and parameters: every literal becomes a parameter, in the order the rendered
    text uses them (learned from numbered placeholders, then rendered as `%s`)."""
    values: list[Any] = []

    def named(node: exp.Expression) -> exp.Expression:
        ok, value = literal(node)
        if ok and not isinstance(node, exp.Null):
            values.append(value)
            return exp.Placeholder(this=f"{_NAMED}{len(values) - 1}")
        if isinstance(node, exp.Placeholder) and not node.this:
            raise Unsupported("the statement has a `?` parameter without a value")
        return node

    tree = quoted(tree).transform(named)
    text = tree.sql(dialect="mysql")
    tokens = sqlglot.Dialect.get_or_raise("mysql").tokenize(text)
    order = [int(t.text[len(_NAMED):]) for t in tokens if t.text.startswith(_NAMED) and t.text[len(_NAMED):].isdigit()]
    positional = tree.transform(lambda n: exp.Placeholder() if isinstance(n, exp.Placeholder) else n)
    if not isinstance(positional, exp.Select):
        raise Unsupported("not a single SELECT")
    return time_limited(positional, seconds, flavor), [values[i] for i in order]
