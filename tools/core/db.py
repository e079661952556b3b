"""MySQL DSNs, connections, and the mapping of driver errors onto our hierarchy.

DSN form: mysql://user:password@host:port/database. The password may instead come from
MYSQL2DDB_MYSQL_PASSWORD or a file; it is never logged or echoed (`Dsn.redacted()`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import Any, AsyncIterator, Iterator
from urllib.parse import quote, unquote, urlsplit

import pymysql
from sqlglot import exp

from mysql2ddb.tools.core.errors import (
    ConfigError,
    DatabaseError,
    DatabaseUnavailable,
    NotFoundError,
    PrivilegeError,
)

_ACCESS_DENIED = {1044, 1045, 1698}
_NO_PRIVILEGE = {1142, 1143, 1227, 1370}
_UNREACHABLE = {2002, 2003, 2005, 2006, 2013, 2055}
_UNKNOWN_DB = {1049}
_NO_TABLE = {1146}
_TIMED_OUT = {1969, 3024}  # MariaDB max_statement_time, MySQL max_execution_time exceeded


@dataclass(frozen=True)
class Dsn:
    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "root"
    password: str | None = None
    database: str = ""

    @classmethod
    def parse(cls, text: str, password: str | None = None) -> "Dsn":
        parts = urlsplit(text)
        if parts.scheme not in ("mysql", "mariadb", "mysql+aiomysql", "mysql+pymysql"):
            raise ConfigError(
                f"DSN scheme {parts.scheme or '(none)'!r} is not mysql",
                where="dsn",
                remedy="write it as mysql://user:password@host:port/database",
            )
        database = parts.path.lstrip("/")
        if not database:
            raise ConfigError(
                "DSN names no database",
                where="dsn",
                remedy="append the database: mysql://user@host:3306/<database>",
            )
        try:
            port = parts.port or 3306
        except ValueError as exc:
            raise ConfigError(str(exc), where="dsn", remedy="give a numeric port, e.g. :3306") from None
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=port,
            user=unquote(parts.username or "root"),
            password=unquote(parts.password) if parts.password is not None else password,
            database=unquote(database),
        )

    def with_database(self, database: str) -> "Dsn":
        return replace(self, database=database)

    def redacted(self) -> str:
        secret = ":***" if self.password else ""
        return f"mysql://{quote(self.user)}{secret}@{self.host}:{self.port}/{self.database}"

    def url(self) -> str:
        """The full DSN text, password included: for child processes, never for logs."""
        secret = f":{quote(self.password, safe='')}" if self.password else ""
        return f"mysql://{quote(self.user)}{secret}@{self.host}:{self.port}/{self.database}"

    def connect_kwargs(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password or "",
            "database": self.database,
            "charset": "utf8mb4",
            "autocommit": True,
            "init_command": "SET time_zone = '+00:00'",
        }

    def __repr__(self) -> str:  # never leak the password through a repr
        return f"Dsn({self.redacted()})"


def map_db_error(exc: BaseException, where: str, dsn: Dsn | None = None) -> DatabaseError | NotFoundError:
    """Turn a PyMySQL/aiomysql error into one of ours, with a remedy a user can act on."""
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    message = exc.args[1] if len(exc.args) > 1 else str(exc)
    target = dsn.redacted() if dsn else "the database"
    if code in _ACCESS_DENIED:
        return PrivilegeError(
            f"access denied ({code}): {message}",
            where=f"{where} @ {target}",
            remedy="check the user and password in the DSN (or MYSQL2DDB_MYSQL_PASSWORD) and the user's grants",
        )
    if code in _NO_PRIVILEGE:
        return PrivilegeError(
            f"missing privilege ({code}): {message}",
            where=f"{where} @ {target}",
            remedy="GRANT SELECT, SHOW VIEW (and CREATE VIEW for views) on the database to this user",
        )
    if code in _UNREACHABLE or isinstance(exc, (ConnectionError, OSError)):
        return DatabaseUnavailable(
            f"cannot reach MySQL ({code or type(exc).__name__}): {message}",
            where=f"{where} @ {target}",
            remedy="check host and port in the DSN and that the server is running (docker/compose.yml starts one)",
        )
    if code in _UNKNOWN_DB:
        return NotFoundError(
            f"unknown database: {message}",
            where=f"{where} @ {target}",
            remedy="check the database name at the end of the DSN (SHOW DATABASES lists them)",
        )
    if code in _TIMED_OUT:
        return DatabaseError(
            f"the read ran past its time limit ({code}): {message}",
            where=f"{where} @ {target}",
            remedy="a view runs the contract's joins and fragments: check that each join condition uses an "
                   "indexed column (EXPLAIN the view's SELECT) and that the server is not overloaded; then rerun "
                   "(a copy resumed with the same run id continues from its checkpoint)",
        )
    if code in _NO_TABLE:
        return NotFoundError(
            f"missing table: {message}",
            where=f"{where} @ {target}",
            remedy="check the table name against the live schema (analyze_schema lists them)",
        )
    return DatabaseError(
        f"MySQL error ({code}): {message}",
        where=f"{where} @ {target}",
        remedy="read the MySQL message above; fix the statement's input or the server state and retry",
    )


_DRIVER_ERRORS = (pymysql.err.MySQLError, ConnectionError, OSError)

# Server-side time limits on reads of the views: a view runs contract SQL, and a slow or stuck one
# must end with an error rather than hold a connection (and its snapshot) for ever.
# A stream's limit covers the whole read, including the time the server waits for the copy to take
# rows: at a new table's 4,000 writes/s, one hour would end a copy of ~14M items mid-way.
STREAM_SECONDS = 6 * 3600  # a copy or verify stream: one view read end to end
MEASURE_SECONDS = 300  # the plan: row counts and the size measurement (a sample still scans the view)


def server_flavor(conn: Any) -> str | None:
    """'mariadb' or 'mysql' from a PyMySQL/aiomysql connection's greeting; None when unknown."""
    info = str(getattr(conn, "get_server_info", lambda: "")() or "")
    if not info:
        return None
    return "mariadb" if "mariadb" in info.lower() else "mysql"


def time_limited(query: exp.Select, seconds: int, flavor: str | None = None) -> str:
    """Driver text (`%s` parameters) of a SELECT the server stops after `seconds`.

    MariaDB: `SET STATEMENT max_statement_time=N FOR SELECT ...` (seconds). MySQL (5.7.8+): the
    optimizer hint `SELECT /*+ MAX_EXECUTION_TIME(ms) */ ...`. Flavor None (the caller has no
    connection yet) writes both: MariaDB runs `/*M! ... */` executable comments, which MySQL skips,
    and takes the hint for a comment (MariaDB 12 obeys it too, with the same limit)."""
    from mysql2ddb.tools.core.sql import driver_sql

    seconds = max(1, int(seconds))
    query = query.copy()
    if flavor != "mariadb":
        hint = exp.Anonymous(this="MAX_EXECUTION_TIME", expressions=[exp.Literal.number(seconds * 1000)])
        query.set("hint", exp.Hint(expressions=[hint]))
    text = driver_sql(query)
    prefix = f"SET STATEMENT max_statement_time={seconds} FOR "
    if flavor == "mariadb":
        return prefix + text
    return text if flavor == "mysql" else f"/*M! {prefix}*/ {text}"


@contextlib.contextmanager
def sync_connection(dsn: Dsn, where: str = "connect", **extra: Any) -> Iterator[pymysql.connections.Connection]:
    """A blocking PyMySQL connection (used in threads by the copy engine for streaming)."""
    try:
        conn = pymysql.connect(**{**dsn.connect_kwargs(), **extra})
    except _DRIVER_ERRORS as exc:
        raise map_db_error(exc, where, dsn) from None
    try:
        yield conn
    finally:
        with contextlib.suppress(Exception):
            conn.close()


@contextlib.asynccontextmanager
async def async_connection(dsn: Dsn, where: str = "connect", **extra: Any) -> AsyncIterator[Any]:
    """An aiomysql connection for the async tools."""
    import aiomysql

    try:
        kwargs = {**dsn.connect_kwargs(), **extra}
        kwargs["db"] = kwargs.pop("database")
        conn = await aiomysql.connect(**kwargs)
    except _DRIVER_ERRORS as exc:
        raise map_db_error(exc, where, dsn) from None
    try:
        yield conn
    finally:
        conn.close()


async def fetch_all(conn: Any, sql: str, params: Any = None, *, where: str, dsn: Dsn | None = None) -> list[dict]:
    """Run one read query and return its rows as dicts, mapping driver errors."""
    import aiomysql

    try:
        async with conn.cursor(aiomysql.DictCursor) as cur:
            await cur.execute(sql, params)
            return list(await cur.fetchall())
    except _DRIVER_ERRORS as exc:
        raise map_db_error(exc, where, dsn) from None
