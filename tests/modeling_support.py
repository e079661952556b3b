"""Schema facts for modeling tests, read from the live Sakila with information_schema and
GROUP BY counts (asserted against the database, not against our own analysis)."""

from __future__ import annotations

import pymysql
from sqlglot import exp

from mysql2ddb.tools.contract.catalog import read_catalog_sync
from mysql2ddb.tools.core.db import Dsn, sync_connection
from mysql2ddb.tools.modeling.inputs import ForeignKey, KeyStats, SchemaFacts, TableFacts
from mysql2ddb.tools.core.sql import col, driver_sql, param, table


def _rows(conn, node: exp.Expression, params: list) -> list[dict]:
    with conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute(driver_sql(node), params)
        return list(cur.fetchall())


def live_schema_facts(dsn: Dsn, key_columns: dict[str, list[str]] | None = None) -> SchemaFacts:
    """Tables (base tables only), columns, exact row counts, primary and foreign keys, and for
    every key column (PK, FK, plus `key_columns`) its distinct count and top-value share."""
    catalog = read_catalog_sync(dsn)
    facts = SchemaFacts()
    k = "k"
    usage = (exp.select(col("TABLE_NAME", k), col("COLUMN_NAME", k), col("CONSTRAINT_NAME", k),
                        col("REFERENCED_TABLE_NAME", k), col("REFERENCED_COLUMN_NAME", k))
             .from_(table("KEY_COLUMN_USAGE", db="information_schema", alias=k))
             .where(exp.EQ(this=col("TABLE_SCHEMA", k), expression=param()))
             .order_by(col("TABLE_NAME", k), col("CONSTRAINT_NAME", k), col("ORDINAL_POSITION", k)))
    with sync_connection(dsn) as conn:
        keys = _rows(conn, usage, [dsn.database])
        for name, columns in catalog.tables.items():
            if catalog.stats[name].table_type == "VIEW":
                continue
            tf = TableFacts(name=name, columns=list(columns), avg_row_bytes=catalog.stats[name].avg_row_length)
            fks: dict[str, ForeignKey] = {}
            for row in (r for r in keys if r["TABLE_NAME"] == name):
                if row["CONSTRAINT_NAME"] == "PRIMARY":
                    tf.primary_key.append(row["COLUMN_NAME"])
                elif row["REFERENCED_TABLE_NAME"]:
                    fk = fks.setdefault(row["CONSTRAINT_NAME"], ForeignKey([], row["REFERENCED_TABLE_NAME"], []))
                    fk.columns.append(row["COLUMN_NAME"])
                    fk.ref_columns.append(row["REFERENCED_COLUMN_NAME"])
            tf.foreign_keys = list(fks.values())
            wanted = list(dict.fromkeys(tf.primary_key[:1] + [fk.columns[0] for fk in tf.foreign_keys]
                                        + (key_columns or {}).get(name, [])))
            for column in wanted:
                counts = _rows(conn, exp.select(exp.Count(this=exp.Star()).as_("n")).from_(table(name))
                               .group_by(col(column)), [])
                total = sum(r["n"] for r in counts)
                tf.rows = total
                tf.key_stats.append(KeyStats([column], len(counts), max(r["n"] for r in counts) / total if total else 0))
            facts.tables[name] = tf
    return facts


def sakila_registry():  # -> Registry
    """The Sakila registry of tests/data/sakila_patterns.json, as the modeling tools store it."""
    import json
    from pathlib import Path

    from mysql2ddb.tools.modeling.registry import Registry, make_pattern

    patterns = []
    for p in json.loads((Path(__file__).parent / "data" / "sakila_patterns.json").read_text())["patterns"]:
        sql = p["sql_example"]
        patterns.append(make_pattern({
            **{k: p[k] for k in ("id", "description", "rps_peak", "rps_average", "consistency", "latency_ms")},
            "statements": [{"example": s} for s in (sql if isinstance(sql, list) else [sql])]}))
    return Registry(patterns=patterns)
