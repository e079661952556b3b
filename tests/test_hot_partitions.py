"""Hot partitions from measured key skew: the busiest value's share of the traffic times the
key space's peak units, against 3,000 read / 1,000 write units per partition."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mysql2ddb.tools.modeling.design import Design
from mysql2ddb.tools.modeling.hot_partitions import analyze_hot_partitions
from mysql2ddb.tools.modeling.inputs import KeyStats, SchemaFacts, TableFacts
from tests.modeling_support import live_schema_facts

DATA = Path(__file__).parent / "data"


def _design() -> Design:
    return Design.model_validate({
        "tables": [{"name": "Events", "partition_key": {"attribute": "device_id", "type": "N",
                                                        "source_column": "event.device_id"},
                    "sort_key": {"attribute": "ts", "type": "S"},
                    "entities": [{"name": "EVENT", "source_table": "event", "attributes": [
                        {"name": "device_id", "type": "N", "source_table": "event", "source_column": "device_id"},
                        {"name": "ts", "type": "S", "source_table": "event", "source_column": "ts"}]}]}],
        "pattern_mappings": [
            {"pattern_id": "W", "operations": [{"type": "PutItem", "table": "Events"}]},
            {"pattern_id": "R", "operations": [{"type": "Query", "table": "Events", "items": 1,
                                                "key_condition": {"pk_attribute": "device_id", "pk_value": ":d"}}]}]})


def _schema(top_share: float | None, distinct: int | None = 100) -> SchemaFacts:
    stats = [KeyStats(["device_id"], distinct, top_share)] if distinct or top_share else []
    return SchemaFacts({"event": TableFacts("event", rows=1_000_000, columns=["device_id", "ts"],
                                            primary_key=["device_id", "ts"], key_stats=stats)})


SIZES = {"Events": {"avg_bytes": 500, "items": 1_000_000}}


def test_hand_computed_write_hot_key():
    # 4,000 puts/s of 500-byte items = 4,000 write units/s; the top device holds 40% of the rows.
    report = analyze_hot_partitions(_design(), _schema(0.4), [{"id": "W", "rps_peak": 4000, "kind": "write"}], SIZES)
    (load,) = report.keys
    assert load.write_units_peak == 4000
    assert load.hottest_write_units == pytest.approx(1600)
    assert load.write_utilization == pytest.approx(1.6)
    assert load.risk == "hot" and load.basis == "rows"
    assert "write-shard" in load.advice and "(2 shards)" in load.advice  # 1,600 / (1,000 x 0.8)
    assert report.hot == [load]


def test_reads_within_limits_and_watch_band():
    # 10,000 eventual 1-item queries/s = 5,000 read units/s; uniform over 100 devices -> 50 per partition.
    ok = analyze_hot_partitions(_design(), _schema(None, 100), [{"id": "R", "rps_peak": 10_000}], SIZES)
    assert ok.keys[0].basis == "uniform" and ok.keys[0].hottest_read_units == pytest.approx(50)
    assert ok.keys[0].risk == "ok" and ok.at_risk == []
    watch = analyze_hot_partitions(_design(), _schema(0.4), [{"id": "R", "rps_peak": 10_000}], SIZES)
    assert watch.keys[0].read_utilization == pytest.approx(2000 / 3000)
    assert watch.keys[0].risk == "watch"


def test_pattern_value_frequencies_win_over_row_skew():
    pattern = {"id": "R", "rps_peak": 20_000, "value_frequencies": {"device_id": {"7": 900, "8": 100}}}
    report = analyze_hot_partitions(_design(), _schema(0.01), [pattern], SIZES)
    load = report.keys[0]
    assert load.basis == "traffic" and load.top_share == pytest.approx(0.9)
    assert load.hottest_read_units == pytest.approx(10_000 * 0.9)
    assert load.risk == "hot" and "cache" in load.advice


def test_unknown_skew_is_said_not_guessed():
    report = analyze_hot_partitions(_design(), SchemaFacts({"event": TableFacts("event")}),
                                    [{"id": "W", "rps_peak": 10, "kind": "write"}], SIZES)
    assert report.keys[0].risk == "unknown" and "measure" in report.keys[0].advice


def test_sakila_keys_from_live_skew(sakila_dsn):
    facts = live_schema_facts(sakila_dsn)
    design = Design.model_validate_json((DATA / "sakila_design.json").read_text())
    patterns = json.loads((DATA / "sakila_patterns.json").read_text())
    report = analyze_hot_partitions(design, facts, patterns)
    by_name = {k.name: k for k in report.keys}
    # Writes of RENTAL items land on the customer's key: the busiest customer holds 46 of 16,044 rentals.
    assert by_name["CustomerRentals"].top_share == pytest.approx(46 / 16044)
    staff = by_name["Staff"]
    assert staff.distinct == 2 and staff.top_share == pytest.approx(0.5)
    category = by_name["CategoryFilms"]
    assert category.distinct == 16 and category.basis == "rows"
    assert report.at_risk == []
    assert "Actors.ActorsByLastName" in by_name and by_name["Actors.ActorsByLastName"].risk == "unknown"
