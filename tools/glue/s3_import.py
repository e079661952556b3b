"""DynamoDB import from S3, the option for NEW tables: the same conversion writes DynamoDB JSON
files (gzip, one `{"Item": ...}` per line) to S3, and ImportTable creates the table from them.

Trade-offs (also in the copy plan and the README): priced per GB of uncompressed source data
instead of per write, consumes no write capacity and throttles nothing, but only creates a new
table (it cannot load into an existing one), and the table is unusable until the import finishes.

Each view is read through its SELECT as a derived table (what the plan measures: no view needs to
exist, nothing is written to MySQL), under the server-side time limit of every view stream
(tools/core/db.py STREAM_SECONDS), decoded by the copy engine's packet decoder and converted by
the copy's converter; rows it rejects are counted, not exported. ImportTable's
TableCreationParameters carry what it accepts of the CreateTable request (keys, attribute
definitions, billing, GSIs, encryption); streams, deletion protection, point-in-time recovery and
tags, which it does not take, are applied once the import has ended (`finish_table`).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import time
from typing import Any, Callable

import orjson
import pymysql
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, Field
from sqlglot import exp

from mysql2ddb.tools.contract.model import ContractTable
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.core.aws import AwsClients, map_aws_error
from mysql2ddb.tools.core.db import STREAM_SECONDS, Dsn, map_db_error, server_flavor, sync_connection, time_limited
from mysql2ddb.tools.core.errors import AwsError, NotFoundError
from mysql2ddb.tools.core.progress import NullProgress, ProgressSink
from mysql2ddb.tools.execution.convert import RowRejected, build_converter
from mysql2ddb.tools.execution.plan import view_select
from mysql2ddb.tools.execution.source_stream import FastRows

CREATION_KEYS = ("TableName", "AttributeDefinitions", "KeySchema", "BillingMode", "ProvisionedThroughput",
                 "OnDemandThroughput", "GlobalSecondaryIndexes", "SSESpecification")
DONE_STATUSES = {"COMPLETED", "FAILED", "CANCELLED"}


class ExportedTable(BaseModel):
    table: str
    s3_prefix: str = Field(description="s3://bucket/prefix/<table>/: the import reads every object under it")
    files: int
    items: int
    rejected: int = Field(description="view rows the converter refused (not exported)")
    uncompressed_bytes: int = Field(description="DynamoDB JSON written, before gzip: what ImportTable bills")
    compressed_bytes: int


class ImportedTable(BaseModel):
    export: ExportedTable
    import_arn: str | None = None
    status: str = Field("NOT STARTED", description="ImportStatus: IN_PROGRESS, COMPLETED, FAILED, CANCELLED")
    imported_items: int = 0
    error_count: int = Field(0, description="items ImportTable could not import (their reasons are in CloudWatch)")
    failure: str | None = None
    warnings: list[str] = Field(default_factory=list)
    seconds: float = 0.0


def key_prefix(prefix: str, table: str) -> str:
    return f"{prefix.strip('/')}/{table}/" if prefix.strip("/") else f"{table}/"


def export_table(table: ContractTable, catalog: Any, spec: dict[str, Any], dsn: Dsn, aws: AwsClients, bucket: str,
                 prefix: str, *, items_per_file: int = 100_000, progress: ProgressSink | None = None) -> ExportedTable:
    """Stream the view's rows through the converter into gzip DynamoDB JSON files on S3."""
    progress = progress or NullProgress()
    convert = build_converter(spec)
    s3 = aws.client("s3")
    base = key_prefix(prefix, spec["table"])
    out = ExportedTable(table=spec["table"], s3_prefix=f"s3://{bucket}/{base}", files=0, items=0, rejected=0,
                        uncompressed_bytes=0, compressed_bytes=0)
    buffer = io.BytesIO()
    writer = gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=6)
    pending = 0

    def flush() -> None:
        nonlocal buffer, writer, pending
        writer.close()
        body = buffer.getvalue()
        try:
            s3.put_object(Bucket=bucket, Key=f"{base}part-{out.files:05d}.json.gz", Body=body)
        except (ClientError, BotoCoreError) as exc:
            raise map_aws_error(exc, f"s3://{bucket}/{base}") from None
        out.files += 1
        out.compressed_bytes += len(body)
        buffer, pending = io.BytesIO(), 0
        writer = gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=6)

    derived = exp.Subquery(this=view_select(table, catalog), alias=exp.TableAlias(this=sql.ident("m2d_export")))
    query = exp.select(*[sql.col(c["name"]) for c in spec["columns"]]).from_(derived)
    where = f"export {spec['table']}"
    with sync_connection(dsn, where=where, cursorclass=pymysql.cursors.SSCursor) as conn:
        try:
            with conn.cursor() as cur:
                cur.execute(time_limited(query, STREAM_SECONDS, server_flavor(conn)))
                rows = FastRows(cur)
                try:
                    for chunk in rows.chunks():
                        for row in chunk:
                            try:
                                item = convert(row)
                            except RowRejected:
                                out.rejected += 1
                                continue
                            line = b'{"Item":' + orjson.dumps(item) + b"}\n"
                            writer.write(line)
                            out.uncompressed_bytes += len(line)
                            out.items += 1
                            pending += 1
                            if pending == items_per_file:
                                flush()
                        progress.update(f"export {spec['table']}", out.items, None, "to S3")
                finally:
                    rows.abandon()
        except pymysql.err.MySQLError as exc:
            raise map_db_error(exc, where, dsn) from None
    if pending or out.files == 0:
        flush()
    return out


def import_table_request(create_table_request: dict[str, Any], bucket: str, prefix: str,
                         client_token: str | None = None) -> dict[str, Any]:
    """ImportTable parameters from the same CreateTable request the copy path would send."""
    creation = {k: v for k, v in create_table_request.items() if k in CREATION_KEYS}
    request: dict[str, Any] = {
        "S3BucketSource": {"S3Bucket": bucket, "S3KeyPrefix": key_prefix(prefix, creation["TableName"])},
        "InputFormat": "DYNAMODB_JSON",
        "InputCompressionType": "GZIP",
        "TableCreationParameters": creation,
    }
    if client_token:
        request["ClientToken"] = client_token
    return request


def client_token(contract_sha256: str, request: dict[str, Any]) -> str:
    """Idempotency for ImportTable: the same contract, table, bucket and prefix give the same token,
    so a retried call does not start a second import (DynamoDB keeps a token 8 hours)."""
    text = contract_sha256 + orjson.dumps(request, option=orjson.OPT_SORT_KEYS).decode()
    return hashlib.sha256(text.encode()).hexdigest()[:36]


def existing_tables(aws: AwsClients, names: list[str]) -> list[str]:
    """The tables among `names` that already exist (ImportTable cannot load into them)."""
    client = aws.client("dynamodb")
    found = []
    for name in names:
        try:
            client.describe_table(TableName=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                continue
            raise map_aws_error(exc, f"DescribeTable {name}") from None
        except BotoCoreError as exc:
            raise map_aws_error(exc, f"DescribeTable {name}") from None
        found.append(name)
    return found


def check_bucket(aws: AwsClients, bucket: str) -> None:
    try:
        aws.client("s3").head_bucket(Bucket=bucket)
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchBucket", "NotFound"):
            raise NotFoundError(f"the S3 bucket {bucket} does not exist", where="import from S3: --bucket",
                                remedy=f"create it in the tables' region (aws s3 mb s3://{bucket}), or name another "
                                       "bucket these credentials may write to") from None
        raise map_aws_error(exc, f"s3://{bucket}") from None
    except BotoCoreError as exc:
        raise map_aws_error(exc, f"s3://{bucket}") from None


def start_import(aws: AwsClients, request: dict[str, Any]) -> str:
    name = request["TableCreationParameters"]["TableName"]
    try:
        return aws.client("dynamodb").import_table(**request)["ImportTableDescription"]["ImportArn"]
    except (ClientError, BotoCoreError) as exc:
        raise map_aws_error(exc, f"ImportTable {name}") from None


def wait_import(aws: AwsClients, done: ImportedTable, *, poll_s: float = 5.0, timeout_s: float = 48 * 3600,
                on_poll: Callable[[dict], None] | None = None) -> ImportedTable:
    """Follow one import to its end (DescribeImport), first quickly, then every `poll_s`."""
    client = aws.client("dynamodb")
    started = time.monotonic()
    delay = 0.1
    while True:
        try:
            description = client.describe_import(ImportArn=done.import_arn)["ImportTableDescription"]
        except (ClientError, BotoCoreError) as exc:
            raise map_aws_error(exc, f"DescribeImport {done.export.table}") from None
        done.status = description.get("ImportStatus", "?")
        done.imported_items = int(description.get("ImportedItemCount") or 0)
        done.error_count = int(description.get("ErrorCount") or 0)
        done.failure = description.get("FailureMessage") or description.get("FailureCode") or None
        if on_poll:
            on_poll(description)
        if done.status in DONE_STATUSES:
            done.seconds = round(time.monotonic() - started, 3)
            return done
        if time.monotonic() - started > timeout_s:
            raise AwsError(f"the import of {done.export.table} is still {done.status} after {timeout_s:.0f} s",
                           where=f"DescribeImport {done.import_arn}",
                           remedy="it goes on in DynamoDB: follow it in the console (Imports from S3)")
        time.sleep(delay)
        delay = min(poll_s, delay * 2)


def finish_table(aws: AwsClients, create_request: dict[str, Any], *, tolerant: bool, pitr: bool = True) -> list[str]:
    """Apply what ImportTable does not take: streams, deletion protection, PITR, tags. `tolerant`
    (a local endpoint): a feature the endpoint lacks becomes a warning instead of an error."""
    client = aws.client("dynamodb")
    name = create_request["TableName"]
    warnings: list[str] = []
    steps: list[tuple[str, Callable[[], Any]]] = []
    if create_request.get("StreamSpecification"):
        steps.append(("streams", lambda: client.update_table(
            TableName=name, StreamSpecification=create_request["StreamSpecification"])))
    if create_request.get("DeletionProtectionEnabled"):
        steps.append(("deletion protection", lambda: client.update_table(
            TableName=name, DeletionProtectionEnabled=True)))
    if pitr:
        steps.append(("point-in-time recovery", lambda: client.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})))
    if create_request.get("Tags"):
        steps.append(("tags", lambda: client.tag_resource(
            ResourceArn=client.describe_table(TableName=name)["Table"]["TableArn"], Tags=create_request["Tags"])))
    for feature, step in steps:
        try:
            step()
        except (ClientError, BotoCoreError) as exc:
            if not tolerant:
                raise map_aws_error(exc, f"{feature} on {name} after its import") from None
            warnings.append(f"{feature}: not applied by this endpoint ({str(exc)[:160]})")
    return warnings
