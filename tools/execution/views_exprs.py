"""One SELECT of a view (a single-entity table, or one entity of a multi-entity table), built as a
sqlglot AST: every attribute becomes one expression over the source row, aliased `src`.

Contract fragments are parsed by tools/contract/fragments.py (one read-only expression each) and
rebound: a table name in a fragment becomes the alias this SELECT gave that table, so two joins
to the same table never collide, while tables a fragment's own subquery reads keep their names
(they shadow outer names, as in SQL). Unqualified columns resolve against the source table first
(§12), then against the attribute's joined table; an ambiguous name is an error.

Joins are LEFT joins (§3); identical joins (same table, same condition) are made once and shared.
Aggregates and json-construction are correlated subqueries per source row (§7, §8).
"""

from __future__ import annotations

import re
from typing import Callable

from sqlglot import exp

from mysql2ddb.tools.core.errors import ContractError
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.contract.catalog import Catalog
from mysql2ddb.tools.contract.fragments import parse_fragment
from mysql2ddb.tools.contract.model import (
    AggregateCalculation,
    Attribute,
    CaseCalculation,
    ChainJoin,
    ConditionalJoin,
    ContractTable,
    Entity,
    ForeignKeyJoin,
    JsonConstructionJoin,
    LookupTableJoin,
    MultiColumnJoin,
    SelfJoin,
)
from mysql2ddb.tools.execution.spec import SPATIAL, ValueType, attribute_type, exposed_type

SRC = "src"
_PENDING = "m2d_pending_alias"
ISO_SECONDS = "%Y-%m-%dT%H:%i:%s"
_AGGREGATES = {"SUM": exp.Sum, "COUNT": exp.Count, "AVG": exp.Avg, "MIN": exp.Min, "MAX": exp.Max}
_DATE_TOKENS = {"YYYY": "%Y", "YY": "%y", "MM": "%m", "DD": "%d", "HH": "%H", "hh": "%h", "mm": "%i", "ss": "%s",
                "SSSSSS": "%f"}
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def _error(why: str, where: str, remedy: str) -> ContractError:
    return ContractError(why, where=where, remedy=remedy)


def mysql_date_format(fmt: str) -> str:
    """strftime-like contract formats (YYYY-MM-DD) -> DATE_FORMAT (%Y-%m-%d) (§9); a format that
    already uses % directives is kept as it is."""
    if "%" in fmt:
        return fmt
    return re.sub("|".join(sorted(_DATE_TOKENS, key=len, reverse=True)), lambda m: _DATE_TOKENS[m.group(0)], fmt)


def func(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _visible(select: exp.Select) -> set[str]:
    """Names a subquery's own FROM/JOIN define (the alias when there is one)."""
    return {t.alias_or_name for t in select.find_all(exp.Table) if t.find_ancestor(exp.Select) is select}


def _lookup(tables: dict[str, str], name: str) -> str | None:
    if name in tables:
        return tables[name]
    lowered = name.lower()
    return next((alias for t, alias in tables.items() if t.lower() == lowered), None)


def rebind(node: exp.Expression, tables: dict[str, str], bare: Callable[[str], str] | None, where: str) -> exp.Expression:
    """A copy of a parsed fragment with table qualifiers replaced by aliases (`tables`: name in
    the fragment -> alias), bare top-level columns qualified by `bare(name)`, all identifiers quoted."""
    node = node.copy()
    for column in list(node.find_all(exp.Column)):
        local: set[str] = set()
        select = column.find_ancestor(exp.Select)
        while select is not None:
            local |= _visible(select)
            select = select.find_ancestor(exp.Select)
        qualifier = column.table
        if qualifier:
            if qualifier in local:
                continue
            alias = _lookup(tables, qualifier)
            if alias is None:
                raise _error(f"the SQL fragment refers to {qualifier}.{column.name}, but {qualifier} is not "
                             f"one of its tables ({', '.join(tables)})", where,
                             "qualify columns with the source table or the join's target table")
            column.set("table", sql.ident(alias))
            column.set("db", None)
        elif not local and bare is not None and not isinstance(column.this, exp.Star):
            column.set("table", sql.ident(bare(column.name)))
    for identifier in node.find_all(exp.Identifier):
        identifier.set("quoted", True)
    return node


class SelectBuilder:
    """Expressions and LEFT JOINs of one SELECT over `source` AS `src`."""

    def __init__(self, table: ContractTable, entity: Entity | None, catalog: Catalog):
        self.table = table
        self.entity = entity
        self.catalog = catalog
        self.source = entity.source_table if entity else table.source_table
        self.where = f"{table.table}" + (f".entities[{entity.entity_type}]" if entity else "")
        self.joins: list[exp.Join] = []
        self._joined: dict[tuple[str, str], str] = {}
        self._count = 0
        self.values: dict[str, tuple[exp.Expression, ValueType]] = {}

    # ---- names and fragments ----
    def _new_alias(self, prefix: str, table: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}_{table}"[:64]

    def _bare(self, candidates: dict[str, str], where: str) -> Callable[[str], str]:
        """Resolver for unqualified columns: the source first (§12), then exactly one other table."""
        def resolve(name: str) -> str:
            if self.catalog.column(self.source, name) is not None:
                return SRC
            found = [alias for table, alias in candidates.items()
                     if alias != SRC and self.catalog.column(table, name) is not None]
            if len(set(found)) == 1:
                return found[0]
            why = (f"column {name} is ambiguous ({', '.join(found)})" if found
                   else f"column {name} is in none of {', '.join([self.source, *candidates])}")
            raise _error(why, where, "qualify the column with its table, e.g. table.column")
        return resolve

    def fragment(self, text: str, tables: dict[str, str], where: str, kind: str = "expression") -> exp.Expression:
        """Parse + rebind one fragment; `tables` maps fragment table names to aliases."""
        node = parse_fragment(text, where, kind)  # type: ignore[arg-type]
        return rebind(node, tables, self._bare(tables, where), where)

    def _tables(self, **extra: str) -> dict[str, str]:
        return {self.source: SRC, **extra}

    def join(self, target: str, conditions: list[str], where: str, tables: dict[str, str],
             as_name: str | None = None) -> str:
        """LEFT JOIN `target` ON conditions (fragment names in `tables`; the joined table's own
        name, or `as_name` for a self-join, maps to the new alias); returns its alias, reusing an
        identical earlier join."""
        names = {**tables, (as_name or target): _PENDING}
        parts = [self.fragment(c, names, f"{where}[{i}]" if len(conditions) > 1 else where, "predicate")
                 for i, c in enumerate(conditions)]
        condition = parts[0] if len(parts) == 1 else exp.and_(*parts)
        key = (target, sql.render(condition))
        if key in self._joined:
            return self._joined[key]
        alias = self._new_alias("j", target)
        for identifier in condition.find_all(exp.Identifier):
            if identifier.this == _PENDING:
                identifier.set("this", alias)
        self.joins.append(exp.Join(this=sql.table(target, alias=alias), side="LEFT", on=condition))
        self._joined[key] = alias
        return alias

    # ---- attributes ----
    def add(self, attr: Attribute) -> exp.Expression:
        where = f"{self.where}.attributes[{attr.name}]"
        if attr.calculation is not None and attr.join is not None:
            raise _error("an attribute has both a join and a calculation", where, "split it into two attributes")
        value = self._calculation(attr, where) if attr.calculation is not None else (
            self._join(attr, where) if attr.join is not None else self._plain(attr, where))
        value_type = attribute_type(self.source, attr, self.catalog, where)
        if value_type.mysql_type in SPATIAL and attr.type in ("S", "M") and attr.transformation is None:
            value = func("ST_AsText" if attr.type == "S" else "ST_AsGeoJSON", value)
        if attr.transformation is not None:
            value = self._transform(attr, value, where)
        self.values[attr.name] = (value, exposed_type(attr.type, value_type))
        return value

    def _plain(self, attr: Attribute, where: str) -> exp.Expression:
        column = attr.source_columns[0]
        if attr.source_table != self.source:
            raise _error(f"{attr.source_table}.{column} is not a column of the source table {self.source} and "
                         "the attribute has no join", where, "add a join (e.g. foreign-key) that reaches it")
        info = self.catalog.column(self.source, column)
        if info is None:
            raise _error(f"column {self.source}.{column} does not exist", where, "name an existing source column")
        return sql.col(info.name, SRC)

    def _transform(self, attr: Attribute, value: exp.Expression, where: str) -> exp.Expression:
        transformation = attr.transformation
        if transformation.type == "date-format" and transformation.format:
            return func("DATE_FORMAT", value, exp.Literal.string(mysql_date_format(transformation.format)))
        if transformation.type == "json-parse":
            return value  # the converter parses JSON text into M/L
        raise _error(f"transformation {transformation.type!r} has no defined fields in the contract schema",
                     f"{where}.transformation", "use date-format, or compute the value with a calculation (case)")

    def _calculation(self, attr: Attribute, where: str) -> exp.Expression:
        calc = attr.calculation
        where = f"{where}.calculation"
        if isinstance(calc, CaseCalculation):
            tables = self._tables()
            ifs = [exp.If(this=self.fragment(c.when, tables, f"{where}.cases[{i}].when", "predicate"),
                          true=self.fragment(c.then, tables, f"{where}.cases[{i}].then")) for i, c in enumerate(calc.cases)]
            default = self.fragment(calc.else_, tables, f"{where}.else") if calc.else_ is not None else None
            return exp.Case(ifs=ifs, default=default)
        if isinstance(calc, AggregateCalculation):
            alias = self._new_alias("a", calc.target_table)
            tables = self._tables(**{calc.target_table: alias})
            condition = self.fragment(calc.join_condition, tables, f"{where}.join_condition", "predicate")
            selected = (exp.Star() if calc.select_column.strip() == "*"
                        else self.fragment(calc.select_column, tables, f"{where}.select_column"))
            query = exp.select(_AGGREGATES[calc.operation](this=selected)).from_(
                sql.table(calc.target_table, alias=alias)).where(condition)
            return exp.Subquery(this=query)
        raise _error(f"calculation {calc.type!r} has no defined fields in the contract schema (§9)", where,
                     "use a case calculation with SQL expressions, or an aggregate")

    def _join(self, attr: Attribute, where: str) -> exp.Expression:
        join = attr.join
        where = f"{where}.join"
        if isinstance(join, (ForeignKeyJoin, LookupTableJoin, MultiColumnJoin)):
            if join.target_table == self.source:
                raise _error(f"a {join.type} join to the source table itself", where,
                             "use a self-join with a join_alias")
            conditions = join.join_conditions if isinstance(join, MultiColumnJoin) else [join.join_condition]
            alias = self.join(join.target_table, conditions, f"{where}.join_condition", self._tables())
            return self.fragment(join.select_column, self._tables(**{join.target_table: alias}), f"{where}.select_column")
        if isinstance(join, SelfJoin):
            alias = self.join(self.source, [join.join_condition], f"{where}.join_condition", self._tables(),
                              as_name=join.join_alias)
            value = self.fragment(join.select_column, self._tables(**{join.join_alias: alias}), f"{where}.select_column")
            if join.null_value is not None:
                value = exp.Coalesce(this=value, expressions=[exp.Literal.string(join.null_value)])
            return value
        if isinstance(join, ConditionalJoin):
            alias = self.join(join.target_table, [join.join_condition], f"{where}.join_condition", self._tables())
            tables = self._tables(**{join.target_table: alias})
            return exp.Case(ifs=[exp.If(this=self.fragment(join.condition, tables, f"{where}.condition", "predicate"),
                                        true=self.fragment(join.select_column, tables, f"{where}.select_column"))],
                            default=exp.Literal.string(join.else_value))
        if isinstance(join, ChainJoin):
            if not join.joins:
                raise _error("a chain join without hops", where, "list at least one hop in joins")
            tables = self._tables()
            selected = []
            for i, hop in enumerate(join.joins):
                alias = self.join(hop.target_table, [hop.join_condition], f"{where}.joins[{i}].join_condition", tables)
                tables = {**tables, hop.target_table: alias}
                selected.append(self.fragment(hop.select_column, tables, f"{where}.joins[{i}].select_column"))
            if join.chain_separator is None:
                return selected[-1]  # §6: the last hop's value
            parts: list[exp.Expression] = []
            for value in selected:
                if parts:
                    parts.append(exp.Literal.string(join.chain_separator))
                parts.append(value)
            return exp.Concat(expressions=parts)
        if isinstance(join, JsonConstructionJoin):
            return self._json(join, where)
        raise _error(f"unknown join type {join.type!r}", where, "use one of the join types of the contract schema")

    def _json(self, join: JsonConstructionJoin, where: str) -> exp.Expression:
        alias = self._new_alias("k", join.target_table)
        tables = self._tables(**{join.target_table: alias})
        construction = join.construction
        pairs = []
        for key, text in construction.select_columns.items():
            value = self.fragment(text, tables, f"{where}.construction.select_columns.{key}")
            pairs.append(exp.JSONKeyValue(this=exp.Literal.string(key), expression=self._json_value(value, alias, join)))
        obj = exp.JSONObject(expressions=pairs)
        order = (self.fragment(construction.order_by, tables, f"{where}.construction.order_by", "order_by")
                 if construction.order_by else None)
        condition = self.fragment(join.join_condition, tables, f"{where}.join_condition", "predicate")
        limit = int(construction.limit) if construction.limit is not None else None
        if construction.type == "object":
            query = exp.select(obj).from_(sql.table(join.target_table, alias=alias)).where(condition)
            if order is not None:
                query = query.order_by(*order.expressions)
            return exp.Subquery(this=query.limit(1))
        inner: exp.Expression = obj
        if order is not None:
            inner = exp.Order(this=inner, expressions=order.expressions)
        if limit is not None:
            inner = exp.Limit(this=inner, expression=exp.Literal.number(limit))
        query = exp.select(func("JSON_ARRAYAGG", inner)).from_(sql.table(join.target_table, alias=alias)).where(condition)
        return exp.Subquery(this=query)

    def _json_value(self, value: exp.Expression, alias: str, join: JsonConstructionJoin) -> exp.Expression:
        """Temporal columns inside JSON in the same ISO text as elsewhere; geometry as WKT."""
        if isinstance(value, exp.Column) and value.table == alias:
            info = self.catalog.column(join.target_table, value.name)
            if info and info.data_type in ("datetime", "timestamp"):
                return template_text(value, ValueType(info.data_type, info.column_type))
            if info and info.data_type in SPATIAL:
                return func("ST_AsText", value)
        return value

    # ---- keys of multi-entity tables ----
    def template(self, text: str, where: str) -> exp.Expression:
        """pk_template/sk_template -> CONCAT of its literal parts and formatted attribute values (§2)."""
        parts: list[exp.Expression] = []
        for i, piece in enumerate(_PLACEHOLDER.split(text)):
            if i % 2 == 0:
                if piece:
                    parts.append(exp.Literal.string(piece))
                continue
            name = piece.strip()
            if name in self.values:
                value, value_type = self.values[name]
                parts.append(template_text(value.copy(), value_type))
                continue
            info = self.catalog.column(self.source, name)
            if info is None:
                raise _error(f"template placeholder {{{name}}} names no attribute of the entity", where,
                             "use an attribute name declared in the entity's attributes")
            parts.append(template_text(sql.col(info.name, SRC), ValueType(info.data_type, info.column_type)))
        if len(parts) == 1 and isinstance(parts[0], exp.Literal):
            return parts[0]
        return exp.Concat(expressions=parts or [exp.Literal.string("")])


def template_text(value: exp.Expression, value_type: ValueType) -> exp.Expression:
    """A value as key text: datetimes ISO (fractional digits when the column has them), decimals
    without trailing zeros, everything else as MySQL prints it (numbers unpadded)."""
    kind = value_type.mysql_type
    if kind in ("datetime", "timestamp"):
        if not value_type.fsp:
            return func("DATE_FORMAT", value, exp.Literal.string(ISO_SECONDS))
        text = func("DATE_FORMAT", value, exp.Literal.string(ISO_SECONDS + ".%f"))
        return exp.Substring(this=text, start=exp.Literal.number(1), length=exp.Literal.number(20 + value_type.fsp))
    if kind == "date":
        return func("DATE_FORMAT", value, exp.Literal.string("%Y-%m-%d"))
    if kind in ("decimal", "numeric") and value_type.scale:
        zeros = exp.Trim(this=value, expression=exp.Literal.string("0"), position="TRAILING")
        return exp.Trim(this=zeros, expression=exp.Literal.string("."), position="TRAILING")
    return value
