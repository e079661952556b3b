"""Example items for the reviews: a few rows of a contract table's view query, converted exactly
as the copy converts them (tools/execution/convert.py), so a reviewer sees real items before
approving the table that makes them.

Read-only and creating nothing: the view's SELECT is compiled (views.py) and run as it is, with a
LIMIT, inside a READ ONLY transaction and under a server-side time limit; no view is created.
Every fragment passes the fragment policy first (views.check_fragments). A multi-entity table
shows one item collection when it can: the first entity's first item, then an item of the next
entity under the same partition key (else that entity's first item).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pymysql
from pydantic import BaseModel, Field
from sqlglot import exp

from mysql2ddb.tools.core import sql
from mysql2ddb.tools.core.db import Dsn, map_db_error, server_flavor, sync_connection, time_limited
from mysql2ddb.tools.core.errors import Mysql2DdbError
from mysql2ddb.tools.contract.catalog import Catalog, read_catalog_sync
from mysql2ddb.tools.contract.model import Contract, ContractTable
from mysql2ddb.tools.execution.spec import table_spec
from mysql2ddb.tools.execution.views import check_fragments, compile_query

EXAMPLE_SECONDS = 30
_READ_ONLY = "START TRANSACTION READ ONLY"  # a constant statement: no identifier, no value


class TableExamples(BaseModel):
    table: str
    items: list[dict[str, Any]] = Field(default_factory=list, description="DynamoDB wire JSON")
    rejected: list[str] = Field(default_factory=list, description="why a row read could not become an item")
    error: str | None = Field(None, description="why no example could be read for this table")


def plain(av: dict[str, Any]) -> Any:
    """A wire-JSON attribute value as plain JSON for reading (numbers as numbers, binary as base64)."""
    (kind, value), = av.items()
    if kind == "N":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() and "." not in value else float(number)
    if kind in ("S", "B", "BOOL"):
        return value
    if kind in ("SS", "BS"):
        return list(value)
    if kind == "NS":
        return [plain({"N": v}) for v in value]
    if kind == "M":
        return {k: plain(v) for k, v in value.items()}
    if kind == "L":
        return [plain(v) for v in value]
    return None  # NULL


def plain_item(item: dict[str, Any]) -> dict[str, Any]:
    return {name: plain(av) for name, av in item.items()}


def _branches(query: exp.Expression) -> list[exp.Select]:
    """The SELECTs of a UNION ALL, in entity order."""
    if isinstance(query, exp.Union):
        return _branches(query.this) + _branches(query.expression)
    return [query]  # type: ignore[list-item]


def _rows(cur: Any, select: exp.Select, limit: int, flavor: str | None, pk: tuple[str, Any] | None) -> list[tuple]:
    query = select.copy().limit(limit)
    params: list[Any] = []
    if pk is not None:  # an item of the same collection: filter on the computed key column
        query = (exp.select(exp.Star())
                 .from_(exp.Subquery(this=select.copy(), alias=exp.TableAlias(this=sql.ident("m2d_example"))))
                 .where(exp.EQ(this=sql.col(pk[0], "m2d_example"), expression=sql.param())).limit(limit))
        params = [pk[1]]
    cur.execute(time_limited(query, EXAMPLE_SECONDS, flavor), params)
    return list(cur.fetchall())


def _table_examples(cur: Any, table: ContractTable, catalog: Catalog, limit: int, flavor: str | None) -> TableExamples:
    from mysql2ddb.tools.execution import convert

    out = TableExamples(table=table.table)
    spec = table_spec(table, catalog)
    to_item = convert.build_converter(spec)
    branches = _branches(compile_query(table, catalog))
    pk_at = [c["name"] for c in spec["columns"]].index(table.pk)
    collection: tuple[str, Any] | None = None
    for n, branch in enumerate(branches):
        wanted = limit - len(out.items) if n == len(branches) - 1 else 1  # one item per entity, then the rest
        rows = _rows(cur, branch, wanted, flavor, collection) if collection else []
        rows = rows or _rows(cur, branch, wanted, flavor, None)
        for row in rows:
            try:
                out.items.append(to_item(row))
            except convert.RowRejected as exc:
                out.rejected.append(exc.reason)
            if collection is None and table.is_multi_entity:
                collection = (table.pk, row[pk_at])
        if len(out.items) >= limit:
            break
    return out


def sample_items(contract: Contract, dsn: Dsn, *, tables: list[str] | None = None, limit: int = 2,
                 catalog: Catalog | None = None) -> dict[str, TableExamples]:
    """Up to `limit` example items per table (all tables, or `tables`). A table whose query fails
    carries its error; a contract whose fragments break the policy raises (nothing is run)."""
    catalog = catalog or read_catalog_sync(dsn)
    check_fragments(contract, catalog)
    wanted = [t for t in contract.tables if tables is None or t.table in tables]
    out: dict[str, TableExamples] = {}
    with sync_connection(dsn, where="example items") as conn:
        flavor = server_flavor(conn)
        with conn.cursor() as cur:
            for table in wanted:
                try:
                    cur.execute(_READ_ONLY)
                    out[table.table] = _table_examples(cur, table, catalog, limit, flavor)
                except pymysql.err.MySQLError as exc:
                    out[table.table] = TableExamples(table=table.table,
                                                     error=map_db_error(exc, f"examples of {table.table}", dsn).why)
                except Mysql2DdbError as exc:
                    out[table.table] = TableExamples(table=table.table, error=exc.why)
                finally:
                    conn.rollback()
    return out
