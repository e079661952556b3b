"""DynamoDB BatchWriteItem over HTTP: bodies already in DynamoDB JSON, SigV4-signed, many in flight.

boto3 spends ~60 us an item building and parsing requests; posting ready-made JSON bodies costs a
few. Two transports: our keep-alive HTTP/1.1 client (http11.py, the default: ~60 us a request)
and aiohttp (~240 us a request; used when an HTTP(S)_PROXY applies, or on request). Responses are classified here: done, some items unprocessed (re-sent by the caller), a
retryable failure (throttling, 5xx, a dropped or timed-out connection, a bad checksum), a refusal
(400 ValidationException/SerializationException: DynamoDB wrote nothing of the request because
something in it is invalid, often a single item; the copy engine isolates it) or a terminal one
(mapped onto our error hierarchy, named with its AWS code). Every request asks for
ReturnConsumedCapacity=INDEXES: the write units the table and each GSI consumed drive the copy's
rate controller (rate_control.py) and its monitoring (monitor.py).
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import boto3
import orjson

from mysql2ddb.tools.core.errors import AwsError, ConfigError, NotFoundError
from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.execution.http11 import HttpError, HttpPool
from mysql2ddb.tools.execution.sigv4 import FastSigner, botocore_headers

BATCH_WRITE = "DynamoDB_20120810.BatchWriteItem"
RETRYABLE_CODES = {
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "InternalServerError", "InternalFailure", "ServiceUnavailable", "TransactionInProgressException",
    "ExpiredTokenException", "RequestTimeout", "RequestTimeoutException",
}
ALL_DONE = b'{"UnprocessedItems":{}}'
THROTTLE_CODES = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
REFUSED_CODES = {"ValidationException", "SerializationException"}
# asks DynamoDB for the write units each request consumed, the table's and each GSI's
RETURN_CONSUMED = b',"ReturnConsumedCapacity":"INDEXES"'
DESCRIBE_TABLE = "DynamoDB_20120810.DescribeTable"


def request_body(request_items: dict[str, Any]) -> bytes:
    """A BatchWriteItem body for `request_items` (a re-send, a part), asking for consumed capacity."""
    return orjson.dumps({"RequestItems": request_items, "ReturnConsumedCapacity": "INDEXES"})


class Retryable(Exception):
    """The request may succeed when sent again (`kind` says why, for the counts)."""

    def __init__(self, kind: str, detail: str):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class Refused(AwsError):
    """DynamoDB refused a whole BatchWriteItem as invalid and wrote none of it: one item (or more)
    breaks its rules (size, key, type, duplicates...). `aws_code` and `message` are DynamoDB's own."""

    def __init__(self, aws_code: str, message: str, *, where: str):
        super().__init__(f"HTTP 400 {aws_code}: {message}", where=where,
                         remedy="read the AWS message above: a ValidationException names the attribute or key at fault")
        self.aws_code = aws_code
        self.message = message


def endpoint_for(aws: AwsClients) -> str:
    return (aws.endpoint_url or f"https://dynamodb.{aws.region}.amazonaws.com").rstrip("/")


def credentials_for(aws: AwsClients) -> Any:
    session = getattr(aws, "_session", None) or boto3.session.Session(region_name=aws.region)
    creds = session.get_credentials()
    if creds is None:
        raise ConfigError("no AWS credentials", where="copy engine",
                          remedy="configure credentials (aws configure / AWS_PROFILE) or use --endpoint-url embedded")
    return creds


def proxied(url: str) -> bool:
    """True when the environment routes `url` through an HTTP proxy (only aiohttp speaks to one)."""
    import urllib.request

    host = urlsplit(url).hostname or ""
    proxies = urllib.request.getproxies()
    return bool(proxies.get(urlsplit(url).scheme)) and not urllib.request.proxy_bypass(host)


def probe_moto(url: str, timeout_s: float = 2.0) -> bool:
    """True when `url` is a moto server on this machine (the embedded endpoint): it answers
    `GET /moto-api/`. moto never throttles and takes batches of any size, and it closes the
    connection after every answer, so the engine sends it fewer, larger batches. Never probes a
    remote host: real DynamoDB is never treated this way."""
    import ipaddress
    import urllib.error
    import urllib.request

    host = urlsplit(url).hostname or ""
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local:
        return False
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/moto-api/", timeout=timeout_s) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _error_code(data: bytes) -> tuple[str, str]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        return "", data[:200].decode("utf-8", "replace")
    code = str(doc.get("__type", "")).rsplit("#", 1)[-1]
    return code, str(doc.get("message") or doc.get("Message") or "")


class DynamoHttp:
    """One aiohttp session for a copy: `batch_write(body)` returns the UnprocessedItems (or None)."""

    def __init__(self, aws: AwsClients, *, connections: int = 64, timeout_s: float = 30.0, signer: str = "fast",
                 transport: str = "auto"):
        self.url = endpoint_for(aws)
        self.region = aws.region
        self._creds = credentials_for(aws)
        self._fast = FastSigner(self._creds, aws.region, self.url) if signer == "fast" else None
        self._connections = connections
        self._timeout_s = timeout_s
        if transport == "auto":
            transport = "aiohttp" if proxied(self.url) else "asyncio"
        self.transport = transport
        self._session: aiohttp.ClientSession | None = None
        self._pool: HttpPool | None = None

    async def __aenter__(self) -> "DynamoHttp":
        if self.transport == "asyncio":
            self._pool = HttpPool(self.url, timeout_s=self._timeout_s)
        else:
            timeout = aiohttp.ClientTimeout(total=self._timeout_s, sock_connect=min(10.0, self._timeout_s))
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(connector=connector, timeout=timeout, trust_env=True,
                                                  skip_auto_headers=("User-Agent",), raise_for_status=False)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def _headers(self, target: str, body: bytes) -> dict[str, str]:
        if self._fast is not None:
            return self._fast.headers(target, body)
        return botocore_headers(self._creds, self.region, self.url, target, body)

    async def post(self, target: str, body: bytes) -> tuple[int, bytes]:
        if self._pool is not None:
            headers = self._fast.header_block(target, body) if self._fast is not None else self._headers(target, body)
            try:
                resp = await self._pool.post(headers, body)
            except HttpError as exc:
                raise Retryable("connection", str(exc)) from None
            if crc_mismatch(resp.header(b"x-amz-crc32"), resp.body):
                raise Retryable("connection", "response checksum mismatch")
            return resp.status, resp.body
        assert self._session is not None, "use `async with DynamoHttp(...)`"
        headers = self._headers(target, body)
        try:
            async with self._session.post(self.url, data=body, headers=headers) as resp:
                data = await resp.read()
                if resp.headers.get("Content-Encoding") is None and crc_mismatch(resp.headers.get("x-amz-crc32"), data):
                    raise Retryable("connection", "response checksum mismatch")
                return resp.status, data
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, asyncio.TimeoutError) as exc:
            raise Retryable("connection", f"{type(exc).__name__}: {exc}") from None

    async def batch_write(self, body: bytes, table: str) -> dict[str, Any] | None:
        """Send one BatchWriteItem; the UnprocessedItems request map, or None when all were written.
        Raises Retryable, or a terminal AwsError/NotFoundError/ConfigError."""
        status, data = await self.post(BATCH_WRITE, body)
        return batch_outcome(status, data, table, self.url)


def batch_outcome(status: int, data: bytes, table: str, url: str) -> dict[str, Any] | None:
    """A BatchWriteItem answer: None when every item was written, the UnprocessedItems request map
    when some were not; raises Retryable (throttling, 5xx, unreadable), Refused (an invalid request:
    nothing written) or a terminal error."""
    return batch_answer(status, data, table, url)[0]


Consumed = tuple[float, dict[str, float]]  # (the table's write units, GSI name -> its write units)


def batch_answer(status: int, data: bytes, table: str, url: str) -> tuple[dict[str, Any] | None, Consumed | None]:
    """batch_outcome, and the write units DynamoDB says the request consumed (None when the
    answer does not say: an endpoint that ignores ReturnConsumedCapacity)."""
    if status == 200 and data == ALL_DONE:
        return None, None
    if status == 200:
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise Retryable("connection", "unreadable BatchWriteItem response") from None
        return doc.get("UnprocessedItems") or None, consumed_of(doc.get("ConsumedCapacity"), table)
    code, message = _error_code(data)
    if code in THROTTLE_CODES:
        raise Retryable("throttled", f"{code}: {message}")
    if status >= 500 or code in RETRYABLE_CODES:
        raise Retryable("server", f"HTTP {status} {code}: {message}")
    where = f"BatchWriteItem into {table} at {url}"
    if status == 400 and code in REFUSED_CODES:
        raise Refused(code, message, where=where)
    if code == "ResourceNotFoundException":
        raise NotFoundError(f"{code}: {message}", where=where,
                            remedy="create the table first (mysql2ddb tables ... --apply), or check the region")
    if code in ("AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
                "MissingAuthenticationTokenException"):
        raise ConfigError(f"{code}: {message}", where=where,
                          remedy="grant dynamodb:BatchWriteItem on the table to these credentials; check the region")
    raise AwsError(f"HTTP {status} {code or 'error'}: {message}", where=where,
                   remedy="read the AWS message above: a ValidationException names the attribute or key at fault")


def consumed_of(capacity: Any, table: str) -> Consumed | None:
    """The table's entry of a ConsumedCapacity list (TOTAL or INDEXES form)."""
    if not isinstance(capacity, list):
        return None
    for entry in capacity:
        if not isinstance(entry, dict) or entry.get("TableName", table) != table:
            continue
        indexes = {name: float((v or {}).get("CapacityUnits") or 0.0)
                   for name, v in (entry.get("GlobalSecondaryIndexes") or {}).items()}
        own = (entry.get("Table") or {}).get("CapacityUnits")
        if own is None:
            own = float(entry.get("CapacityUnits") or 0.0) - sum(indexes.values())
        return float(own), indexes
    return None


def crc_mismatch(crc: bytes | str | None, body: bytes) -> bool:
    """DynamoDB's x-amz-crc32 header does not match the body (a damaged answer: retry)."""
    return crc is not None and int(crc) != zlib.crc32(body) & 0xFFFFFFFF
