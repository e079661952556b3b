"""The source's changes, transaction by transaction in commit order, from a recorded position.

`mysql-replication` reads the binlog as a replica would. A ROW-format binlog holds committed
transactions only (a rolled-back one never reaches it), so each XID (or COMMIT) closes one
transaction of row changes. MariaDB is followed by GTID (its binlog dump needs one), MySQL by file
and offset; every transaction carries the position to resume after it.

A DDL on the followed database (a statement even in a ROW binlog: tools/cdc/ddl.py) comes as a
SchemaChange in binlog order between the transactions, with the positions before and after it:
the sync decides whether it may pass (tools/cdc/follow.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Literal

from pydantic import BaseModel

from mysql2ddb.tools.cdc.ddl import Ddl, DdlKind, read_ddl
from mysql2ddb.tools.core.db import Dsn

ChangeKind = Literal["insert", "update", "delete"]


class SourcePosition(BaseModel):
    """Where a change sits in the source's binlog: file and offset, and the GTID state after it."""

    file: str = ""
    pos: int = 0
    gtid: str | None = None
    flavor: str = "mariadb"

    def order(self) -> tuple[str, int]:
        return (self.file, self.pos)

    def reached(self, target: "SourcePosition") -> bool:
        return self.order() >= target.order()


@dataclass
class RowChange:
    table: str
    kind: ChangeKind
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass
class Transaction:
    changes: list[RowChange] = field(default_factory=list)
    position: SourcePosition | None = None
    timestamp: float = 0.0  # when the source committed it (binlog header time)


@dataclass
class SchemaChange:
    """A DDL on the followed database. `before`: every transaction before it is done, it is not;
    `after`: it is done too. `tables`: the followed database's tables it changes (`*`: all)."""

    statement: str
    kind: DdlKind
    tables: list[str]
    columns: frozenset[str] | None  # None: any value may change (tools/cdc/ddl.py)
    before: SourcePosition
    after: SourcePosition
    timestamp: float = 0.0


def _schema_change(ddl: Ddl, event: Any, database: str, before: SourcePosition,
                   after: SourcePosition) -> SchemaChange | None:
    """The DDL as a change of `database`'s tables; None when it changes none of them."""
    session = event.schema.decode("utf-8", "replace") if isinstance(event.schema, bytes) else str(event.schema or "")
    if ddl.kind == "database":
        tables = ["*"] if any(name == database for _db, name in ddl.tables) else []
    else:
        tables = [name for db, name in ddl.tables if (db or session) == database]
    if not tables:
        return None
    return SchemaChange(event.query, ddl.kind, list(dict.fromkeys(tables)), ddl.columns, before, after,
                        float(event.timestamp or time.time()))


def _gtid_state(state: dict[str, str], gtid: str) -> str:
    """MariaDB GTID state after `gtid` (domain-server-seq), one entry per replication domain."""
    state[gtid.split("-", 1)[0]] = gtid
    return ",".join(state[d] for d in sorted(state, key=int))


def _rows(event: Any, kind: ChangeKind) -> Iterator[RowChange]:
    for row in event.rows:
        if kind == "update":
            yield RowChange(event.table, kind, dict(row["before_values"]), dict(row["after_values"]))
        elif kind == "insert":
            yield RowChange(event.table, kind, None, dict(row["values"]))
        else:
            yield RowChange(event.table, kind, dict(row["values"]), None)


def stream_transactions(dsn: Dsn, start: SourcePosition, *, server_id: int = 4711, blocking: bool = True,
                        stop: Callable[[], bool] = lambda: False,
                        tick: bool = False) -> Iterator[Transaction | SchemaChange]:
    """Committed transactions of `dsn.database` after `start`, in commit order, and the schema
    changes of that database between them. With `blocking`, waits for new ones until `stop()` says
    so (checked between events and every heartbeat). With `tick`, a heartbeat while no transaction
    is open yields an empty Transaction carrying the source's current position (the stream is
    caught up to it)."""
    from pymysqlreplication import BinLogStreamReader
    from pymysqlreplication.event import HeartbeatLogEvent, MariadbGtidEvent, QueryEvent, XidEvent
    from pymysqlreplication.row_event import DeleteRowsEvent, UpdateRowsEvent, WriteRowsEvent

    mariadb = start.flavor == "mariadb"
    settings = {"host": dsn.host, "port": dsn.port, "user": dsn.user, "passwd": dsn.password or ""}
    options: dict[str, Any] = {"auto_position": start.gtid or ""} if mariadb else {
        "log_file": start.file, "log_pos": start.pos, "resume_stream": True}
    reader = BinLogStreamReader(
        connection_settings=settings, server_id=server_id, blocking=blocking, is_mariadb=mariadb,
        only_events=[WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent, XidEvent, QueryEvent, MariadbGtidEvent,
                     HeartbeatLogEvent],  # heartbeats: a blocking stream still checks `stop` every second
        slave_heartbeat=1.0 if blocking else None, **options)
    kinds = {WriteRowsEvent: "insert", UpdateRowsEvent: "update", DeleteRowsEvent: "delete"}
    gtids = {part.split("-", 1)[0]: part for part in (start.gtid or "").split(",") if part}
    current = Transaction()
    gtid_after = start.gtid
    boundary = start  # after the last transaction or DDL: where a stop before the next DDL resumes

    def here() -> SourcePosition:
        return SourcePosition(file=reader.log_file, pos=reader.log_pos, gtid=gtid_after, flavor=start.flavor)

    try:
        for event in reader:
            if stop():
                return
            if isinstance(event, HeartbeatLogEvent):
                if tick and not current.changes:
                    yield Transaction(position=SourcePosition(file=reader.log_file, pos=reader.log_pos,
                                                              gtid=gtid_after, flavor=start.flavor))
                continue
            if isinstance(event, MariadbGtidEvent):
                gtid_after = _gtid_state(gtids, event.gtid)
                current = Transaction()
                continue
            kind = kinds.get(type(event))
            if kind is not None:
                if event.schema == dsn.database:
                    current.changes.extend(_rows(event, kind))  # type: ignore[arg-type]
                continue
            closes = isinstance(event, XidEvent) or (
                isinstance(event, QueryEvent) and event.query.strip().upper() == "COMMIT")
            if not closes and isinstance(event, QueryEvent):  # BEGIN, SAVEPOINT, XA ..., or a DDL
                ddl = read_ddl(event.query)
                if ddl is not None:
                    change = _schema_change(ddl, event, dsn.database, boundary, here())
                    boundary = here()  # a DDL commits on its own: after it is a clean point
                    if change is not None:
                        yield change
                continue
            if closes:
                current.position = boundary = here()
                current.timestamp = float(event.timestamp or time.time())
                if current.changes:
                    yield current
                current = Transaction()
    finally:
        reader.close()
