"""Reading the schema from information_schema in a FIXED number of queries, whatever the table
count: one each for TABLES, COLUMNS, STATISTICS, foreign keys (KEY_COLUMN_USAGE joined to
REFERENTIAL_CONSTRAINTS), VIEWS and TRIGGERS, plus CHECK_CONSTRAINTS on MariaDB (where a JSON
column is a `longtext` guarded by `json_valid()`). Nothing is queried per table for metadata.

Every statement goes through a `CountedConnection`, which counts what it sends by whether it
reads information_schema, so the fixed count is observable (bench/bench_schema.py, tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

from sqlglot import exp

from mysql2ddb.tools.analysis.schema_model import (
    Column, ForeignKey, Index, KeyRef, QueryStats, TableInfo, Trigger, View,
)
from mysql2ddb.tools.contract.catalog import parse_enum_values
from mysql2ddb.tools.core.db import Dsn, async_connection, fetch_all
from mysql2ddb.tools.core.sql import DIALECT, col, driver_sql, param, table

INFO = "information_schema"
SPATIAL_TYPES = frozenset({
    "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
    "geometrycollection", "geomcollection",
})
TEMPORAL_TYPES = frozenset({"datetime", "timestamp", "time"})
_JSON_CHECK = re.compile(r"^\s*json_valid\(\s*`?([^`)]+)`?\s*\)\s*$", re.I)
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def reads_information_schema(sql: str) -> bool:
    """On the rendered text (every identifier is quoted): walking the AST costs more than the query."""
    return "`information_schema`." in sql.lower()


def to_sql(query: exp.Expression, with_params: bool) -> str:
    """driver_sql when parameters travel with the statement. Without any, the driver sends the
    text as is (no %-formatting), so the plain rendering is exact and skips a re-tokenization;
    the tree is built for this one statement, so sqlglot's defensive copy is skipped too."""
    return driver_sql(query) if with_params else query.sql(dialect=DIALECT, copy=False)


class CountedConnection:
    """One aiomysql connection; every statement sent through it is counted in `stats`."""

    def __init__(self, conn: Any, dsn: Dsn, stats: QueryStats):
        self.conn, self.dsn, self.stats = conn, dsn, stats

    async def fetch(self, query: exp.Expression, params: list[Any] | None = None, *, where: str) -> list[dict]:
        sql = to_sql(query, bool(params))
        if reads_information_schema(sql):
            self.stats.information_schema += 1
        else:
            self.stats.data += 1
        return await fetch_all(self.conn, sql, params or None, where=where, dsn=self.dsn)

    @property
    def server(self) -> str:
        text = str(self.conn.get_server_info() or "")
        # MariaDB prefixes its version with "5.5.5-" for old clients' sake
        return text[len("5.5.5-"):] if text.startswith("5.5.5-") and "mariadb" in text.lower() else text


class ConnectionPool:
    """A few counted connections for the per-relationship and per-key data queries."""

    def __init__(self, connections: list[CountedConnection]):
        self._free: asyncio.Queue[CountedConnection] = asyncio.Queue()
        for conn in connections:
            self._free.put_nowait(conn)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[CountedConnection]:
        conn = await self._free.get()
        try:
            yield conn
        finally:
            self._free.put_nowait(conn)


async def run_all(coros: list[Any]) -> list[Any]:
    """Run all; on the first failure cancel the rest (before the pool closes) and raise that
    failure itself, not an ExceptionGroup, so our error types reach the caller unchanged."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(c) for c in coros]
    except BaseExceptionGroup as group_error:
        first: BaseException = group_error
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
    return [t.result() for t in tasks]


@contextlib.asynccontextmanager
async def open_pool(dsn: Dsn, size: int, stats: QueryStats) -> AsyncIterator[tuple[CountedConnection, ConnectionPool]]:
    """The first connection (metadata) and a pool of `size` connections including it."""
    async with contextlib.AsyncExitStack() as stack:
        first = await stack.enter_async_context(async_connection(dsn, where="analyze_schema: connect"))
        conns = [CountedConnection(first, dsn, stats)]
        for _ in range(size - 1):
            extra = await stack.enter_async_context(async_connection(dsn, where="analyze_schema: connect"))
            conns.append(CountedConnection(extra, dsn, stats))
        yield conns[0], ConnectionPool(conns)


def _select(source: str, fields: list[str], schema_column: str, order: list[str], alias: str = "x") -> exp.Select:
    query = (
        exp.select(*[col(f, alias) for f in fields])
        .from_(table(source, db=INFO, alias=alias))
        .where(exp.EQ(this=col(schema_column, alias), expression=param()))
    )
    return query.order_by(*[col(o, alias) for o in order]) if order else query


def _fk_query() -> exp.Select:
    k, r = "k", "r"
    on = exp.and_(
        exp.EQ(this=col("CONSTRAINT_SCHEMA", r), expression=col("CONSTRAINT_SCHEMA", k)),
        exp.EQ(this=col("CONSTRAINT_NAME", r), expression=col("CONSTRAINT_NAME", k)),
        exp.EQ(this=col("TABLE_NAME", r), expression=col("TABLE_NAME", k)),
    )
    fields = [col(f, k) for f in ("TABLE_NAME", "CONSTRAINT_NAME", "COLUMN_NAME", "REFERENCED_TABLE_SCHEMA",
                                   "REFERENCED_TABLE_NAME", "REFERENCED_COLUMN_NAME")]
    fields += [col("UPDATE_RULE", r), col("DELETE_RULE", r)]
    return (
        exp.select(*fields)
        .from_(table("KEY_COLUMN_USAGE", db=INFO, alias=k))
        .join(table("REFERENTIAL_CONSTRAINTS", db=INFO, alias=r), on=on, join_type="inner")
        .where(exp.and_(exp.EQ(this=col("TABLE_SCHEMA", k), expression=param()),
                        exp.Not(this=exp.Is(this=col("REFERENCED_TABLE_NAME", k), expression=exp.null()))))
        .order_by(col("TABLE_NAME", k), col("CONSTRAINT_NAME", k), col("ORDINAL_POSITION", k))
    )


def metadata_queries(mariadb: bool) -> dict[str, exp.Select]:
    """The fixed set of metadata queries, each with one parameter: the database name."""
    queries = {
        "tables": _select("TABLES", ["TABLE_NAME", "TABLE_TYPE", "ENGINE", "TABLE_ROWS", "AVG_ROW_LENGTH",
                                     "DATA_LENGTH", "TABLE_COLLATION", "TABLE_COMMENT"], "TABLE_SCHEMA", ["TABLE_NAME"]),
        "columns": _select("COLUMNS", ["TABLE_NAME", "COLUMN_NAME", "COLUMN_DEFAULT", "IS_NULLABLE", "DATA_TYPE",
                                       "COLUMN_TYPE", "CHARACTER_MAXIMUM_LENGTH", "NUMERIC_PRECISION",
                                       "NUMERIC_SCALE", "DATETIME_PRECISION", "CHARACTER_SET_NAME",
                                       "COLLATION_NAME", "EXTRA", "GENERATION_EXPRESSION", "COLUMN_COMMENT"],
                           "TABLE_SCHEMA", ["TABLE_NAME", "ORDINAL_POSITION"]),
        "statistics": _select("STATISTICS", ["TABLE_NAME", "INDEX_NAME", "NON_UNIQUE", "SEQ_IN_INDEX",
                                             "COLUMN_NAME", "SUB_PART", "INDEX_TYPE", "CARDINALITY"],
                              "TABLE_SCHEMA", ["TABLE_NAME", "INDEX_NAME", "SEQ_IN_INDEX"]),
        "foreign_keys": _fk_query(),
        "views": _select("VIEWS", ["TABLE_NAME", "VIEW_DEFINITION", "IS_UPDATABLE"], "TABLE_SCHEMA", ["TABLE_NAME"]),
        "triggers": _select("TRIGGERS", ["TRIGGER_NAME", "EVENT_MANIPULATION", "EVENT_OBJECT_TABLE",
                                         "ACTION_TIMING", "ACTION_STATEMENT"],
                            "TRIGGER_SCHEMA", ["EVENT_OBJECT_TABLE", "ACTION_TIMING", "TRIGGER_NAME"]),
    }
    if mariadb:  # MySQL's CHECK_CONSTRAINTS has no TABLE_NAME, and MySQL has a real JSON type
        queries["checks"] = _select("CHECK_CONSTRAINTS", ["TABLE_NAME", "CONSTRAINT_NAME", "CHECK_CLAUSE"],
                                    "CONSTRAINT_SCHEMA", [])
    return queries


@dataclass
class Metadata:
    server: str
    tables: list[TableInfo] = field(default_factory=list)
    views: list[View] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)
    estimated_rows: dict[str, int] = field(default_factory=dict)  # information_schema TABLE_ROWS


async def read_metadata(conn: CountedConnection, database: str) -> Metadata:
    server = conn.server
    mariadb = "mariadb" in server.lower()
    rows: dict[str, list[dict]] = {}
    for name, query in metadata_queries(mariadb).items():
        rows[name] = [_upper_keys(r) for r in await conn.fetch(query, [database], where=f"read {INFO} ({name})")]
    return build_metadata(database, server, mariadb, rows)


def _upper_keys(row: dict) -> dict:
    return {k.upper(): (v.decode() if isinstance(v, (bytes, bytearray)) else v) for k, v in row.items()}


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _default(raw: Any, extra: str, mariadb: bool) -> tuple[str | None, bool]:
    """(value, is_expression). MariaDB quotes literal defaults and spells NULL as 'NULL'; MySQL
    reports literals bare and marks expressions DEFAULT_GENERATED."""
    if raw is None:
        return None, False
    text = str(raw)
    if not mariadb:
        return text, "DEFAULT_GENERATED" in extra.upper()
    if text == "NULL":
        return None, False
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return text[1:-1].replace("''", "'").replace("\\'", "'").replace("\\\\", "\\"), False
    if _NUMBER.match(text) or re.match(r"^b'[01]*'$", text):
        return text, False
    return text, True


def build_column(row: dict, mariadb: bool, json_columns: set[str]) -> Column:
    data_type = str(row["DATA_TYPE"]).lower()
    column_type = str(row["COLUMN_TYPE"])
    extra = str(row.get("EXTRA") or "")
    default, is_expr = _default(row["COLUMN_DEFAULT"], extra, mariadb)
    generated = row.get("GENERATION_EXPRESSION") or None
    precision = _int(row["NUMERIC_PRECISION"])
    if precision is None and data_type in TEMPORAL_TYPES:
        precision = _int(row["DATETIME_PRECISION"])
    return Column(
        name=str(row["COLUMN_NAME"]),
        type=column_type,
        data_type=data_type,
        nullable=str(row["IS_NULLABLE"]).upper() == "YES",
        default=default,
        default_is_expression=is_expr,
        precision=precision,
        scale=_int(row["NUMERIC_SCALE"]),
        max_length=_int(row["CHARACTER_MAXIMUM_LENGTH"]),
        unsigned=" unsigned" in column_type.lower(),
        values=parse_enum_values(column_type),
        charset=row.get("CHARACTER_SET_NAME"),
        collation=row.get("COLLATION_NAME"),
        generated=str(generated) if generated else None,
        generated_stored=("STORED" in extra.upper() or "PERSISTENT" in extra.upper()) if generated else None,
        auto_increment="auto_increment" in extra.lower(),
        is_json=data_type == "json" or str(row["COLUMN_NAME"]) in json_columns,
        is_spatial=data_type in SPATIAL_TYPES,
        comment=row.get("COLUMN_COMMENT") or None,
    )


def _json_columns(checks: list[dict]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for row in checks:
        match = _JSON_CHECK.match(str(row.get("CHECK_CLAUSE") or ""))
        if match:
            out.setdefault(str(row["TABLE_NAME"]), set()).add(match.group(1))
    return out


def _indexes(rows: list[dict]) -> dict[str, list[Index]]:
    by_table: dict[str, dict[str, Index]] = {}
    for row in rows:
        indexes = by_table.setdefault(str(row["TABLE_NAME"]), {})
        name = str(row["INDEX_NAME"])
        index = indexes.get(name)
        if index is None:
            index = indexes[name] = Index(name=name, columns=[], unique=int(row["NON_UNIQUE"]) == 0,
                                          primary=name == "PRIMARY", kind=str(row["INDEX_TYPE"] or "BTREE"))
        index.columns.append(str(row["COLUMN_NAME"]) if row["COLUMN_NAME"] is not None else "(expression)")
        index.prefix_lengths.append(_int(row["SUB_PART"]))
        index.prefix_cardinality.append(_int(row["CARDINALITY"]))
        index.cardinality = index.prefix_cardinality[-1]  # the last column's value is the whole index's
    return {t: sorted(v.values(), key=lambda i: not i.primary) for t, v in by_table.items()}


def _foreign_keys(rows: list[dict], database: str) -> dict[str, list[ForeignKey]]:
    by_table: dict[str, dict[str, ForeignKey]] = {}
    for row in rows:
        fks = by_table.setdefault(str(row["TABLE_NAME"]), {})
        name = str(row["CONSTRAINT_NAME"])
        fk = fks.get(name)
        if fk is None:
            ref_schema = str(row["REFERENCED_TABLE_SCHEMA"] or database)
            fk = fks[name] = ForeignKey(
                name=name, columns=[], ref_table=str(row["REFERENCED_TABLE_NAME"]), ref_columns=[],
                ref_schema=None if ref_schema == database else ref_schema,
                on_delete=str(row["DELETE_RULE"] or "RESTRICT"), on_update=str(row["UPDATE_RULE"] or "RESTRICT"),
            )
        fk.columns.append(str(row["COLUMN_NAME"]))
        fk.ref_columns.append(str(row["REFERENCED_COLUMN_NAME"]))
    return {t: list(v.values()) for t, v in by_table.items()}


def build_metadata(database: str, server: str, mariadb: bool, rows: dict[str, list[dict]]) -> Metadata:
    json_cols = _json_columns(rows.get("checks", []))
    columns: dict[str, list[Column]] = {}
    for row in rows["columns"]:
        name = str(row["TABLE_NAME"])
        columns.setdefault(name, []).append(build_column(row, mariadb, json_cols.get(name, set())))
    indexes = _indexes(rows["statistics"])
    view_rows = {str(r["TABLE_NAME"]): r for r in rows["views"]}
    meta = Metadata(server=server)
    foreign_keys = _foreign_keys(rows["foreign_keys"], database)
    for row in rows["tables"]:
        name = str(row["TABLE_NAME"])
        kind = str(row["TABLE_TYPE"]).upper()
        if kind == "SEQUENCE":  # MariaDB sequences hold no rows to migrate
            continue
        if kind == "VIEW":
            view = view_rows.get(name, {})
            meta.views.append(View(name=name, definition=view.get("VIEW_DEFINITION") or None,
                                   updatable=str(view.get("IS_UPDATABLE") or "").upper() == "YES",
                                   columns=columns.get(name, [])))
            continue
        table_indexes = indexes.get(name, [])
        primary = next((i for i in table_indexes if i.primary), None)
        meta.estimated_rows[name] = _int(row["TABLE_ROWS"]) or 0
        meta.tables.append(TableInfo(
            name=name, engine=row.get("ENGINE"), rows=meta.estimated_rows[name], rows_estimated=True,
            avg_row_length=_int(row["AVG_ROW_LENGTH"]), data_length=_int(row["DATA_LENGTH"]),
            collation=row.get("TABLE_COLLATION"), comment=row.get("TABLE_COMMENT") or None,
            columns=columns.get(name, []), primary_key=list(primary.columns) if primary else [],
            unique_keys=[KeyRef(name=i.name, columns=list(i.columns)) for i in table_indexes
                         if i.unique and not i.primary],
            foreign_keys=foreign_keys.get(name, []), indexes=table_indexes,
        ))
    meta.triggers = [
        Trigger(name=str(r["TRIGGER_NAME"]), table=str(r["EVENT_OBJECT_TABLE"]), timing=str(r["ACTION_TIMING"]),
                event=str(r["EVENT_MANIPULATION"]), statement=str(r["ACTION_STATEMENT"]))
        for r in rows["triggers"]
    ]
    return meta
