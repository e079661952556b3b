"""The live catalog: every column of the source database, read with ONE information_schema query
(COLUMNS joined to TABLES for the row-size statistics), as the validator, the view compiler, the
table builder and the copy plan all need it.

ENUM/SET members are parsed from COLUMN_TYPE (`enum('G','PG-13')`), because information_schema
has no column listing them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlglot import exp

from mysql2ddb.tools.core.db import Dsn, async_connection, fetch_all, map_db_error, sync_connection
from mysql2ddb.tools.core.sql import col, driver_sql, in_params, param, table

_FIELDS = {
    "TABLE_NAME": "table_name",
    "COLUMN_NAME": "column_name",
    "DATA_TYPE": "data_type",
    "COLUMN_TYPE": "column_type",
    "IS_NULLABLE": "is_nullable",
    "NUMERIC_PRECISION": "numeric_precision",
    "NUMERIC_SCALE": "numeric_scale",
    "CHARACTER_MAXIMUM_LENGTH": "max_length",
    "CHARACTER_OCTET_LENGTH": "octet_length",
}
_TABLE_FIELDS = {"TABLE_ROWS": "table_rows", "AVG_ROW_LENGTH": "avg_row_length", "TABLE_TYPE": "table_type"}


@dataclass
class ColumnInfo:
    name: str
    data_type: str  # lowercase, e.g. 'decimal'
    column_type: str  # e.g. 'decimal(5,2) unsigned'
    nullable: bool
    numeric_precision: int | None = None
    numeric_scale: int | None = None
    unsigned: bool = False
    enum_values: list[str] | None = None  # ENUM/SET members, in declaration order
    max_length: int | None = None  # CHARACTER_MAXIMUM_LENGTH (characters)
    octet_length: int | None = None  # CHARACTER_OCTET_LENGTH (bytes)


@dataclass
class TableStats:
    table_type: str = "BASE TABLE"  # or 'VIEW'
    table_rows: int | None = None  # an estimate for InnoDB
    avg_row_length: int | None = None


@dataclass
class Catalog:
    database: str
    tables: dict[str, dict[str, ColumnInfo]] = field(default_factory=dict)  # by ORDINAL_POSITION
    stats: dict[str, TableStats] = field(default_factory=dict)

    def columns(self, table: str) -> dict[str, ColumnInfo]:
        return self.tables.get(table, {})

    def has_table(self, table: str) -> bool:
        return table in self.tables

    def column(self, table: str, name: str) -> ColumnInfo | None:
        """Column lookup; MySQL column names are case-insensitive."""
        columns = self.columns(table)
        if name in columns:
            return columns[name]
        lowered = name.lower()
        return next((c for n, c in columns.items() if n.lower() == lowered), None)

    def similar_table(self, name: str) -> str | None:
        lowered = name.lower()
        return next((t for t in self.tables if t.lower() == lowered), None)


def parse_enum_values(column_type: str) -> list[str] | None:
    """Members of `enum('a','b''c')` / `set(...)`; None for any other type."""
    text = column_type.strip()
    lowered = text.lower()
    if not (lowered.startswith("enum(") or lowered.startswith("set(")) or not text.endswith(")"):
        return None
    body = text[text.index("(") + 1 : -1]
    values: list[str] = []
    i = 0
    while i < len(body):
        if body[i] != "'":
            i += 1
            continue
        i += 1
        chars: list[str] = []
        while i < len(body):
            ch = body[i]
            if ch == "\\" and i + 1 < len(body):
                chars.append(body[i + 1])
                i += 2
            elif ch == "'" and i + 1 < len(body) and body[i + 1] == "'":
                chars.append("'")
                i += 2
            elif ch == "'":
                i += 1
                break
            else:
                chars.append(ch)
                i += 1
        values.append("".join(chars))
    return values


def catalog_query(tables: list[str] | None) -> tuple[str, list[Any]]:
    """The one query: COLUMNS LEFT JOIN TABLES, filtered by schema (and tables), ordered."""
    c, t = "c", "t"
    selects = [exp.alias_(col(name, c), alias, quoted=True) for name, alias in _FIELDS.items()]
    selects += [exp.alias_(col(name, t), alias, quoted=True) for name, alias in _TABLE_FIELDS.items()]
    on = exp.and_(
        exp.EQ(this=col("TABLE_SCHEMA", t), expression=col("TABLE_SCHEMA", c)),
        exp.EQ(this=col("TABLE_NAME", t), expression=col("TABLE_NAME", c)),
    )
    where: exp.Expression = exp.EQ(this=col("TABLE_SCHEMA", c), expression=param())
    if tables:
        where = exp.and_(where, in_params(col("TABLE_NAME", c), len(tables)))
    query = (
        exp.select(*selects)
        .from_(table("COLUMNS", db="information_schema", alias=c))
        .join(table("TABLES", db="information_schema", alias=t), on=on, join_type="left")
        .where(where)
        .order_by(col("TABLE_NAME", c), col("ORDINAL_POSITION", c))
    )
    return driver_sql(query), list(tables or [])


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, (bytes, bytearray)) else str(value)


def build_catalog(database: str, rows: Iterable[dict[str, Any]]) -> Catalog:
    catalog = Catalog(database=database)
    for row in rows:
        name = _text(row["table_name"])
        column_type = _text(row["column_type"])
        info = ColumnInfo(
            name=_text(row["column_name"]),
            data_type=_text(row["data_type"]).lower(),
            column_type=column_type,
            nullable=_text(row["is_nullable"]).upper() == "YES",
            numeric_precision=_int(row["numeric_precision"]),
            numeric_scale=_int(row["numeric_scale"]),
            unsigned="unsigned" in column_type.lower(),
            enum_values=parse_enum_values(column_type),
            max_length=_int(row["max_length"]),
            octet_length=_int(row["octet_length"]),
        )
        catalog.tables.setdefault(name, {})[info.name] = info
        if name not in catalog.stats:
            catalog.stats[name] = TableStats(
                table_type=_text(row["table_type"] or "BASE TABLE"),
                table_rows=_int(row["table_rows"]),
                avg_row_length=_int(row["avg_row_length"]),
            )
    return catalog


def _names(tables: Iterable[str] | None) -> list[str] | None:
    return sorted(set(tables)) if tables is not None else None


async def read_catalog(dsn: Dsn, tables: Iterable[str] | None = None) -> Catalog:
    """All columns of `dsn.database` (or only `tables`), in one information_schema query."""
    sql, params = catalog_query(_names(tables))
    async with async_connection(dsn, where="read catalog") as conn:
        rows = await fetch_all(conn, sql, [dsn.database, *params], where="read catalog", dsn=dsn)
    return build_catalog(dsn.database, rows)


def read_catalog_sync(dsn: Dsn, tables: Iterable[str] | None = None) -> Catalog:
    """Same as read_catalog, through PyMySQL (for threads and the Glue planner)."""
    import pymysql

    sql, params = catalog_query(_names(tables))
    with sync_connection(dsn, where="read catalog") as conn:
        try:
            with conn.cursor(pymysql.cursors.DictCursor) as cur:
                cur.execute(sql, [dsn.database, *params])
                rows = list(cur.fetchall())
        except (pymysql.err.MySQLError, OSError) as exc:
            raise map_db_error(exc, "read catalog", dsn) from None
    return build_catalog(dsn.database, rows)
