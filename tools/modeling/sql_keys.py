"""What an access pattern's SQL says about the keys a DynamoDB design needs, parsed with sqlglot:
equality columns in WHERE (partition-key candidates), range and prefix conditions and ORDER BY
(sort-key candidates, with direction), LIMIT/OFFSET, the joins and their column pairs
(denormalization or item-collection candidates), aggregates (counts), and the columns a write sets.

Aliases resolve to table names; a column with no qualifier resolves to the statement's only
table, or stays unresolved (`table=None`) for the caller to resolve against the schema.
"""

from __future__ import annotations

import re
from typing import Literal

import sqlglot
from pydantic import BaseModel, ConfigDict, Field
from sqlglot import exp

StatementKind = Literal["select", "insert", "update", "delete", "other"]
RangeOperator = Literal["<", "<=", ">", ">=", "between", "prefix", "like"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ColumnUse(_Model):
    table: str | None = Field(None, description="base table (aliases resolved); None when unqualified and ambiguous")
    column: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column}" if self.table else self.column


class SelectUse(ColumnUse):
    alias: str | None = Field(None, description="`AS name` in the SELECT list")


class EqualityUse(ColumnUse):
    in_list: bool = Field(False, description="`col IN (...)`: several values (BatchGetItem / several queries)")


class RangeUse(ColumnUse):
    operator: RangeOperator


class OrderUse(ColumnUse):
    direction: Literal["ASC", "DESC"] = "ASC"


class JoinUse(_Model):
    table: str
    kind: Literal["inner", "left", "right", "cross"] = "inner"
    pairs: list[tuple[ColumnUse, ColumnUse]] = Field(default_factory=list, description="equality column pairs of ON")
    conditions: list[str] = Field(default_factory=list, description="other ON conditions, as SQL")


class StatementKeys(_Model):
    statement: StatementKind = "other"
    table: str | None = Field(None, description="main table: FROM, INSERT INTO, UPDATE or DELETE FROM")
    tables: list[str] = Field(default_factory=list)
    equality: list[EqualityUse] = Field(default_factory=list, description="WHERE col = value (not col = col)")
    ranges: list[RangeUse] = Field(default_factory=list, description="WHERE col < value, BETWEEN, LIKE 'x%'")
    null_checks: list[ColumnUse] = Field(default_factory=list, description="WHERE col IS NULL")
    order_by: list[OrderUse] = Field(default_factory=list)
    limit: int | None = None
    offset: bool = Field(False, description="OFFSET paging (becomes ExclusiveStartKey paging)")
    joins: list[JoinUse] = Field(default_factory=list)
    columns: list[SelectUse] = Field(default_factory=list, description="SELECT list, INSERT columns or UPDATE SET columns")
    aggregates: list[str] = Field(default_factory=list, description="COUNT, SUM, ... in the SELECT list")
    parse_error: str | None = None

    def equality_columns(self, table: str | None = None) -> list[str]:
        return [e.column for e in self.equality if table is None or e.table == table]


_AGGREGATES = (exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max)


def _prepare(sql: str) -> str:
    # Fingerprints use `?` (and sometimes `...` inside IN lists): both parse as placeholders.
    return re.sub(r"\(\s*\.\.\.\s*\)", "(?)", sql)


def _is_value(node: exp.Expression) -> bool:
    """A literal, placeholder, parameter or value function (NOW()): anything that is not a column."""
    return not isinstance(node, exp.Column) and node.find(exp.Column) is None


def _literal_int(node: exp.Expression | None) -> int | None:
    if node is None:
        return None
    value = node.args.get("expression") if isinstance(node, (exp.Limit, exp.Offset)) else node
    if isinstance(value, exp.Literal) and value.is_int:
        return int(value.this)
    return None


class _Resolver:
    def __init__(self, statement: exp.Expression):
        self.aliases: dict[str, str] = {}
        self.tables: list[str] = []
        for table in statement.find_all(exp.Table):
            if not table.name:
                continue
            self.aliases[table.alias_or_name] = table.name
            self.aliases.setdefault(table.name, table.name)
            if table.name not in self.tables:
                self.tables.append(table.name)

    def unaliased(self, node: exp.Expression) -> str:
        """SQL text of a condition with aliases replaced by table names (`r.x` -> `rental.x`)."""
        copy = node.copy()
        for column in copy.find_all(exp.Column):
            if column.table and column.table in self.aliases:
                column.set("table", exp.to_identifier(self.aliases[column.table]))
        return copy.sql(dialect="mysql")

    def column(self, node: exp.Column) -> ColumnUse:
        qualifier = node.table
        if qualifier:
            return ColumnUse(table=self.aliases.get(qualifier, qualifier), column=node.name)
        return ColumnUse(table=self.tables[0] if len(self.tables) == 1 else None, column=node.name)


def _conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    if isinstance(node, (exp.Paren, exp.Where)):
        return _conjuncts(node.this)
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


_FLIP = {exp.LT: ">", exp.LTE: ">=", exp.GT: "<", exp.GTE: "<="}
_OPS = {exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}


def _where(keys: StatementKeys, where: exp.Expression | None, res: _Resolver) -> None:
    for cond in _conjuncts(where):
        if isinstance(cond, exp.EQ):
            left, right = cond.this, cond.expression
            if isinstance(left, exp.Column) and isinstance(right, exp.Column):
                # an implicit join written in WHERE
                keys.joins.append(JoinUse(table=res.column(right).table or "?", pairs=[(res.column(left), res.column(right))]))
            elif isinstance(left, exp.Column) and _is_value(right):
                keys.equality.append(EqualityUse(**res.column(left).model_dump()))
            elif isinstance(right, exp.Column) and _is_value(left):
                keys.equality.append(EqualityUse(**res.column(right).model_dump()))
        elif isinstance(cond, exp.In) and isinstance(cond.this, exp.Column) and not cond.args.get("query"):
            keys.equality.append(EqualityUse(**res.column(cond.this).model_dump(), in_list=len(cond.expressions) != 1))
        elif type(cond) in _OPS:
            left, right = cond.this, cond.expression
            if isinstance(left, exp.Column) and _is_value(right):
                keys.ranges.append(RangeUse(**res.column(left).model_dump(), operator=_OPS[type(cond)]))
            elif isinstance(right, exp.Column) and _is_value(left):
                keys.ranges.append(RangeUse(**res.column(right).model_dump(), operator=_FLIP[type(cond)]))
        elif isinstance(cond, exp.Between) and isinstance(cond.this, exp.Column):
            keys.ranges.append(RangeUse(**res.column(cond.this).model_dump(), operator="between"))
        elif isinstance(cond, exp.Like) and isinstance(cond.this, exp.Column):
            pattern = cond.expression
            prefix = isinstance(pattern, exp.Placeholder) or (
                isinstance(pattern, exp.Literal) and pattern.is_string
                and pattern.this.endswith("%") and "%" not in pattern.this[:-1] and "_" not in pattern.this[:-1])
            keys.ranges.append(RangeUse(**res.column(cond.this).model_dump(), operator="prefix" if prefix else "like"))
        elif isinstance(cond, exp.Is) and isinstance(cond.this, exp.Column) and isinstance(cond.expression, exp.Null):
            keys.null_checks.append(res.column(cond.this))


def _joins(keys: StatementKeys, statement: exp.Expression, res: _Resolver) -> None:
    for join in statement.args.get("joins") or []:
        target = join.this
        if not isinstance(target, exp.Table):
            continue
        side = (join.side or "").lower()
        kind = side if side in ("left", "right") else ("cross" if join.kind and join.kind.upper() == "CROSS" else "inner")
        use = JoinUse(table=target.name, kind=kind)  # type: ignore[arg-type]
        for cond in _conjuncts(join.args.get("on")):
            if isinstance(cond, exp.EQ) and isinstance(cond.this, exp.Column) and isinstance(cond.expression, exp.Column):
                use.pairs.append((res.column(cond.this), res.column(cond.expression)))
            else:
                use.conditions.append(res.unaliased(cond))
        for name in join.args.get("using") or []:
            column = name.name if isinstance(name, exp.Expression) else str(name)
            use.pairs.append((ColumnUse(table=target.name, column=column), ColumnUse(table=keys.table, column=column)))
        keys.joins.append(use)


def _select(keys: StatementKeys, statement: exp.Select, res: _Resolver) -> None:
    from_ = statement.args.get("from") or statement.args.get("from_")
    if from_ is not None and isinstance(from_.this, exp.Table):
        keys.table = from_.this.name
    _joins(keys, statement, res)
    _where(keys, statement.args.get("where"), res)
    for projection in statement.expressions:
        node = projection.this if isinstance(projection, exp.Alias) else projection
        if isinstance(node, _AGGREGATES):
            keys.aggregates.append(type(node).__name__.upper())
        alias = projection.alias if isinstance(projection, exp.Alias) else None
        if isinstance(node, exp.Column) and isinstance(node.this, exp.Star):
            table = res.aliases.get(node.table, node.table)
            keys.columns.append(SelectUse(table=table, column="*"))
        elif isinstance(node, exp.Column):
            keys.columns.append(SelectUse(**res.column(node).model_dump(), alias=alias or None))
        elif isinstance(node, exp.Star):
            keys.columns.append(SelectUse(table=keys.table, column="*"))
    order = statement.args.get("order")
    for ordered in order.expressions if order else []:
        if isinstance(ordered.this, exp.Column):
            use = res.column(ordered.this)
            keys.order_by.append(OrderUse(**use.model_dump(), direction="DESC" if ordered.args.get("desc") else "ASC"))
    keys.limit = _literal_int(statement.args.get("limit"))
    keys.offset = statement.args.get("offset") is not None


def _insert(keys: StatementKeys, statement: exp.Insert, res: _Resolver) -> None:
    target = statement.this
    if isinstance(target, exp.Schema):
        keys.table = target.this.name if isinstance(target.this, exp.Table) else None
        keys.columns = [SelectUse(table=keys.table, column=c.name) for c in target.expressions]
    elif isinstance(target, exp.Table):
        keys.table = target.name


def _update(keys: StatementKeys, statement: exp.Update, res: _Resolver) -> None:
    if isinstance(statement.this, exp.Table):
        keys.table = statement.this.name
    for assignment in statement.expressions:
        if isinstance(assignment, exp.EQ) and isinstance(assignment.this, exp.Column):
            keys.columns.append(SelectUse(**res.column(assignment.this).model_dump()))
    _where(keys, statement.args.get("where"), res)
    keys.limit = _literal_int(statement.args.get("limit"))


def _delete(keys: StatementKeys, statement: exp.Delete, res: _Resolver) -> None:
    if isinstance(statement.this, exp.Table):
        keys.table = statement.this.name
    _where(keys, statement.args.get("where"), res)
    keys.limit = _literal_int(statement.args.get("limit"))


def statement_keys(sql: str) -> StatementKeys:
    """Parse one statement; a statement sqlglot cannot read gives `parse_error` instead of raising."""
    try:
        statement = sqlglot.parse_one(_prepare(sql), read="mysql")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError) as exc:
        return StatementKeys(parse_error=str(exc).splitlines()[0][:300])
    res = _Resolver(statement)
    keys = StatementKeys(tables=list(res.tables))
    if isinstance(statement, exp.Select):
        keys.statement = "select"
        _select(keys, statement, res)
    elif isinstance(statement, exp.Insert):
        keys.statement = "insert"
        _insert(keys, statement, res)
    elif isinstance(statement, exp.Update):
        keys.statement = "update"
        _update(keys, statement, res)
    elif isinstance(statement, exp.Delete):
        keys.statement = "delete"
        _delete(keys, statement, res)
    if keys.table is None and keys.tables:
        keys.table = keys.tables[0]
    return keys
