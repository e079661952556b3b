"""Loading the shared sample databases (Sakila, Chinook) into the local MySQL, for the demo,
the tests and the benchmarks.

Sakila needs two rewrites on MariaDB (see shared/corpora/sakila/README.contract.md): its database
name, and the `/*!50705 ... */` version comments around `address.location`, which MariaDB skips
silently. The dump uses DELIMITER blocks for triggers and routines, so it is fed to the `mariadb`
(or `mysql`) command-line client rather than split by hand.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from mysql2ddb.tools.core.errors import ConfigError, DatabaseError, NotFoundError
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.core.db import Dsn, sync_connection

SAKILA_COUNTS = {
    "actor": 200, "address": 603, "category": 16, "city": 600, "country": 109, "customer": 599,
    "film": 1000, "film_actor": 5462, "film_category": 1000, "inventory": 4581, "language": 6,
    "payment": 16049, "rental": 16044, "staff": 2, "store": 2, "film_text": 1000,
}


def shared_dir() -> Path:
    """../shared beside the repository (or MYSQL2DDB_SHARED)."""
    env = os.environ.get("MYSQL2DDB_SHARED")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve()
    candidates += [parent / "shared" for parent in here.parents]
    for candidate in candidates:
        if (candidate / "corpora" / "sakila").is_dir():
            return candidate
    raise NotFoundError(
        "the shared corpora were not found",
        where="shared/",
        remedy="keep the shared/ folder beside the repository, or set MYSQL2DDB_SHARED to its path",
    )


def _client() -> str:
    for name in ("mariadb", "mysql"):
        path = shutil.which(name)
        if path:
            return path
    raise ConfigError(
        "no mariadb/mysql command-line client on PATH",
        where="corpus loader",
        remedy="install the client (apt-get install mariadb-client) or load the dump yourself",
    )


def sakila_sql(database: str) -> tuple[str, str]:
    """The schema and data scripts rewritten for `database` and for MariaDB."""
    root = shared_dir() / "corpora" / "sakila"
    schema = (root / "sakila-schema.sql").read_text(encoding="utf-8")
    data = (root / "sakila-data.sql").read_text(encoding="utf-8")
    schema = _retarget(schema, "sakila", database)
    schema = re.sub(r"\bsakila\.([a-z_]+)\b", lambda m: sql.render(sql.table(m[1], db=database)), schema)
    schema = re.sub(r"/\*!50705 ([^*]*)\*/", r"\1", schema)
    data = _retarget(data, "sakila", database)
    data = re.sub(r"/\*!50705 (0x[0-9A-F]*,)\*/", r"\1", data)
    return schema, data


def chinook_sql(database: str) -> str:
    text = (shared_dir() / "corpora" / "chinook" / "chinook.sql").read_text(encoding="utf-8-sig")
    return _retarget(text, "Chinook", database)


def _retarget(script: str, name: str, database: str) -> str:
    """The script's own DROP/CREATE/USE of database `name`, rendered from ASTs for `database`."""
    def statement(match: re.Match[str]) -> str:
        verb = match[1].upper()
        node = (sql.drop_database(database) if verb.startswith("DROP")
                else sql.create_database(database) if verb.startswith("CREATE") else sql.use_database(database))
        return sql.render(node) + ";"

    pattern = rf"^(DROP (?:SCHEMA|DATABASE) IF EXISTS|CREATE (?:SCHEMA|DATABASE)|USE)\s+`?{name}`?;"
    return re.sub(pattern, statement, script, flags=re.M | re.I)


def run_script(dsn: Dsn, script: str, where: str) -> None:
    cmd = [_client(), "-h", dsn.host, "-P", str(dsn.port), "-u", dsn.user, "--default-character-set=utf8mb4"]
    env = dict(os.environ)
    if dsn.password:
        env["MYSQL_PWD"] = dsn.password  # not on the command line, where ps would show it
    proc = subprocess.run(cmd, input=script.encode("utf-8"), capture_output=True, env=env)
    if proc.returncode != 0:
        raise DatabaseError(
            proc.stderr.decode("utf-8", "replace").strip()[:2000],
            where=f"{where} @ {dsn.redacted()}",
            remedy="check that the server is reachable and the user may create databases",
        )


def table_counts(dsn: Dsn) -> dict[str, int]:
    from sqlglot import exp

    counts: dict[str, int] = {}
    with sync_connection(dsn.with_database(""), where="count rows") as conn, conn.cursor() as cur:
        query = exp.select(sql.col("TABLE_NAME")).from_(sql.table("TABLES", db="information_schema")).where(
            sql.col("TABLE_SCHEMA").eq(sql.param()).and_(sql.col("TABLE_TYPE").eq(exp.Literal.string("BASE TABLE")))
        )
        cur.execute(sql.driver_sql(query), (dsn.database,))
        for (name,) in cur.fetchall():
            cur.execute(sql.driver_sql(exp.select(exp.Count(this=exp.Star())).from_(sql.table(name, db=dsn.database))))
            counts[name] = cur.fetchone()[0]
    return counts


def ensure_sakila(dsn: Dsn, *, force: bool = False) -> bool:
    """Load Sakila into dsn.database unless it is there with the fresh counts. True if loaded."""
    if not force and table_counts(dsn) == SAKILA_COUNTS:
        return False
    schema, data = sakila_sql(dsn.database)
    run_script(dsn, schema, "load sakila schema")
    run_script(dsn, data, "load sakila data")
    return True


def ensure_chinook(dsn: Dsn, *, force: bool = False) -> bool:
    if not force and table_counts(dsn).get("Track", 0) > 0:
        return False
    run_script(dsn, chinook_sql(dsn.database), "load chinook")
    return True
