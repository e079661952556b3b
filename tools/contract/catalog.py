"""The live catalog: every column of the source database, read with ONE information_schema query
(COLUMNS joined to TABLES for the row-size statistics), as the validator, the view compiler, the
table builder and the copy plan all need it.

ENUM/SET members are parsed from COLUMN_TYPE (`enum('G','PG-13')`), because information_schema
has no column listing them.

MariaDB stores a JSON column as LONGTEXT guarded by a `json_valid(col)` CHECK; on MariaDB, when a
longtext column exists, one more query reads those CHECKs and marks the columns `is_json`, so a
JSON column is judged as JSON (as the schema analysis does) wherever the catalog is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlglot import exp

from mysql2ddb.tools.core.db import Dsn, async_connection, fetch_all, map_db_error, server_flavor, sync_connection
from mysql2ddb.tools.core.sql import col, driver_sql, in_params, param, table

JSON_CHECK = re.compile(r"^\s*json_valid\(\s*`?([^`)]+)`?\s*\)\s*$", re.I)  # as the schema analysis reads it

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
    is_json: bool = False  # JSON type, or MariaDB's LONGTEXT with a json_valid() CHECK


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
            is_json=_text(row["data_type"]).lower() == "json",
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


def json_checks_query() -> str:
    """MariaDB's CHECK constraints of the schema (MySQL's table has no TABLE_NAME: not asked there)."""
    k = "k"
    query = (exp.select(exp.alias_(col("TABLE_NAME", k), "table_name", quoted=True),
                        exp.alias_(col("CHECK_CLAUSE", k), "check_clause", quoted=True))
             .from_(table("CHECK_CONSTRAINTS", db="information_schema", alias=k))
             .where(exp.EQ(this=col("CONSTRAINT_SCHEMA", k), expression=param())))
    return driver_sql(query)


def needs_json_checks(catalog: Catalog, flavor: str | None) -> bool:
    return flavor == "mariadb" and any(c.data_type == "longtext" for cols in catalog.tables.values()
                                       for c in cols.values())


def mark_json_columns(catalog: Catalog, checks: Iterable[dict[str, Any]]) -> None:
    """`json_valid(col)` CHECKs make their longtext columns JSON."""
    for row in checks:
        match = JSON_CHECK.match(_text(row["check_clause"] or ""))
        column = catalog.column(_text(row["table_name"]), match.group(1)) if match else None
        if column is not None:
            column.is_json = True


async def read_catalog(dsn: Dsn, tables: Iterable[str] | None = None) -> Catalog:
    """All columns of `dsn.database` (or only `tables`), in one information_schema query (and, on
    MariaDB with longtext columns, one more for the json_valid CHECKs)."""
    sql, params = catalog_query(_names(tables))
    async with async_connection(dsn, where="read catalog") as conn:
        rows = await fetch_all(conn, sql, [dsn.database, *params], where="read catalog", dsn=dsn)
        catalog = build_catalog(dsn.database, rows)
        if needs_json_checks(catalog, server_flavor(conn)):
            mark_json_columns(catalog, await fetch_all(conn, json_checks_query(), [dsn.database],
                                                       where="read catalog", dsn=dsn))
    return catalog


def read_catalog_sync(dsn: Dsn, tables: Iterable[str] | None = None) -> Catalog:
    """Same as read_catalog, through PyMySQL (for threads and the Glue planner)."""
    import pymysql

    sql, params = catalog_query(_names(tables))
    with sync_connection(dsn, where="read catalog") as conn:
        try:
            with conn.cursor(pymysql.cursors.DictCursor) as cur:
                cur.execute(sql, [dsn.database, *params])
                catalog = build_catalog(dsn.database, list(cur.fetchall()))
                if needs_json_checks(catalog, server_flavor(conn)):
                    cur.execute(json_checks_query(), [dsn.database])
                    mark_json_columns(catalog, list(cur.fetchall()))
        except (pymysql.err.MySQLError, OSError) as exc:
            raise map_db_error(exc, "read catalog", dsn) from None
    return catalog
