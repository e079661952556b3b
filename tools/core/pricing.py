"""DynamoDB prices, from one data file with its region and date (tools/core/prices_dynamodb.json),
overridable with MYSQL2DDB_PRICES_FILE / --prices. The design cost and the copy plan both read
prices only through here."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from mysql2ddb.tools.core.errors import ConfigError

DEFAULT_PRICES = Path(__file__).with_name("prices_dynamodb.json")


class OnDemandPrices(BaseModel):
    write_request_unit_per_million: float
    read_request_unit_per_million: float


class ProvisionedPrices(BaseModel):
    wcu_hour: float
    rcu_hour: float


class WarmThroughputPrices(BaseModel):
    write_unit_per_second_increment: float = 0.0
    note: str = ""


class Prices(BaseModel):
    source: str
    region: str
    date: str
    currency: str = "USD"
    on_demand: OnDemandPrices
    provisioned: ProvisionedPrices
    storage_gb_month: float
    item_overhead_bytes: int = 100
    warm_throughput: WarmThroughputPrices = WarmThroughputPrices()
    import_from_s3_per_gb: float = 0.15
    hours_per_month: float = 730


def load_prices(path: Path | str | None = None) -> Prices:
    path = Path(path) if path else DEFAULT_PRICES
    try:
        return Prices.model_validate(json.loads(path.read_text()))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read the price sheet: {exc}",
            where=str(path),
            remedy="point MYSQL2DDB_PRICES_FILE at a JSON file shaped like tools/core/prices_dynamodb.json",
        ) from None
