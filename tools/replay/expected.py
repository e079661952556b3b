"""What the contract makes of the rows a statement returned: the contract table's compiled view
query (tools/execution/views.py, the one the copy reads) for the pattern's entity, filtered to
those rows by their base-table key, each row converted by the copy's converter. So the items
compared with DynamoDB's answer are exactly the items the migration wrote for those rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlglot import exp

from mysql2ddb.tools.contract.model import ContractTable, Entity
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.execution.convert import RowRejected, build_converter
from mysql2ddb.tools.execution.views import compile_query
from mysql2ddb.tools.execution.views_exprs import SRC
from mysql2ddb.tools.replay.statement import KEY_PREFIX, driver_text

CHUNK = 500  # keys per IN list


@dataclass
class NoItem:
    """A row the contract makes no item of (the converter refused it), and why."""

    reason: str


def primary_keys(conn: Any, database: str, flavor: str | None) -> dict[str, list[str]]:
    """table (lower case) -> its primary-key columns, in key order."""
    usage = sql.table("KEY_COLUMN_USAGE", db="information_schema")
    query = exp.select(sql.col("TABLE_NAME"), sql.col("COLUMN_NAME")).from_(usage).where(exp.and_(
        exp.EQ(this=sql.col("TABLE_SCHEMA"), expression=exp.Literal.string(database)),
        exp.EQ(this=sql.col("CONSTRAINT_NAME"), expression=exp.Literal.string("PRIMARY")),
    )).order_by(sql.col("TABLE_NAME"), sql.col("ORDINAL_POSITION"))
    text, params = driver_text(query, flavor)
    out: dict[str, list[str]] = {}
    with conn.cursor() as cur:
        cur.execute(text, params)
        for table, column in cur.fetchall():
            out.setdefault(str(table).lower(), []).append(str(column))
    return out


def _selects(node: exp.Expression) -> list[exp.Select]:
    if isinstance(node, exp.Union):
        return _selects(node.this) + _selects(node.expression)
    return [node]  # type: ignore[list-item]


def entity_query(table: ContractTable, entity: Entity | None, catalog: Any) -> exp.Select:
    """The view's SELECT for one entity (a multi-entity view is a UNION ALL, one SELECT per entity)."""
    selects = _selects(compile_query(table, catalog))
    return selects[(table.entities or []).index(entity) if entity is not None else 0]


def value_literal(value: Any) -> exp.Expression:
    """A key value read from MySQL, as a literal the driver text turns into a parameter."""
    if isinstance(value, bool):
        return exp.Literal.number(int(value))
    if isinstance(value, (int, Decimal, float)):
        return exp.Literal.number(str(value))
    if isinstance(value, datetime):
        return exp.Literal.string(value.isoformat(sep=" "))
    if isinstance(value, (bytes, bytearray)):
        return exp.HexString(this=bytes(value).hex())
    if isinstance(value, date):
        return exp.Literal.string(value.isoformat())
    return exp.Literal.string(str(value))


def expected_items(conn: Any, flavor: str | None, table: ContractTable, entity: Entity | None, catalog: Any,
                   spec: dict, key_columns: list[str], keys: list[tuple]) -> dict[tuple, dict | NoItem]:
    """base-table key -> the item the contract makes of that row (or NoItem with the reason)."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    columns = [sql.col(c, SRC) for c in key_columns]
    target = columns[0] if len(columns) == 1 else exp.Tuple(expressions=columns)
    query = entity_query(table, entity, catalog).select(
        *[exp.alias_(c.copy(), f"{KEY_PREFIX}{i}", quoted=True) for i, c in enumerate(columns)], append=True)
    convert = build_converter(spec)
    out: dict[tuple, dict | NoItem] = {}
    for start in range(0, len(wanted), CHUNK):
        values = [value_literal(k[0]) if len(columns) == 1 else exp.Tuple(expressions=[value_literal(v) for v in k])
                  for k in wanted[start:start + CHUNK]]
        text, params = driver_text(query.where(exp.In(this=target, expressions=values)), flavor)
        with conn.cursor() as cur:
            cur.execute(text, params)
            for row in cur.fetchall():
                key = tuple(row[len(row) - len(columns):])
                try:
                    out[key] = convert(row)
                except RowRejected as exc:
                    out[key] = NoItem(exc.reason)
    return out
