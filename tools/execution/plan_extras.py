"""What the copy plan prices beside the writes: verification's reads, and DynamoDB import from S3,
the alternative for new tables.

Verification (verify.py) reads every table back once with an eventually consistent Scan. A Scan
is billed on the size of the items it reads, summed per page and rounded up to 4 KB: one read
request unit per 4 KB strongly consistent, half of one eventually consistent. The source side is
MySQL and costs nothing in DynamoDB. Only when the first pass finds a difference is the table read
again, strongly consistent (twice the units): the plan prices the pass every run makes.

Import from S3 (tools/glue/s3_import.py, `mysql2ddb import-s3`) is billed per GB of uncompressed
source data in S3 (the DynamoDB JSON the converter writes, measured by the plan item by item)
instead of per write, and consumes no write capacity; but ImportTable only creates new tables, and
a table is unusable until its import ends.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

from mysql2ddb.tools.core.pricing import Prices

READ_UNIT_BYTES = 4096
EVENTUAL = 0.5  # an eventually consistent read costs half a read unit per 4 KB
GB = 1024 ** 3


def money(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


def scan_read_units(item_bytes: int) -> float:
    """Read request units of one eventually consistent Scan over items of `item_bytes` in total."""
    return math.ceil(item_bytes / READ_UNIT_BYTES) * EVENTUAL


def read_cost(read_units: float, prices: Prices) -> float:
    return read_units * prices.on_demand.read_request_unit_per_million / 1_000_000


class S3ImportOption(BaseModel):
    """DynamoDB import from S3 for the planned tables, next to the copy's write cost."""

    source_bytes: int = Field(description="uncompressed DynamoDB JSON the import would read (what ImportTable bills)")
    cost_usd: float = Field(description="import price: per GB of uncompressed source data")
    write_cost_usd: float = Field(description="the copy's on-demand write cost, for comparison")
    price_per_gb: float
    trade_offs: list[str]


def s3_import_option(source_bytes: int, write_cost_usd: float, prices: Prices) -> S3ImportOption:
    cost = source_bytes / GB * prices.import_from_s3_per_gb
    return S3ImportOption(
        source_bytes=source_bytes, cost_usd=cost, write_cost_usd=write_cost_usd,
        price_per_gb=prices.import_from_s3_per_gb,
        trade_offs=[
            f"priced per GB of uncompressed source data ({money(prices.import_from_s3_per_gb)}/GB), not per write",
            "consumes no write capacity: nothing is throttled, however hot a partition key",
            "creates NEW tables only: it cannot load into a table that exists",
            "each table is unusable (no reads, no writes) until its import ends",
        ])


def extra_lines(verify_read_units: float, verify_cost_usd: float, option: S3ImportOption | None) -> list[str]:
    """The plan summary's paragraphs on verification's reads and on import from S3 (none without tables)."""
    if option is None:
        return []
    lines = [
        f"Verification reads every table back once with an eventually consistent Scan: about "
        f"{verify_read_units:,.0f} read units, {money(verify_cost_usd)} on demand (4 KB of items per unit, halved "
        f"for eventual consistency); the MySQL side costs nothing in DynamoDB. A table that differs is read once "
        f"more with strongly consistent reads (twice the units)."
    ]
    lines.append(
        f"Alternative for new tables: DynamoDB import from S3 (`mysql2ddb import-s3`, MCP `import_from_s3`): "
        f"about {money(option.cost_usd)} for {option.source_bytes / GB:,.3f} GB of DynamoDB JSON instead of "
        f"{money(option.write_cost_usd)} of writes; " + "; ".join(option.trade_offs) + ".")
    return lines


def table_extras(item_bytes: int, json_bytes: int, prices: Prices) -> dict:
    """A table plan's verification reads and import size, from its measured (scaled) bytes."""
    units = scan_read_units(item_bytes)
    return {"verify_read_units": units, "verify_cost_usd": read_cost(units, prices), "import_bytes": json_bytes}


def plan_extras(plans: list, prices: Prices) -> dict:
    """The copy plan's totals of the above (`plans`: its TablePlans)."""
    if not plans:
        return {}
    return {"read_price_per_million": prices.on_demand.read_request_unit_per_million,
            "verify_read_units": sum(p.verify_read_units for p in plans),
            "verify_cost_usd": sum(p.verify_cost_usd for p in plans),
            "import_from_s3": s3_import_option(sum(p.import_bytes for p in plans), sum(p.cost_usd for p in plans),
                                               prices)}
