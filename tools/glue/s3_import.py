"""DynamoDB import from S3, the option for NEW tables: the same conversion writes DynamoDB JSON
files (gzip, one `{"Item": ...}` per line) to S3, and ImportTable creates the table from them.

Trade-offs (also in the README): priced per GB of uncompressed source data instead of per write,
consumes no write capacity and throttles nothing, but only creates a new table (it cannot load
into an existing one), and the table is unusable until the import finishes.
"""

from __future__ import annotations

import gzip
import io
import json
from typing import Any

import pymysql
from pydantic import BaseModel
from sqlglot import exp

from mysql2ddb.tools.core import sql
from mysql2ddb.tools.core.aws import AwsClients, map_aws_error
from mysql2ddb.tools.core.db import Dsn, sync_connection
from mysql2ddb.tools.execution.convert import RowRejected, build_converter, item_size


class ExportedTable(BaseModel):
    table: str
    s3_prefix: str
    files: int
    items: int
    rejected: int
    uncompressed_bytes: int
    import_cost_usd: float


def export_table(spec: dict[str, Any], dsn: Dsn, aws: AwsClients, bucket: str, prefix: str,
                 *, items_per_file: int = 100_000, price_per_gb: float = 0.15) -> ExportedTable:
    """Stream the view through the converter into gzip DynamoDB JSON files on S3."""
    convert = build_converter(spec)
    s3 = aws.client("s3")
    base = f"{prefix.rstrip('/')}/{spec['table']}"
    files = items = rejected = raw_bytes = 0
    buffer = io.BytesIO()
    writer = gzip.GzipFile(fileobj=buffer, mode="wb")

    def flush() -> None:
        nonlocal buffer, writer, files
        writer.close()
        try:
            s3.put_object(Bucket=bucket, Key=f"{base}/part-{files:05d}.json.gz", Body=buffer.getvalue())
        except Exception as exc:
            raise map_aws_error(exc, f"s3://{bucket}/{base}") from None
        files += 1
        buffer = io.BytesIO()
        writer = gzip.GzipFile(fileobj=buffer, mode="wb")

    query = exp.select(*[sql.col(c["name"]) for c in spec["columns"]]).from_(sql.table(spec["view"]))
    with sync_connection(dsn, where=f"export {spec['view']}", cursorclass=pymysql.cursors.SSCursor) as conn:
        with conn.cursor() as cur:
            cur.execute(sql.driver_sql(query))
            pending = 0
            for row in cur:
                try:
                    item = convert(row)
                except RowRejected:
                    rejected += 1
                    continue
                line = json.dumps({"Item": item}, separators=(",", ":")).encode() + b"\n"
                raw_bytes += item_size(item)
                writer.write(line)
                items += 1
                pending += 1
                if pending == items_per_file:
                    flush()
                    pending = 0
            if pending or files == 0:
                flush()
    return ExportedTable(table=spec["table"], s3_prefix=f"s3://{bucket}/{base}/", files=files, items=items,
                         rejected=rejected, uncompressed_bytes=raw_bytes,
                         import_cost_usd=round(raw_bytes / 1024**3 * price_per_gb, 6))


def import_table_request(create_table_request: dict[str, Any], bucket: str, prefix: str) -> dict[str, Any]:
    """ImportTable parameters from the same CreateTable request the local path would send."""
    creation = {k: v for k, v in create_table_request.items()
                if k in ("TableName", "AttributeDefinitions", "KeySchema", "BillingMode",
                         "ProvisionedThroughput", "GlobalSecondaryIndexes", "SSESpecification", "OnDemandThroughput")}
    return {
        "S3BucketSource": {"S3Bucket": bucket, "S3KeyPrefix": f"{prefix.rstrip('/')}/{creation['TableName']}/"},
        "InputFormat": "DYNAMODB_JSON",
        "InputCompressionType": "GZIP",
        "TableCreationParameters": creation,
    }
