"""The `ddb_*` views a test database holds (Sakila ships views of its own, which do not count)."""

from __future__ import annotations

import pymysql


def ddb_views(database: str) -> list[str]:
    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    with conn.cursor() as cur:
        cur.execute("SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", (database,))
        names = [r[0] for r in cur.fetchall() if r[0].startswith("ddb_")]
    conn.close()
    return names
