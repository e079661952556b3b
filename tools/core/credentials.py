"""The one place a DSN is resolved and a password attached.

The server's configured password belongs to the configured DSN (MYSQL2DDB_DSN). A DSN given by a
caller gets it only when it names the same server and user (host, port and user equal; another
database on that server is fine). A DSN naming another host, port or user carries its own password
or none: it never receives the configured one, so no argument can send the server's secret to a
host of its choosing. Without a configured DSN there is nothing to compare to: the configured
password is not attached to any given DSN.
"""

from __future__ import annotations

from dataclasses import replace

from mysql2ddb.tools.core.db import Dsn
from mysql2ddb.tools.core.errors import ConfigError
from mysql2ddb.tools.core.settings import Settings


def configured_dsn(settings: Settings) -> Dsn | None:
    if settings.dsn is None or not settings.dsn.get_secret_value():
        return None
    return Dsn.parse(settings.dsn.get_secret_value(), password=settings.password())


def same_server(a: Dsn, b: Dsn) -> bool:
    return (a.host.lower(), a.port, a.user) == (b.host.lower(), b.port, b.user)


def resolve_dsn(text: str | None, settings: Settings, *, where: str = "dsn", required: bool = True) -> Dsn | None:
    """The DSN a call uses: `text` when given (with the configured password only when it names the
    configured server and user), else the configured one."""
    configured = configured_dsn(settings)
    if not text:
        if configured is None and required:
            raise ConfigError("no database given", where=where,
                              remedy="pass dsn='mysql://user@host:port/database' or set MYSQL2DDB_DSN "
                                     "(with MYSQL2DDB_MYSQL_PASSWORD_FILE for its password)")
        return configured
    given = Dsn.parse(text)
    if given.password is None and configured is not None and same_server(given, configured):
        return replace(given, password=configured.password)
    return given
