"""The values of one DynamoDB request, from one statement's parameters, typed through the contract.

The design writes a request's values as the application would fill them in: `:film_id` (the
attribute film_id, i.e. the MySQL column it is made from), `:x_from`/`:x_to` (the two ends of a
BETWEEN on x), a key template (`CUSTOMER#{customer_id}`), or a literal (`RENTAL#`). Each
attribute is traced to its source column and the statement's value for that column is taken
(through the statement's join equalities when it names the column of another table); the value
becomes an AttributeValue with the product's own converter, as the copy wrote it. A computed
attribute (a case calculation, such as a name's initial) is evaluated by MySQL over the given
column values, read-only. A placeholder naming no attribute compared with a "has a child"
flag (`open_rental = :none`) takes the flag's value for "no child" (its else_value)."""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable

import sqlglot
from sqlglot import exp

from mysql2ddb.tools.contract.model import (
    Attribute, ChainJoin, ConditionalJoin, ContractTable, Entity, ForeignKeyJoin, LookupTableJoin, MultiColumnJoin,
)
from mysql2ddb.tools.execution.convert import RowRejected, build_converter, canonical_number
from mysql2ddb.tools.execution.views_exprs import SRC, SelectBuilder
from mysql2ddb.tools.replay.statement import Binding, Statement

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_TEMPORAL = {"datetime": datetime, "timestamp": datetime, "date": date}
Evaluate = Callable[[exp.Select], Any]  # runs a one-row SELECT read-only, returns its one value


class Unresolvable(Exception):
    """Why a request value cannot be filled in from the statement (a sentence for the report)."""


def origin(attr: Attribute) -> tuple[str, str] | None:
    """The (table, column) an attribute's value is a plain copy of, or None when it is computed."""
    if attr.is_plain and len(attr.source_columns) == 1:
        return attr.source_table, attr.source_columns[0]
    join = attr.join
    if attr.calculation is not None or attr.transformation is not None or join is None:
        return None
    if isinstance(join, (ForeignKeyJoin, LookupTableJoin, MultiColumnJoin)):
        return _selected(join.select_column, join.target_table)
    if isinstance(join, ChainJoin) and join.joins and join.chain_separator is None:
        return _selected(join.joins[-1].select_column, join.joins[-1].target_table)
    return None


def _selected(text: str, default_table: str) -> tuple[str, str] | None:
    try:
        node = sqlglot.parse_one(text, read="mysql", into=exp.Condition)
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError):
        return None
    return (node.table or default_table, node.name) if isinstance(node, exp.Column) else None


def _pick(binding: Binding, which: int | None, what: str) -> list[Any]:
    if binding.kind in ("eq", "in", "prefix", "like", "range"):
        if binding.values and binding.values[0] is None and binding.kind != "in":
            raise Unresolvable(f"the statement gives {what} no value")
        return list(binding.values)
    if binding.kind == "between":
        if which is None:
            raise Unresolvable(f"the statement gives {what} a BETWEEN range: the request names one value")
        return [binding.values[which]]
    raise Unresolvable(f"the statement gives {what} no value (it tests IS NULL)")


class Values:
    """Request values for one statement on one contract table (and entity)."""

    def __init__(self, stmt: Statement, table: ContractTable, entity: Entity | None, spec: dict, catalog: Any,
                 evaluate: Evaluate):
        self.stmt, self.table, self.entity, self.catalog, self.evaluate = stmt, table, entity, catalog, evaluate
        self.attrs = {a.name: a for a in (entity.attributes if entity else table.attributes)}
        self.columns = {c["name"]: c for c in spec["columns"]}
        self.source = entity.source_table if entity else table.source_table
        self._converters: dict[str, Callable] = {}

    # ---- one value written in the design ------------------------------------------------------------
    def value(self, text: str, key_type: str | None = None, filter_text: str | None = None) -> list[dict]:
        """Every AttributeValue `text` stands for (several for an IN list)."""
        if text.startswith(":"):
            return self.placeholder(text[1:], filter_text)
        if _PLACEHOLDER.search(text):
            return self.template(text)
        return [{"N": canonical_number(text)} if key_type == "N" else {"S": text}]

    def placeholder(self, name: str, filter_text: str | None = None) -> list[dict]:
        if name in self.attrs:
            return self.attribute(self.attrs[name])
        for suffix, which in (("_from", 0), ("_to", 1)):
            base = name[:-len(suffix)]
            if name.endswith(suffix) and base in self.attrs:
                return self.attribute(self.attrs[base], which)
        flag = self._flag_compared_with(name, filter_text)
        if flag is not None:
            return [{"S": flag}]
        raise Unresolvable(f":{name} names no attribute of {self._where()}")

    def _flag_compared_with(self, name: str, filter_text: str | None) -> str | None:
        for match in re.finditer(rf"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=|<>)\s*:{re.escape(name)}\b", filter_text or ""):
            attr = self.attrs.get(match.group(1))
            if attr is not None and isinstance(attr.join, ConditionalJoin):
                return attr.join.else_value
        return None

    def template(self, text: str) -> list[dict]:
        pieces = _PLACEHOLDER.split(text)
        choices: list[list[str]] = []
        for i, piece in enumerate(pieces):
            if i % 2 == 0:
                choices.append([piece])
                continue
            name = piece.strip()
            values = self.attribute(self.attrs[name]) if name in self.attrs else self._column(name)
            choices.append([_text(av) for av in values])
        return [{"S": "".join(parts)} for parts in itertools.product(*choices)]

    # ---- attributes -------------------------------------------------------------------------------
    def attribute(self, attr: Attribute, which: int | None = None) -> list[dict]:
        source = origin(attr)
        if source is None:
            return [self.typed(attr.name, self._computed(attr))]
        found = self.stmt.binding(*source)
        if found is None:
            raise Unresolvable(f"{attr.name} is {source[0]}.{source[1]}, which the statement gives no value")
        return [self.typed(attr.name, v) for v in _pick(found[0], which, f"{source[0]}.{source[1]}")]

    def _column(self, name: str) -> list[dict]:
        """A template placeholder naming a source column that is no attribute (§2 allows it)."""
        info = self.catalog.column(self.source, name)
        found = self.stmt.binding(self.source, name)
        if info is None or found is None:
            raise Unresolvable(f"the key template names {{{name}}}, which the statement gives no value")
        column = {"name": name, "ddb_type": "N" if info.data_type in _NUMERIC else "S",
                  "mysql_type": info.data_type, "column_type": info.column_type}
        return [self._convert(column, v) for v in _pick(found[0], None, f"{self.source}.{name}")]

    def _computed(self, attr: Attribute) -> Any:
        """Evaluate a computed attribute over the statement's values of its source row's columns."""
        builder = SelectBuilder(self.table, self.entity, self.catalog)
        value = builder.add(attr)
        if builder.joins:
            raise Unresolvable(f"{attr.name} is computed from joined tables: no request value can be made from "
                               "the statement alone")
        given: dict[str, Any] = {}
        for column in value.find_all(exp.Column):
            if column.table != SRC or column.name in given:
                continue
            found = self.stmt.binding(self.source, column.name)
            if found is None:
                raise Unresolvable(f"{attr.name} is computed from {self.source}.{column.name}, which the statement "
                                   "gives no value")
            given[column.name] = _pick(found[0], None, f"{self.source}.{column.name}")[0]
        row = exp.select(*[exp.alias_(_literal(v), n, quoted=True) for n, v in given.items()] or [exp.null()])
        query = exp.select(exp.alias_(value, "v", quoted=True)).from_(exp.Subquery(
            this=row, alias=exp.TableAlias(this=exp.to_identifier(SRC, quoted=True))))
        return self.evaluate(query)

    def typed(self, name: str, value: Any) -> dict:
        column = self.columns.get(name)
        if column is None:
            raise Unresolvable(f"{name} is not an attribute of {self.table.table} in the contract")
        return self._convert(column, value)

    def _convert(self, column: dict, value: Any) -> dict:
        kind = _TEMPORAL.get((column.get("mysql_type") or "").lower())
        if kind is not None and isinstance(value, str):
            try:  # the statement's text '2005-05-24 22:53:30' becomes the value the converter formats
                value = kind.fromisoformat(value.strip())
            except ValueError:
                pass
        convert = self._converters.get(column["name"])
        if convert is None:
            convert = self._converters[column["name"]] = build_converter(
                {"table": self.table.table, "pk": None, "sk": None, "columns": [column]})
        try:
            av = convert([value]).get(column["name"]) if value is not None else None
        except RowRejected as exc:
            raise Unresolvable(f"{column['name']}: {exc.reason}") from None
        if av is None:
            raise Unresolvable(f"{column['name']} would be NULL: a request cannot look it up")
        return av

    def _where(self) -> str:
        return f"{self.table.table}" + (f" entity {self.entity.entity_type}" if self.entity else "")


_NUMERIC = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "float", "double",
            "year"}


def _literal(value: Any) -> exp.Expression:
    """A value for the evaluation row; literals become driver parameters (statement.driver_text)."""
    if value is None:
        return exp.null()
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return exp.Literal.number(str(value))
    return exp.Literal.string(str(value))


def _text(av: dict) -> str:
    (kind, value), = av.items()
    if kind in ("S", "N"):
        return str(value)
    raise Unresolvable(f"a key template cannot hold a {kind} value")
