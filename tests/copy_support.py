"""Source tables, specs and checks shared by the copy engine's tests (and the SIGKILL child).
Conversion is the real one (tools/execution/convert.py) on hand-written specs.

Everything is written to the test database `m2d_ce_test` only. `orders` is a typical OLTP table
whose view turns every 997th id into NULL (a NULL key: a row the converter must reject);
`people` has a string partition key with case and trailing-space variants and a nullable
numeric sort key, to prove the binary ordering and the resume comparison exact.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlglot import exp

from mysql2ddb.tools.core import sql
from mysql2ddb.tools.core.db import Dsn, sync_connection

DATABASE = "m2d_ce_test"
ORDERS_ROWS = 20_000
NULL_EVERY = 997
SMALL_ROWS = 3_000 + 17  # ids 1..3000 (3 of them NULL) and the other 17 NULL-key rows
SMALL_NULLS = 20

_ORDERS_DDL = [
    "CREATE TABLE IF NOT EXISTS orders (id BIGINT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(10,2) NOT NULL,"
    " created_at DATETIME(3) NOT NULL, status ENUM('new','paid','shipped','cancelled') NOT NULL,"
    " note VARCHAR(64) NULL, qty SMALLINT NOT NULL)",
    "INSERT INTO orders SELECT seq, seq * 7919 % 100000, (seq * 37 % 100000) / 100,"
    " TIMESTAMP'2020-01-01 00:00:00.250' + INTERVAL (seq * 13) SECOND, ELT(1 + seq % 4, 'new','paid','shipped','cancelled'),"
    " IF(seq % 3 = 0, NULL, CONCAT('note ', seq, ' ünïcødé')), CAST(seq % 1000 AS SIGNED) - 500 FROM seq_1_to_20000",
    "CREATE OR REPLACE VIEW ddb_orders_view AS SELECT IF(id % 997 = 0, NULL, id) AS id, customer_id, amount,"
    " created_at, status, note, qty FROM orders",
    "CREATE OR REPLACE VIEW ddb_small_view AS SELECT * FROM ddb_orders_view WHERE id IS NULL OR id <= 3000",
    "CREATE OR REPLACE VIEW ddb_resume_view AS SELECT id, customer_id, IF(id % 250 = 0,"
    " CAST('1234567890123456789012345678901234567890.12' AS DECIMAL(50,2)), amount) AS amount, created_at, status,"
    " note, qty FROM orders WHERE id <= 3000",
]
_PEOPLE_DDL = [
    "CREATE TABLE IF NOT EXISTS people (rid INT PRIMARY KEY, name VARCHAR(32) COLLATE utf8mb4_general_ci NOT NULL,"
    " seq INT NULL, city VARCHAR(32) NULL)",
    "INSERT INTO people VALUES (1,'alice',1,'Oslo'),(2,'Alice',1,'Rome'),(3,'alice ',1,'Lima'),(4,'bob',NULL,'Kyiv'),"
    "(5,'bob',1,'Baku'),(6,'bob',2,'Riga'),(7,'Bob',NULL,'Pune'),(8,'çedille',3,NULL),(9,'zoë',1,'Bern'),"
    "(10,'Zoe',1,'Doha'),(11,'bob',3,'Nice'),(12,'émile',1,'Lyon'),(13,'alice',2,'Kobe'),(14,'ALICE',1,'Faro')",
    "CREATE OR REPLACE VIEW ddb_people_view AS SELECT name, seq, city FROM people",
]

ORDERS_SPEC: dict[str, Any] = {
    "table": "CeOrders", "view": "ddb_orders_view", "pk": "id", "sk": None,
    "columns": [
        {"name": "id", "ddb_type": "N", "mysql_type": "bigint", "column_type": "bigint(20)"},
        {"name": "customer_id", "ddb_type": "N", "mysql_type": "int", "column_type": "int(11)"},
        {"name": "amount", "ddb_type": "N", "mysql_type": "decimal", "column_type": "decimal(10,2)"},
        {"name": "created_at", "ddb_type": "S", "mysql_type": "datetime", "column_type": "datetime(3)"},
        {"name": "status", "ddb_type": "S", "mysql_type": "enum", "column_type": "enum('new','paid','shipped','cancelled')"},
        {"name": "note", "ddb_type": "S", "mysql_type": "varchar", "column_type": "varchar(64)"},
        {"name": "qty", "ddb_type": "N", "mysql_type": "smallint", "column_type": "smallint(6)"},
    ],
}
# moto answers a Scan at ~1 ms an item: the copies whose items are read back use 3,017 rows
SMALL_SPEC: dict[str, Any] = {**ORDERS_SPEC, "table": "CeSmall", "view": "ddb_small_view"}
# every 250th amount has 42 significant digits (more than DynamoDB's 38): 12 rejects spread over the stream
RESUME_SPEC: dict[str, Any] = {
    **ORDERS_SPEC, "table": "CeResume", "view": "ddb_resume_view",
    "columns": [dict(c, column_type="decimal(50,2)") if c["name"] == "amount" else c for c in ORDERS_SPEC["columns"]],
}
RESUME_ROWS = 3_000
RESUME_REJECTS = 12
PEOPLE_SPEC: dict[str, Any] = {
    "table": "CePeople", "view": "ddb_people_view", "pk": "name", "sk": "seq",
    "columns": [
        {"name": "name", "ddb_type": "S", "mysql_type": "varchar", "column_type": "varchar(32)"},
        {"name": "seq", "ddb_type": "N", "mysql_type": "int", "column_type": "int(11)"},
        {"name": "city", "ddb_type": "S", "mysql_type": "varchar", "column_type": "varchar(32)"},
    ],
}


def ensure_source(dsn: Dsn) -> Dsn:
    """Create m2d_ce_test with `orders` (20,000 rows) and `people`, once; return its DSN."""
    target = dsn.with_database(DATABASE)
    with sync_connection(dsn.with_database(""), where="create test database") as conn, conn.cursor() as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS m2d_ce_test CHARACTER SET utf8mb4")
    with sync_connection(target, where="create test tables") as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME IN "
                    "('orders', 'people', 'ddb_orders_view', 'ddb_people_view', 'ddb_small_view', 'ddb_resume_view')",
                    (DATABASE,))
        if cur.fetchone()[0] == 6:
            cur.execute("SELECT COUNT(*) FROM orders")
            if cur.fetchone()[0] == ORDERS_ROWS:
                return target
        cur.execute("DROP TABLE IF EXISTS orders, people")
        for statement in _ORDERS_DDL + _PEOPLE_DDL:
            cur.execute(statement)
    return target


def create_ddb_table(aws: Any, spec: dict[str, Any]) -> None:
    client = aws.client("dynamodb")
    types = spec.get("key_types") or {c["name"]: c["ddb_type"] for c in spec["columns"]}
    keys = [(spec["pk"], "HASH")] + ([(spec["sk"], "RANGE")] if spec.get("sk") else [])
    client.create_table(
        TableName=spec["table"], BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": n, "KeyType": t} for n, t in keys],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": types[n]} for n, _ in keys])


def count_items(aws: Any, table: str) -> int:
    client = aws.client("dynamodb")
    return sum(page["Count"] for page in client.get_paginator("scan").paginate(TableName=table, Select="COUNT"))


def scan_items(aws: Any, table: str) -> list[dict[str, Any]]:
    client = aws.client("dynamodb")
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table):
        items.extend(page["Items"])
    return items


def source_rows(dsn: Dsn, view: str) -> list[tuple]:
    with sync_connection(dsn, where="read view") as conn, conn.cursor() as cur:
        cur.execute(sql.driver_sql(exp.select(exp.Star()).from_(sql.table(view))))
        return list(cur.fetchall())


def checksum(items: list[dict[str, Any]]) -> str:
    """Order-independent: the hash of the sorted canonical JSON lines."""
    lines = sorted(json.dumps(item, sort_keys=True, ensure_ascii=False) for item in items)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


# ---- what the copy must produce: the real converter over the view's own rows ----------------------

def expected_items(dsn: Dsn, spec: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """(items the copy must produce, rows it must reject) from the view itself."""
    from mysql2ddb.tools.execution.convert import RowRejected, build_converter

    convert = build_converter(spec)
    items, rejected = [], 0
    for row in source_rows(dsn, spec["view"]):
        try:
            items.append(convert(row))
        except RowRejected:
            rejected += 1
    return items, rejected
