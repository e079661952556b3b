"""Cost math, property-tested against hand-computed cases: 4 KB read / 1 KB write units rounded
up per item, eventual reads half of strong, transactions double, GSI writes by projection,
storage with the 100-byte item overhead; monthly totals monotonic in rate and item size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mysql2ddb.tools.modeling.cost import (
    GIB, estimate_cost, query_read_units, read_units, write_units,
)
from mysql2ddb.tools.modeling.design import Design
from mysql2ddb.tools.core.pricing import load_prices

PRICES = load_prices()
MONTH_S = PRICES.hours_per_month * 3600
sizes = st.integers(min_value=0, max_value=400 * 1024)


def test_unit_boundaries_by_hand():
    assert read_units(1, consistent=True) == 1
    assert read_units(4096, consistent=True) == 1
    assert read_units(4097, consistent=True) == 2
    assert read_units(4097) == 1.0  # eventual: half
    assert read_units(4097, consistent=True, transactional=True) == 4
    assert write_units(0) == 1
    assert write_units(1024) == 1
    assert write_units(1025) == 2
    assert write_units(1025, transactional=True) == 4
    assert query_read_units(10, 500, consistent=True) == 2  # 5,000 bytes summed, then rounded once
    assert query_read_units(10, 500) == 1.0


@given(sizes, sizes)
def test_units_monotonic_in_size(a, b):
    lo, hi = sorted((a, b))
    assert read_units(lo, consistent=True) <= read_units(hi, consistent=True)
    assert write_units(lo) <= write_units(hi)


@given(sizes)
def test_eventual_is_half_of_strong_and_transactions_double(size):
    assert read_units(size) == read_units(size, consistent=True) / 2
    assert read_units(size, consistent=True, transactional=True) == 2 * read_units(size, consistent=True)
    assert write_units(size, transactional=True) == 2 * write_units(size)
    assert write_units(size) == -(-max(size, 1) // 1024)


@given(st.integers(min_value=1, max_value=400 * 1024))
def test_one_kb_boundary(kb_bytes):
    k = -(-kb_bytes // 1024)
    assert write_units(k * 1024) == k and write_units(k * 1024 + 1) == k + 1


def _design(projection: str = "KEYS_ONLY", transactional: bool = False, consistent: bool = False) -> Design:
    put = {"type": "PutItem", "table": "T", "key_condition": {"pk_attribute": "id", "pk_value": ":id"}}
    return Design.model_validate({
        "tables": [{"name": "T", "partition_key": {"attribute": "id", "type": "N"},
                    "gsis": [{"name": "G", "partition_key": {"attribute": "g", "type": "S"}, "projection": projection}],
                    "entities": [{"name": "T", "source_table": "t", "attributes": [
                        {"name": "id", "type": "N", "source_table": "t", "source_column": "id"},
                        {"name": "g", "type": "S", "source_table": "t", "source_column": "g"}]}]}],
        "pattern_mappings": [
            {"pattern_id": "R", "operations": [{"type": "GetItem", "table": "T", "consistent_read": consistent,
                                                "key_condition": {"pk_attribute": "id", "pk_value": ":id"}}]},
            {"pattern_id": "W", "operations": [{"type": "TransactWriteItems", "actions": [put]} if transactional
                                               else put]}]})


def _patterns(read_rps: float = 10, write_rps: float = 1) -> list[dict]:
    return [{"id": "R", "rps_average": read_rps, "rps_peak": read_rps, "kind": "read"},
            {"id": "W", "rps_average": write_rps, "rps_peak": write_rps, "kind": "write"}]


def _sizes(avg: float = 5000, items: int = 1000) -> dict:
    return {"T": {"avg_bytes": avg, "max_bytes": avg, "items": items}}


def test_hand_computed_month():
    report = estimate_cost(_design(), _patterns(), item_sizes=_sizes(), target_utilization=1.0)
    base = report.for_table("T")[0]
    gsi = report.for_table("T")[1]
    # R: 5,000 bytes -> 2 strong units, eventual 1; 10/s -> 10 units/s.
    assert base.read_units_avg == 10
    assert base.on_demand_read_usd == pytest.approx(10 * MONTH_S / 1e6 * PRICES.on_demand.read_request_unit_per_million)
    # W: 5,000 bytes -> 5 write units; KEYS_ONLY copy (two short keys) -> 1 unit on G.
    assert base.write_units_avg == 5 and gsi.write_units_avg == 1
    assert base.on_demand_write_usd == pytest.approx(5 * MONTH_S / 1e6 * PRICES.on_demand.write_request_unit_per_million)
    assert (base.provisioned_rcu, base.provisioned_wcu, gsi.provisioned_wcu) == (10, 5, 1)
    assert base.provisioned_usd == pytest.approx(
        PRICES.hours_per_month * (10 * PRICES.provisioned.rcu_hour + 5 * PRICES.provisioned.wcu_hour))
    assert base.storage_usd == pytest.approx(1000 * (5000 + 100) / GIB * PRICES.storage_gb_month)
    w = next(p for p in report.patterns if p.pattern_id == "W")
    assert (w.write_units_per_call, w.gsi_write_units_per_call) == (5, 1)
    assert report.on_demand_usd == pytest.approx(sum(c.on_demand_usd + c.storage_usd for c in report.capacity))


def test_transactions_double_and_strong_reads_double():
    plain = estimate_cost(_design(), _patterns(), item_sizes=_sizes())
    strong = estimate_cost(_design(transactional=True, consistent=True), _patterns(), item_sizes=_sizes())
    assert strong.for_table("T")[0].read_units_avg == 2 * plain.for_table("T")[0].read_units_avg
    assert strong.for_table("T")[0].write_units_avg == 2 * plain.for_table("T")[0].write_units_avg
    # The index copy is not a transactional write.
    assert strong.for_table("T")[1].write_units_avg == plain.for_table("T")[1].write_units_avg


def test_unpriced_patterns_are_named_not_invented():
    report = estimate_cost(_design(), [{"id": "R", "kind": "read"}, {"id": "W", "kind": "write", "rps_average": 1}],
                           item_sizes=_sizes())
    assert report.unpriced_patterns == ["R"]
    assert report.for_table("T")[0].read_units_avg == 0


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 5000), st.floats(0, 5000), st.integers(1, 300_000), st.integers(1, 300_000))
def test_monthly_cost_monotonic_in_rps_and_size(r1, r2, s1, s2):
    lo_r, hi_r = sorted((r1, r2))
    lo_s, hi_s = sorted((s1, s2))
    low = estimate_cost(_design(), _patterns(lo_r, lo_r / 10), item_sizes=_sizes(lo_s))
    high = estimate_cost(_design(), _patterns(hi_r, hi_r / 10), item_sizes=_sizes(hi_s))
    assert low.on_demand_usd <= high.on_demand_usd + 1e-9
    assert low.provisioned_usd <= high.provisioned_usd + 1e-9


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 300_000), st.floats(0.01, 5000))
def test_all_projection_costs_at_least_keys_only(size, rps):
    costs = {p: estimate_cost(_design(p), _patterns(rps, rps), item_sizes=_sizes(size))
             for p in ("KEYS_ONLY", "ALL")}
    assert costs["ALL"].on_demand_usd >= costs["KEYS_ONLY"].on_demand_usd
    assert costs["ALL"].for_table("T")[1].storage_usd >= costs["KEYS_ONLY"].for_table("T")[1].storage_usd


def test_sakila_cost_sums_per_table():
    data = Path(__file__).parent / "data"
    design = Design.model_validate_json((data / "sakila_design.json").read_text())
    patterns = json.loads((data / "sakila_patterns.json").read_text())
    measured = {t.name: {"avg_bytes": t.estimated_item_size_bytes, "items": 1000} for t in design.tables}
    report = estimate_cost(design, patterns, item_sizes=measured)
    assert report.unpriced_patterns == [] and report.unmeasured_tables == []
    assert {c.name for c in report.capacity} >= {"Films", "CustomerRentals.RentalById", "Inventory.FilmStoreStock"}
    ap6 = next(p for p in report.patterns if p.pattern_id == "AP6")
    # Two puts and two updates doubled by the transaction; Staff's ConditionCheck is a read.
    assert ap6.write_units_per_call == 2 * (1 + 1 + 1 + 1)
    assert ap6.read_units_per_call == 2 * 10  # a 37,000-byte Staff item: 10 strong read units, doubled
    assert report.summary().startswith("Monthly cost: $")
