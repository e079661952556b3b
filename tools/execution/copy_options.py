"""The copy engine's options and its per-table outcome (copy_engine.py re-exports both)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CopyOptions(BaseModel):
    concurrency: int | None = Field(None, ge=1, le=1024, description=(
        "BatchWriteItem requests in flight, all tables together; default 32 (DynamoDB), embedded_concurrency on moto"))
    tables_in_parallel: int = Field(4, ge=1, le=64, description="tables copied at the same time")
    batch_size: int | None = Field(None, ge=1, le=25, description=(
        "items per BatchWriteItem (DynamoDB allows 25); default 25, embedded_batch_size on moto"))
    embedded_batch_size: int = Field(500, ge=1, le=10_000, description=(
        "items per request on a local moto server: it takes any size and closes the connection after every answer"))
    embedded_concurrency: int = Field(4, ge=1, le=64, description="requests in flight on a local moto server")
    max_attempts: int = Field(12, ge=1, le=100, description=(
        "sends of one batch in a row that get no answer or a 5xx before giving up (throttling never counts: "
        "throttled items are retried as long as the table makes progress, see stall_timeout_s)"))
    stall_timeout_s: float = Field(300.0, gt=0, description=(
        "stop a table, resumable, when none of its writes succeeded for this long while some wait (throttled)"))
    max_write_units_per_s: float | None = Field(None, gt=0, description=(
        "never write a table faster than this (e.g. a table that serves live traffic); default: probe upward "
        "from the capacity DescribeTable states"))
    interleave_items: int = Field(20_000, ge=0, description=(
        "items of a table with a sort key dealt over their partition keys before batching (a window of the "
        "key-ordered stream), so batches mix item collections; 0 = write in key order"))
    max_pending_mb: int = Field(24, ge=1, description=(
        "request bodies a table keeps in flight, paced or waiting to be re-sent, before reading pauses"))
    refused_batch_limit: int = Field(8, ge=0, description=(
        "stop the table when DynamoDB refuses, one by one, every item of a batch (at least this many): "
        "a systematic problem (key type, table definition), not bad rows; 0 = never stop"))
    backoff_base_s: float = Field(0.05, gt=0, description="first backoff ceiling; doubles each attempt (full jitter)")
    backoff_cap_s: float = Field(5.0, gt=0, description="largest backoff ceiling")
    request_timeout_s: float = Field(30.0, gt=0)
    checkpoint_ms: int = Field(500, ge=0, description="state written at most this often (and at the end)")
    queue_blocks: int = Field(4, ge=1, description="blocks of raw rows (~256 KB) read ahead per table (backpressure)")
    slice_rows: int = Field(500, ge=1, description="rows converted between two looks at the network")
    signer: str = Field("fast", pattern="^(fast|botocore)$", description="SigV4 implementation")
    transport: str = Field("auto", pattern="^(auto|asyncio|aiohttp)$",
                           description="HTTP client: our asyncio one, aiohttp, or auto (aiohttp behind a proxy)")
    totals: dict[str, int] = Field(default_factory=dict, description="expected rows per table, for progress")


class TableCopyStats(BaseModel):
    table: str
    read: int = Field(description="source rows read (each counted once, resumed runs included)")
    written: int = Field(description="items acknowledged by DynamoDB")
    rejected: int = Field(description="rows in rejects/<table>.jsonl (refused by the converter or by DynamoDB)")
    retried: int = Field(description="requests re-sent: throttling, UnprocessedItems, errors, dropped connections")
    seconds: float
    items_per_s: float
    # monitoring of this run (monitor.py); zero for a table an earlier run finished
    capacity: str = Field("", description="where the table's capacity comes from (DescribeTable)")
    capacity_wcu_per_s: float = Field(0.0, description="the table's stated write capacity; 0 = unlimited/unknown")
    consumed_wcu: float = Field(0.0, description="write units the table consumed (ConsumedCapacity)")
    index_wcu: dict[str, float] = Field(default_factory=dict, description="write units each GSI consumed")
    wcu_per_s: float = Field(0.0, description="consumed write units a second of copying")
    capacity_share: float | None = Field(None, description="wcu_per_s / capacity_wcu_per_s")
    consumed_estimated: bool = Field(False, description="some answers did not state their consumed capacity")
    requests: int = 0
    throttled_requests: int = Field(0, description="requests refused whole for throughput (400)")
    throttled: int = Field(0, description="items throttled: UnprocessedItems plus the items of throttled requests")
    throttled_per_write: float = Field(0.0, description="throttled items per item written")
    errors: int = Field(0, description="requests without an answer, 5xx, or a terminal error")
    error_rate: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    final_rate_wcu_per_s: float | None = Field(None, description="the rate controller's pace at the end")
