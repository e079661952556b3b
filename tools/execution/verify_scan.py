"""Reading DynamoDB tables back for verification: a parallel Scan fitted to the endpoint, parsed fast.

Measured on Sakila (39,475 items, 2-core machine) before this module, verifying took 2.7 to 4.8
times as long as copying on a moto server: moto's generic response serializer cost ~0.7 ms an item
(fixed in our moto server: tools/core/moto_reads.py); boto3's parser and botocore's per-request
work ~60 us an item on top. Here a Scan page is one signed POST over the copy engine's keep-alive
HTTP/1.1 client (http11.py, sigv4.py) and one `orjson.loads`: ~2 us an item; items stay in wire
JSON (numbers as text, binary as base64), which the digest reads as they are.

Segments (and tables at once) fitted to the endpoint:
- a moto server (our embedded endpoint, `probe_moto`) answers one request at a time, and every
  Scan page sorts and walks the whole table (moto's Table.scan): segments never run in parallel
  there and each extra page is one more pass over the table. So one segment (fewest pages), and
  two tables at once so that moto always has the next page to build while this process hashes
  (measured on Sakila, 39,475 items, one segment: 10.0-13.1 s with two tables at once, 10.4-13.0 s
  with one, 19-32 s with four tables of 1-4 segments: the extra MySQL and Python work only takes
  CPU from moto);
- DynamoDB Local (one SQLite file) is treated alike, with LOCAL_SEGMENTS;
- any other endpoint (AWS, a proxy) serves segments in parallel and each page is a round trip:
  REMOTE_SEGMENTS (8) pages in flight per table, four tables at once, keep this process busy
  parsing and hashing (its CPU, not the service, is then the limit: ~1 MB pages at ~10 us an
  item), up to MAX_SEGMENTS for tables DescribeTable says are large (one per SEGMENT_BYTES).
Behind an HTTP(S) proxy (only aiohttp and boto3 speak to one) the scan uses boto3.

Throttling, 5xx and dropped connections are retried with backoff (full jitter), at most
MAX_ATTEMPTS times a page; a missing table raises TableMissing (verify reports it, never fails on it).
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
from typing import Any, Callable

import orjson

from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.core.errors import AwsError, ConfigError
from mysql2ddb.tools.execution.ddb_http import (
    RETRYABLE_CODES, THROTTLE_CODES, crc_mismatch, credentials_for, endpoint_for, probe_moto, proxied,
)
from mysql2ddb.tools.execution.http11 import HttpError, HttpPool
from mysql2ddb.tools.execution.sigv4 import FastSigner

SCAN = "DynamoDB_20120810.Scan"
EMBEDDED_SEGMENTS = 1
LOCAL_SEGMENTS = 2
REMOTE_SEGMENTS = 8
LOCAL_TABLES_IN_PARALLEL = 2
REMOTE_TABLES_IN_PARALLEL = 4
MAX_SEGMENTS = 32
SEGMENT_BYTES = 2 << 30
MAX_ATTEMPTS = 10
DENIED = {"AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
          "MissingAuthenticationTokenException"}

Visit = Callable[[int], Callable[[str, dict], None]]  # segment -> callback(key text, item)


class TableMissing(Exception):
    """The table does not exist (ResourceNotFoundException)."""


def _error(data: bytes) -> tuple[str, str]:
    try:
        doc = orjson.loads(data)
        return str(doc.get("__type", "")).rsplit("#", 1)[-1], str(doc.get("message") or doc.get("Message") or "")
    except (orjson.JSONDecodeError, AttributeError):
        return "", data[:200].decode("utf-8", "replace")


class TargetReader:
    """Scans the tables of one endpoint. `segments` (None: fitted per endpoint and table)."""

    def __init__(self, aws: AwsClients, *, segments: int | None = None, transport: str = "auto"):
        self.aws = aws
        self.url = endpoint_for(aws)
        self.kind = aws.local_kind or ("moto" if probe_moto(self.url) else "remote")
        self.fixed_segments = segments
        self.fast = transport == "http" or (transport == "auto" and not proxied(self.url))
        self._signer: FastSigner | None = None
        self._client: Any = None
        self._lock = threading.Lock()  # tables are verified in parallel: one client, one signer

    @property
    def client(self) -> Any:
        """boto3's client: DescribeTable, GetItem for field diffs, and the scan behind a proxy."""
        with self._lock:
            if self._client is None:
                self._client = self.aws.client("dynamodb", max_pool_connections=MAX_SEGMENTS * 4)
            return self._client

    @property
    def tables_in_parallel(self) -> int:
        return REMOTE_TABLES_IN_PARALLEL if self.kind == "remote" else LOCAL_TABLES_IN_PARALLEL

    def segments_for(self, table: str) -> int:
        if self.fixed_segments:
            return self.fixed_segments
        if self.kind == "moto":
            return EMBEDDED_SEGMENTS
        if self.kind != "remote":
            return LOCAL_SEGMENTS
        try:  # TableSizeBytes is refreshed about every six hours: a floor, not a measure
            size = int(self.client.describe_table(TableName=table)["Table"].get("TableSizeBytes") or 0)
        except Exception:  # noqa: BLE001 - the scan itself reports a missing table or missing rights
            size = 0
        return max(REMOTE_SEGMENTS, min(MAX_SEGMENTS, math.ceil(size / SEGMENT_BYTES)))

    def scan(self, table: str, segments: int, visit: Visit, key_of: Callable[[dict], str], *,
             consistent: bool) -> None:
        """Every item of `table`, segment by segment in parallel; `visit(segment)` gives each
        segment its own item callback (each called from one thread)."""
        if self.fast:
            asyncio.run(self._scan(table, segments, visit, key_of, consistent))
        else:
            self._boto_scan(table, segments, visit, key_of, consistent)

    # ---- our HTTP client ----------------------------------------------------------------------

    async def _scan(self, table: str, segments: int, visit: Visit, key_of: Callable[[dict], str],
                    consistent: bool) -> None:
        with self._lock:
            if self._signer is None:
                self._signer = FastSigner(credentials_for(self.aws), self.aws.region, self.url)
        pool = HttpPool(self.url)
        try:
            await asyncio.gather(*(self._segment(pool, table, s, segments, visit(s), key_of, consistent)
                                   for s in range(segments)))
        finally:
            await pool.close()

    async def _segment(self, pool: HttpPool, table: str, segment: int, total: int,
                       handle: Callable[[str, dict], None], key_of: Callable[[dict], str], consistent: bool) -> None:
        request: dict[str, Any] = {"TableName": table, "Segment": segment, "TotalSegments": total,
                                   "ConsistentRead": consistent}
        while True:
            page = orjson.loads(await self._post(pool, table, orjson.dumps(request)))
            for item in page.get("Items", ()):
                handle(key_of(item), item)
            last = page.get("LastEvaluatedKey")
            if not last:
                return
            request["ExclusiveStartKey"] = last

    async def _post(self, pool: HttpPool, table: str, body: bytes) -> bytes:
        where = f"Scan {table} at {self.url}"
        failure = ""
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                await asyncio.sleep(random.uniform(0, min(5.0, 0.05 * 2 ** attempt)))
            assert self._signer is not None
            try:
                response = await pool.post(self._signer.header_block(SCAN, body), body)
            except HttpError as exc:
                failure = f"connection: {exc}"
                continue
            status, data = response.status, response.body
            if status == 200:
                if not crc_mismatch(response.header(b"x-amz-crc32"), data):
                    return data
                failure = "response checksum mismatch"
                continue
            code, message = _error(data)
            if code == "ResourceNotFoundException":
                raise TableMissing(message)
            if status >= 500 or code in THROTTLE_CODES or code in RETRYABLE_CODES:
                failure = f"HTTP {status} {code}: {message}"
                continue
            if code in DENIED:
                raise ConfigError(f"{code}: {message}", where=where,
                                  remedy="grant dynamodb:Scan and dynamodb:DescribeTable on the table to these "
                                         "credentials; check the region")
            raise AwsError(f"HTTP {status} {code or 'error'}: {message}", where=where,
                           remedy="read the AWS message above")
        raise AwsError(f"no answer after {MAX_ATTEMPTS} attempts: {failure}", where=where,
                       remedy="the endpoint is throttling or unreachable: verify again later (it only reads)")

    # ---- boto3, behind a proxy ----------------------------------------------------------------

    def _boto_scan(self, table: str, segments: int, visit: Visit, key_of: Callable[[dict], str],
                   consistent: bool) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from botocore.exceptions import ClientError

        def run(segment: int) -> None:
            handle = visit(segment)
            kwargs: dict[str, Any] = {"TableName": table, "Segment": segment, "TotalSegments": segments,
                                      "ConsistentRead": consistent}
            while True:
                try:
                    page = self.client.scan(**kwargs)
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                        raise TableMissing(str(exc)) from None
                    raise
                for item in page.get("Items", []):
                    handle(key_of(item), item)
                if "LastEvaluatedKey" not in page:
                    return
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

        with ThreadPoolExecutor(max_workers=segments, thread_name_prefix=f"scan-{table}") as pool:
            for future in [pool.submit(run, s) for s in range(segments)]:
                future.result()
