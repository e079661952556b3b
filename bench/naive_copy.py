"""The naive copy the design notes sketch, done correctly: the baseline of the copy benchmark.

One thread; the whole view fetched at once (a buffered cursor, as the notes' `cursor(dictionary=True)`
is); each row serialized by boto3's TypeSerializer (numbers stay Decimal, dates become ISO-8601
text, NULLs are omitted rather than written as strings); BatchWriteItem of 25 through a boto3
client, re-sending UnprocessedItems until none are left. The notes' own sketch wrote every value as
a string, put an empty password in a script and called `table.batch_writer().batch_write_item`,
which does not exist.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any

import pymysql.cursors
from boto3.dynamodb.types import TypeSerializer
from sqlglot import exp

from mysql2ddb.tools.core import sql
from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.core.db import Dsn, sync_connection


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _write(client: Any, table: str, batch: list[dict[str, Any]]) -> int:
    """Write one batch; returns how many requests it took."""
    request = {table: batch}
    calls = 0
    while request:
        calls += 1
        response = client.batch_write_item(RequestItems=request)
        request = response.get("UnprocessedItems") or {}
        if request:
            time.sleep(min(1.0, 0.05 * 2 ** calls))
    return calls


def naive_copy(dsn: Dsn, aws: AwsClients, table: str, view: str) -> dict[str, Any]:
    client = aws.client("dynamodb")
    serialize = TypeSerializer().serialize
    items = 0
    calls = 0
    with sync_connection(dsn, where="naive copy", cursorclass=pymysql.cursors.DictCursor) as conn, \
            conn.cursor() as cur:
        cur.execute(sql.driver_sql(exp.select(exp.Star()).from_(sql.table(view))))  # every row into memory
        batch: list[dict[str, Any]] = []
        for row in cur:
            item = {name: serialize(_plain(value)) for name, value in row.items() if value is not None}
            batch.append({"PutRequest": {"Item": item}})
            if len(batch) == 25:
                calls += _write(client, table, batch)
                items += len(batch)
                batch = []
        if batch:
            calls += _write(client, table, batch)
            items += len(batch)
    return {"items": items, "requests": calls}
