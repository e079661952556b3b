"""dynamodb_data_model.md for the Sakila design, snapshot-tested (UPDATE_SNAPSHOTS=1 rewrites),
and the alternatives priced by the cost model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mysql2ddb.tools.modeling.alternatives import design_alternatives
from mysql2ddb.tools.modeling.cost import estimate_cost
from mysql2ddb.tools.modeling.design import Design
from mysql2ddb.tools.modeling.render_model import analyze_design, render_data_model
from tests.modeling_support import live_schema_facts
from tests.snapshot import assert_snapshot

DATA = Path(__file__).parent / "data"
# Measured sizes are the caller's: fixed here so the document does not follow InnoDB's estimates.
SIZES = {
    "Films": {"avg_bytes": 640, "max_bytes": 1310, "attribute_bytes": {"actors": 330}},
    "CategoryFilms": {"avg_bytes": 84, "max_bytes": 112},
    "CustomerRentals": {"avg_bytes": 190, "max_bytes": 560},
    "Inventory": {"avg_bytes": 52, "max_bytes": 64},
    "Payments": {"avg_bytes": 110, "max_bytes": 118},
    "Actors": {"avg_bytes": 88, "max_bytes": 101},
    "Staff": {"avg_bytes": 18_500, "max_bytes": 36_600},
}


@pytest.fixture(scope="module")
def facts(sakila_dsn):
    return live_schema_facts(sakila_dsn)


@pytest.fixture(scope="module")
def design() -> Design:
    return Design.model_validate_json((DATA / "sakila_design.json").read_text())


@pytest.fixture(scope="module")
def patterns() -> list[dict]:
    return json.loads((DATA / "sakila_patterns.json").read_text())["patterns"]


def test_sakila_data_model_snapshot(facts, design, patterns):
    analysis = analyze_design(design, facts, patterns, SIZES)
    text = render_data_model(design, analysis, patterns)
    for heading in ("## Design philosophy", "## Table designs", "## Access pattern mapping", "## Cost estimates",
                    "## Hot partition analysis", "## Alternatives and trade-offs", "## Production warnings"):
        assert heading in text
    assert "| partition key | PK | S | CUSTOMER: `CUSTOMER#{customer_id}`; RENTAL: `CUSTOMER#{customer_id}` |" in text
    assert "  - **ConditionCheck** Staff, key `staff_id = :staff_id`" in text
    assert_snapshot("dynamodb_data_model.md", text)


def test_render_is_stable(facts, design, patterns):
    one = render_data_model(design, analyze_design(design, facts, patterns, SIZES), patterns)
    two = render_data_model(design, analyze_design(design, facts, patterns, SIZES), patterns)
    assert one == two


def test_alternatives_are_priced_by_the_cost_model(facts, design, patterns):
    report = design_alternatives(design, patterns, facts, SIZES)
    base = estimate_cost(design, patterns, facts, SIZES)
    assert report.on_demand_usd == pytest.approx(base.on_demand_usd)
    by_id = {a.id: a for a in report.alternatives}
    dims = {a.dimension for a in report.alternatives}
    assert dims == {"performance_vs_cost", "complexity_vs_flexibility", "consistency_vs_availability"}
    assert by_id["capacity-mode"].alternative_usd == pytest.approx(base.provisioned_usd)
    # Strong reads double the eventual base-table reads (AP1-AP4, AP9: one such read each and nothing
    # else); GSI queries stay eventual and the Staff check is strong already.
    eventual_reads = sum(p.on_demand_usd for p in base.patterns if p.pattern_id in {"AP1", "AP2", "AP3", "AP4", "AP9"})
    assert by_id["strong-reads"].delta_usd == pytest.approx(eventual_reads, rel=1e-6)
    # A KEYS_ONLY FilmStoreStock no longer carries held_by: AP5 must read the copies back.
    assert "keys-only:Inventory.FilmStoreStock" in by_id
    # A duplicate table costs at least the index it replaces (every write is doubled by the app).
    assert by_id["duplicate-table:Inventory.FilmStoreStock"].delta_usd > 0
    sep = by_id["separate-items:Films.actors"]
    assert sep.assumptions[0].startswith("up to 20 child items")  # measured attribute bytes: no size guess
