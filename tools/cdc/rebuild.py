"""Re-building contract tables after a schema change the contract survives: a full re-copy through
the ordinary copy path (its checkpoint reset, so it reads the whole view again and puts every
item), then the items the view no longer produces are deleted (a TRUNCATE's, a dropped row's).

The sync is stopped meanwhile, so only this writes to those tables. The view's keys are read
after the copy: an item whose row went away in between is deleted here (and by the replay), a row
that arrived in between is put by the replay, which continues after the DDL once this is done.
The view's keys are held in memory (one text per item) while the table's keys are scanned.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pymysql
from botocore.exceptions import BotoCoreError, ClientError
from sqlglot import exp

from mysql2ddb.tools.cdc.follow import Ops, write_ops
from mysql2ddb.tools.contract.model import Contract
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.core.aws import AwsClients, map_aws_error
from mysql2ddb.tools.core.db import Dsn, map_db_error, sync_connection
from mysql2ddb.tools.core.progress import ProgressSink
from mysql2ddb.tools.execution import stages
from mysql2ddb.tools.execution.convert import RowRejected, build_converter
from mysql2ddb.tools.execution.item_keys import key_text
from mysql2ddb.tools.execution.rundir import RunDir
from mysql2ddb.tools.execution.spec import table_spec

DELETE_BATCH = 1000  # stale keys deleted per round while scanning


def produced_keys(dsn: Dsn, spec: dict[str, Any]) -> set[str]:
    """The key of every item the table's view produces now (rows the converter rejects produce none)."""
    convert = build_converter(spec)
    query = exp.select(*[sql.col(c["name"]) for c in spec["columns"]]).from_(sql.table(spec["view"]))
    where = f"re-build {spec['table']}: the keys its view produces"
    keys: set[str] = set()
    with sync_connection(dsn, where, cursorclass=pymysql.cursors.SSCursor) as conn:
        try:
            with conn.cursor() as cur:
                cur.execute(sql.driver_sql(query))
                for row in cur:
                    try:
                        keys.add(key_text(convert(row), spec["pk"], spec.get("sk")))
                    except RowRejected:
                        continue
        except pymysql.err.MySQLError as exc:
            raise map_db_error(exc, where, dsn) from None
    return keys


def delete_stale(dsn: Dsn, spec: dict[str, Any], client: Any) -> int:
    """Delete the items of the table its view no longer produces; how many."""
    produced = produced_keys(dsn, spec)
    key_names = [spec["pk"]] + ([spec["sk"]] if spec.get("sk") else [])
    names = {f"#k{i}": name for i, name in enumerate(key_names)}
    stale: Ops = {}
    deleted = 0
    try:
        pages = client.get_paginator("scan").paginate(
            TableName=spec["table"], ProjectionExpression=", ".join(names), ExpressionAttributeNames=names,
            ConsistentRead=True)
        for page in pages:
            for item in page.get("Items", []):
                key = key_text(item, spec["pk"], spec.get("sk"))
                if key not in produced:
                    stale[(spec["table"], key)] = ("delete", {k: item[k] for k in key_names})
            if len(stale) >= DELETE_BATCH:
                write_ops(client, stale)
                deleted, stale = deleted + len(stale), {}
        write_ops(client, stale)
    except (BotoCoreError, ClientError, RuntimeError) as exc:  # botocore's, and write_ops' unprocessed writes
        raise map_aws_error(exc, f"re-build {spec['table']}: delete the items its view no longer produces") from None
    return deleted + len(stale)


async def rebuild_tables(contract: Contract, catalog: Any, dsn: Dsn, aws: AwsClients, run: RunDir,
                         tables: list[str], progress: ProgressSink) -> dict[str, int]:
    """Re-copy `tables` in full into the run, then delete their stale items; items deleted per table."""
    subset = contract.model_copy(update={"tables": [t for t in contract.tables if t.table in tables]})
    for table in subset.tables:
        run.state_path(table.table).unlink(missing_ok=True)  # its checkpoint says done: copy it all again
    # the run's own write cap and stall timeout (a table serving live traffic stays capped)
    await stages.copy(subset, catalog, dsn, aws, run, run.load_settings().copy_options(None), progress)
    client = aws.client("dynamodb")
    deleted = {}
    for table in subset.tables:
        deleted[table.table] = await asyncio.to_thread(delete_stale, dsn, table_spec(table, catalog), client)
        progress.update(f"re-build {table.table}", 1, 1, f"{deleted[table.table]:,} item(s) the view no longer "
                                                         f"produces deleted")
    return deleted
