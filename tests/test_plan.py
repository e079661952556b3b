"""The copy plan: write units, cost, duration and the warm-throughput option, first on items built
by hand (the arithmetic), then measured from the Sakila views (read-only: the plan runs each view's
SELECT as a derived table and creates nothing)."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest

from mysql2ddb.tools.contract.model import ContractTable
from mysql2ddb.tools.execution.plan import Measure, PlanOptions, assemble, plan_table
from mysql2ddb.tools.core.pricing import load_prices

PRICES = load_prices()


class Refused(Exception):
    pass


def size_of(item: dict) -> int:
    """Name bytes + value bytes: enough for the arithmetic under test (the real rules are convert.item_size's)."""
    return sum(len(k) + len(next(iter(v.values()))) for k, v in item.items())


def table(gsis=None) -> ContractTable:
    return ContractTable.model_validate({
        "table": "Orders", "type": "single-entity", "source_table": "orders", "pk": "customer", "sk": "id",
        "gsis": gsis or [], "satisfies": [], "estimated_item_size_bytes": 100,
        "attributes": [{"name": n, "type": "S", "source_table": "orders", "source_column": n}
                       for n in ("customer", "id", "status", "body")],
    })


def convert(row):
    customer, oid, status, body = row
    if oid is None:
        raise Refused("NULL key")
    item = {"customer": {"S": customer}, "id": {"S": oid}, "body": {"S": body}}
    if status is not None:
        item["status"] = {"S": status}
    return item


def measured(t: ContractTable, rows) -> Measure:
    m = Measure(t, convert, size_of, Refused)
    for row in rows:
        m.add(row)
    return m


def test_write_units_round_each_item_up_to_a_kilobyte_and_gsis_count_their_projection():
    t = table(gsis=[{"index_name": "ByStatus", "pk": "status", "projection": "KEYS_ONLY"},
                    {"index_name": "All", "pk": "id", "projection": "ALL"}])
    rows = [("c1", "1", "open", "x" * 100), ("c1", "2", None, "x" * 1500), ("c2", "3", "done", "x" * 3000),
            ("c3", None, "open", "x")]
    m = measured(t, rows)
    plan = plan_table(t, source_rows=4, m=m, fraction=None, prices=PRICES, options=PlanOptions())
    sizes = [size_of(convert(r)) for r in rows[:3]]
    assert plan.items == 4 and plan.rejected == 1 and plan.measured == "all"
    assert plan.max_item_bytes == max(sizes)
    assert plan.avg_item_bytes == pytest.approx(sum(sizes) / 3, abs=0.1)
    assert plan.write_units == sum(math.ceil(s / 1024) for s in sizes) == 1 + 2 + 3
    # KEYS_ONLY: only the two items with a status, each keys-only (< 1 KB); ALL: the full item
    assert plan.gsi_write_units == 2 + (1 + 2 + 3)
    expected = Decimal(plan.write_units + plan.gsi_write_units) * Decimal("0.625") / Decimal(1_000_000)
    assert Decimal(str(plan.cost_usd)) == pytest.approx(expected)
    assert plan.hottest_key == "c1" and plan.hottest_key_write_units == 3


def test_duration_is_bound_by_the_table_rate_or_the_busiest_partition_key():
    t = table()
    spread = measured(t, [(f"c{i}", str(i), None, "x") for i in range(8000)])
    plan = plan_table(t, 8000, spread, None, PRICES, PlanOptions())
    assert plan.duration_seconds == pytest.approx(8000 / 4000)
    assert plan.bound_by == "table 4,000/s"
    hot = measured(t, [("same", str(i), None, "x") for i in range(8000)])
    plan = plan_table(t, 8000, hot, None, PRICES, PlanOptions())
    assert plan.duration_seconds == pytest.approx(8000 / 1000)
    assert plan.bound_by == "key 'same' 1,000/s"


def test_a_sample_is_scaled_to_the_source_count_and_says_so():
    t = table()
    m = measured(t, [(f"c{i}", str(i), None, "x" * 2000) for i in range(100)])
    plan = plan_table(t, source_rows=10_000, m=m, fraction=0.01, prices=PRICES, options=PlanOptions())
    assert plan.measured == "sample" and plan.measured_rows == 100 and plan.items == 10_000
    assert plan.write_units == 10_000 * 2


def test_large_tables_get_a_warm_throughput_option_with_its_cost():
    t = table(gsis=[{"index_name": "ByStatus", "pk": "status", "projection": "KEYS_ONLY"}])
    m = measured(t, [(f"c{i}", str(i), "s", "x" * 10) for i in range(1000)])
    big = 10_000_000
    prices = PRICES.model_copy(update={"warm_throughput": PRICES.warm_throughput.model_copy(
        update={"write_unit_per_second_increment": 0.001})})
    plan = plan_table(t, big, m, 1000 / big, prices, PlanOptions())
    assert plan.duration_seconds == pytest.approx(big / 4000)
    warm = plan.warm
    assert warm is not None and warm.priced
    assert warm.write_units_per_second == math.ceil(big / 300)
    assert warm.duration_seconds < plan.duration_seconds
    assert warm.cost_usd == pytest.approx((warm.write_units_per_second - 4000) * 0.001 * 2)
    assert warm.create_table["WarmThroughput"] == {"WriteUnitsPerSecond": warm.write_units_per_second}
    assert warm.create_table["GlobalSecondaryIndexes"][0]["IndexName"] == "ByStatus"
    small = plan_table(t, 1000, m, None, prices, PlanOptions())
    assert small.warm is None


def test_plan_names_the_slowest_table_and_totals():
    t = table()
    fast = plan_table(t, 10, measured(t, [(f"c{i}", str(i), None, "x") for i in range(10)]), None, PRICES, PlanOptions())
    slow_t = table().model_copy(update={"table": "Big"})
    slow = plan_table(slow_t, 9000, measured(slow_t, [(f"c{i}", str(i), None, "x") for i in range(9000)]),
                      None, PRICES, PlanOptions())
    plan = assemble([fast, slow], PRICES)
    assert plan.slowest_table == "Big"
    assert plan.total_items == 9010
    assert plan.duration_seconds == slow.duration_seconds
    assert "Slowest table: Big" in plan.summary()
    data = json.loads(plan.model_dump_json(by_alias=True))
    assert [t["table"] for t in data["tables"]] == ["Orders", "Big"]
    assert plan.tables()[0].rows[-1][0] == "total"
