"""Before a live migration writes anything: can this source be followed through its binlog?

Every precondition is checked and every failure reported at once, each with its remedy:
the binlog is on, in ROW format with FULL row images; row metadata is FULL (or the column names
come from the schema, with a warning); binlogs are kept longer than the planned copy (with a
margin), so the position recorded before the copy is still readable when the stream starts;
the user may read the binlog (REPLICATION SLAVE) and ask where it is (REPLICATION CLIENT, or
MariaDB's BINLOG MONITOR); every source table has a primary key or a NOT NULL unique key, so a
row change names the items it feeds. The current position (file and offset, and the GTID position
where the server has one) is read last.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from mysql2ddb.tools.core.db import Dsn, map_db_error, sync_connection
from mysql2ddb.tools.core.errors import WorkflowError
from mysql2ddb.tools.core.render import Table

RETENTION_MARGIN_S = 3600  # the stream starts after the copy; keep an hour's slack on top of the plan
_VARIABLES = ("log_bin", "binlog_format", "binlog_row_image", "binlog_row_metadata", "binlog_expire_logs_seconds",
              "expire_logs_days", "gtid_mode", "gtid_binlog_pos", "gtid_executed", "version", "server_id")


class Check(BaseModel):
    name: str
    ok: bool
    detail: str
    remedy: str = ""
    warning: bool = False  # ok, with a caveat the user should know


class BinlogPosition(BaseModel):
    file: str
    pos: int
    gtid: str | None = Field(None, description="MariaDB gtid_binlog_pos or MySQL gtid_executed, when on")
    flavor: str = "mariadb"


class Preflight(BaseModel):
    ok: bool
    checks: list[Check]
    position: BinlogPosition | None = None

    def summary(self) -> str:
        failed = [c for c in self.checks if not c.ok]
        if not failed:
            where = f" at {self.position.file}:{self.position.pos}" if self.position else ""
            return f"Live migration preflight passed{where}."
        return f"Live migration preflight FAILED: {len(failed)} precondition(s) to fix before anything is written."

    def tables(self) -> list[Table]:
        rows = [[c.name, "ok" if c.ok else "FAILED", c.detail, c.remedy] for c in self.checks]
        return [Table("Live migration preflight", ["check", "state", "detail", "remedy"], rows)]

    def raise_if_failed(self) -> None:
        failed = [c for c in self.checks if not c.ok]
        if failed:
            raise WorkflowError(
                "; ".join(f"{c.name}: {c.detail}" for c in failed), where="live migration preflight",
                remedy=" | ".join(c.remedy for c in failed), details={"checks": [c.model_dump() for c in failed]})


def _variables(cur: Any) -> dict[str, str]:
    cur.execute("SHOW GLOBAL VARIABLES WHERE Variable_name IN (" + ", ".join(["%s"] * len(_VARIABLES)) + ")",
                _VARIABLES)
    return {str(k).lower(): str(v) for k, v in cur.fetchall()}


def _retention_seconds(v: dict[str, str]) -> float | None:
    """Seconds binlogs are kept; None: kept until purged by hand (0 means 'never expire')."""
    seconds = float(v.get("binlog_expire_logs_seconds") or 0)
    days = float(v.get("expire_logs_days") or 0)
    kept = seconds or days * 86400
    return kept or None


def _grants(cur: Any) -> str:
    cur.execute("SHOW GRANTS FOR CURRENT_USER()")
    return " ".join(str(r[0]) for r in cur.fetchall()).upper()


def _has(grants: str, *privileges: str) -> bool:
    on_all = re.findall(r"GRANT (.+?) ON \*\.\* TO", grants)
    return any("ALL PRIVILEGES" in g or any(p in g for p in privileges) for g in on_all)


def row_keys(cur: Any, database: str, tables: list[str]) -> dict[str, list[str]]:
    """Each table's row key: its primary key, else its first unique key over NOT NULL columns."""
    if not tables:
        return {}
    cur.execute(
        "SELECT s.TABLE_NAME, s.INDEX_NAME, s.COLUMN_NAME, c.IS_NULLABLE FROM information_schema.STATISTICS s "
        "JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME "
        "AND c.COLUMN_NAME = s.COLUMN_NAME WHERE s.TABLE_SCHEMA = %s AND s.NON_UNIQUE = 0 AND s.TABLE_NAME IN ("
        + ", ".join(["%s"] * len(tables)) + ") ORDER BY s.TABLE_NAME, s.INDEX_NAME <> 'PRIMARY', s.INDEX_NAME, "
        "s.SEQ_IN_INDEX", (database, *tables))
    indexes: dict[tuple[str, str], list[tuple[str, bool]]] = {}
    for table, index, column, nullable in cur.fetchall():
        indexes.setdefault((table, index), []).append((column, nullable == "YES"))
    out: dict[str, list[str]] = {}
    for (table, _index), columns in indexes.items():
        if table not in out and not any(nullable for _c, nullable in columns):
            out[table] = [c for c, _n in columns]
    return out


def _position(cur: Any, flavor: str, v: dict[str, str]) -> BinlogPosition | None:
    for statement in ("SHOW BINARY LOG STATUS", "SHOW MASTER STATUS"):  # MySQL 8.4 renamed it
        try:
            cur.execute(statement)
        except Exception:  # noqa: BLE001 - the other spelling
            continue
        row = cur.fetchone()
        if row:
            gtid = v.get("gtid_binlog_pos") if flavor == "mariadb" else v.get("gtid_executed")
            return BinlogPosition(file=str(row[0]), pos=int(row[1]), gtid=gtid or None, flavor=flavor)
    return None


def _reading(dsn: Dsn, where: str, read: Any) -> Any:
    """`read(cur, variables, flavor)` on one connection; driver errors become ours."""
    try:
        with sync_connection(dsn, where) as conn, conn.cursor() as cur:
            v = _variables(cur)
            return read(cur, v, "mariadb" if "mariadb" in v.get("version", "").lower() else "mysql")
    except Exception as exc:  # noqa: BLE001 - driver errors become ours
        if hasattr(exc, "why"):
            raise
        raise map_db_error(exc, where, dsn) from None


def _here(cur: Any, v: dict[str, str], flavor: str) -> BinlogPosition | None:
    return _position(cur, flavor, v) if v.get("log_bin", "").upper() == "ON" else None


def current_position(dsn: Dsn) -> BinlogPosition | None:
    """Where the source's binlog is now (the cutover's target), read-only; None without a binlog."""
    return _reading(dsn, "source position", _here)


def check_source(dsn: Dsn, source_tables: list[str], planned_copy_s: float = 0.0) -> Preflight:
    """Every precondition of a live migration from `dsn`, read-only."""
    tables = sorted(set(source_tables))

    def read(cur: Any, v: dict[str, str], flavor: str) -> Preflight:
        grants, keyed = _grants(cur), row_keys(cur, dsn.database, tables)
        checks = _judge(v, flavor, grants, [t for t in tables if t not in keyed], planned_copy_s)
        return Preflight(ok=all(c.ok for c in checks), checks=checks, position=_here(cur, v, flavor))

    return _reading(dsn, "live migration preflight", read)


def _judge(v: dict[str, str], flavor: str, grants: str, keyless: list[str], planned_copy_s: float) -> list[Check]:
    config = "the server's configuration file ([mysqld] section)"
    out = [
        Check(name="binary log", ok=v.get("log_bin", "").upper() == "ON", detail=f"log_bin={v.get('log_bin')}",
              remedy=f"start the server with log-bin=<path> in {config}; it needs a restart"),
        Check(name="row format", ok=v.get("binlog_format", "").upper() == "ROW",
              detail=f"binlog_format={v.get('binlog_format')}",
              remedy=f"set binlog_format=ROW in {config} (SET GLOBAL binlog_format=ROW applies to new sessions)"),
        Check(name="full row images", ok=v.get("binlog_row_image", "").upper() == "FULL",
              detail=f"binlog_row_image={v.get('binlog_row_image')}",
              remedy=f"set binlog_row_image=FULL in {config}: a change must carry every column of the row"),
    ]
    metadata = v.get("binlog_row_metadata", "").upper()
    out.append(Check(name="row metadata", ok=True, warning=metadata != "FULL",
                     detail=f"binlog_row_metadata={metadata or 'absent'}" + (
                         "" if metadata == "FULL" else ": column names come from the schema (a column change "
                                                       "during the migration would misplace values)"),
                     remedy="" if metadata == "FULL" else f"set binlog_row_metadata=FULL in {config}"))
    kept = _retention_seconds(v)
    needed = planned_copy_s + RETENTION_MARGIN_S
    out.append(Check(name="binlog retention", ok=kept is None or kept >= needed,
                     detail=("kept until purged" if kept is None else f"kept {kept / 3600:.1f} h")
                     + f"; the planned copy takes {planned_copy_s / 3600:.1f} h (+1 h margin)",
                     remedy=f"raise binlog_expire_logs_seconds to at least {int(needed)} for the migration"))
    slave = _has(grants, "REPLICATION SLAVE", "REPLICATION REPLICA")
    client = _has(grants, "REPLICATION CLIENT", "BINLOG MONITOR", "SUPER")
    out.append(Check(name="replication privileges", ok=slave and client,
                     detail=f"REPLICATION SLAVE: {'yes' if slave else 'no'}; REPLICATION CLIENT/BINLOG MONITOR: "
                            f"{'yes' if client else 'no'}",
                     remedy="GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO the migration user"
                            + (" (MariaDB 10.5+: BINLOG MONITOR instead of REPLICATION CLIENT)"
                               if flavor == "mariadb" else "")))
    out.append(Check(name="row keys", ok=not keyless,
                     detail="every source table has a primary or NOT NULL unique key" if not keyless
                     else f"no primary or NOT NULL unique key: {', '.join(keyless)}",
                     remedy="add a primary key to each named table (a change to a keyless row cannot name its items)"))
    return out
