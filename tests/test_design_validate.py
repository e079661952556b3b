"""The design validator on the hand-written Sakila design (tests/data/sakila_design.json, the 7
tables of shared/corpora/sakila/README.contract.md) against the live Sakila schema: coverage
computed from key schemas, every column accounted for, and each production warning raised only
when its condition holds."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from mysql2ddb.tools.modeling.design import Design
from mysql2ddb.tools.modeling.validate_design import validate_design
from tests.modeling_support import live_schema_facts

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def facts(sakila_dsn):
    return live_schema_facts(sakila_dsn)


@pytest.fixture
def raw() -> dict:
    return json.loads((DATA / "sakila_design.json").read_text())


@pytest.fixture
def patterns() -> list[dict]:
    return json.loads((DATA / "sakila_patterns.json").read_text())["patterns"]


def _table(raw: dict, name: str) -> dict:
    return next(t for t in raw["tables"] if t["name"] == name)


def _mapping(raw: dict, pid: str) -> dict:
    return next(m for m in raw["pattern_mappings"] if m["pattern_id"] == pid)


def _kinds(result) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for w in result.warnings:
        out.setdefault(w.kind, []).append(w.subject)
    return out


def test_sakila_design_serves_all_nine_patterns_without_scan(facts, raw, patterns):
    result = validate_design(Design.model_validate(raw), facts, patterns)
    assert result.errors == []
    assert [p.pattern_id for p in result.patterns if p.covered] == [f"AP{i}" for i in range(1, 10)]
    assert result.scans == []
    assert result.unmapped_tables == [] and result.unmapped_columns == []
    assert all(c.ok for c in result.principles), result.principles
    assert result.valid
    ap6 = result.coverage("AP6")
    assert [c.type for c in ap6.operations] == ["PutItem", "PutItem", "UpdateItem", "UpdateItem", "ConditionCheck"]
    assert all(c.transactional for c in ap6.operations)
    assert "begins_with(SK, RENTAL#)" in result.coverage("AP4").served_by


@pytest.mark.parametrize("table, gsi, pattern", [("CustomerRentals", "RentalById", "AP7"),
                                                  ("Inventory", "FilmStoreStock", "AP5"),
                                                  ("Actors", "ActorsByLastName", "AP8")])
def test_removing_a_gsi_uncovers_the_pattern_it_served(facts, raw, patterns, table, gsi, pattern):
    _table(raw, table)["gsis"] = [g for g in _table(raw, table)["gsis"] if g["name"] != gsi]
    result = validate_design(Design.model_validate(raw), facts, patterns)
    assert result.uncovered == [pattern]
    problems = [q for c in result.coverage(pattern).operations for q in c.problems]
    assert problems == [f"{table} has no GSI {gsi}"]
    assert not result.valid
    request = next(e for e in result.enhancements if e.code == "REQUEST_MISSING_PATTERN_MAPPING")
    assert request.subjects == [pattern]


def test_scan_served_pattern_is_flagged(facts, raw, patterns):
    _mapping(raw, "AP8")["operations"] = [{"type": "Scan", "table": "Actors", "filter": "begins_with(last_name, :p)"}]
    result = validate_design(Design.model_validate(raw), facts, patterns)
    cov = result.coverage("AP8")
    assert cov.scan and cov.hot and cov.covered
    assert result.scans == ["AP8"]
    assert not next(c for c in result.principles if c.name == "no Scan on a hot path").ok
    assert next(e for e in result.enhancements if e.code == "REQUEST_SCAN_REPLACEMENT").subjects == ["AP8"]
    assert not result.valid
    # A rarely run pattern may scan: still flagged, no longer a hot path.
    next(p for p in patterns if p["id"] == "AP8").update(rps_peak=0.2, rps_average=0.05)
    rare = validate_design(Design.model_validate(raw), facts, patterns)
    assert rare.scans == ["AP8"] and not rare.coverage("AP8").hot and rare.valid


def test_key_conditions_are_checked_against_the_key_schema(facts, raw, patterns):
    _mapping(raw, "AP2")["operations"][0]["key_condition"] = {"pk_attribute": "film_id", "pk_value": ":f"}
    _mapping(raw, "AP4")["operations"][0]["key_condition"].update(sk_attribute="rental_date")
    _mapping(raw, "AP3")["operations"][0]["key_condition"] = {"pk_attribute": "PK", "pk_value": "CUSTOMER#{customer_id}"}
    _mapping(raw, "AP1")["operations"][0]["index"] = "Nope"
    result = validate_design(Design.model_validate(raw), facts, patterns)
    assert result.uncovered == ["AP1", "AP2", "AP3", "AP4"]

    def problems(pid):
        return [q for c in result.coverage(pid).operations for q in c.problems]

    assert problems("AP2") == ["Query on CategoryFilms gives film_id but its partition key is category"]
    assert problems("AP4") == ["sort-key condition on rental_date, but the sort key of CustomerRentals is SK"]
    assert problems("AP3")[0].startswith("GetItem needs SK = :value too")
    assert problems("AP1") == ["Films has no GSI Nope"]


def test_missing_mapping_asks_for_it(facts, raw, patterns):
    raw["pattern_mappings"] = [m for m in raw["pattern_mappings"] if m["pattern_id"] not in ("AP3", "AP9")]
    result = validate_design(Design.model_validate(raw), facts, patterns)
    assert result.uncovered == ["AP3", "AP9"]
    assert result.coverage("AP9").problems == ["no operation serves this pattern"]
    codes = {e.code: e.subjects for e in result.enhancements}
    assert codes["REQUEST_MISSING_PATTERN_MAPPING"] == ["AP3", "AP9"]
    # Item sizes were not measured: the cost detail is asked for too.
    assert "Staff" in codes["REQUEST_DETAILED_COST_BREAKDOWN"]


def test_every_table_and_column_is_mapped_or_dropped(facts, raw, patterns):
    raw["dropped"] = [d for d in raw["dropped"] if d["source_table"] not in ("store", "staff")]
    result = validate_design(Design.model_validate(raw), facts, patterns)
    assert result.unmapped_tables == ["store"]
    assert result.unmapped_columns == ["staff.password"]
    assert not result.valid
    assert next(e for e in result.enhancements if e.code == "REQUEST_ENTITY_MAPPING").subjects == \
        ["store", "staff.password"]


def test_measured_item_over_400_kb_is_refused(facts, raw, patterns):
    sizes = {"Staff": {"avg_bytes": 40_000, "max_bytes": 420_000, "items": 2}}
    result = validate_design(Design.model_validate(raw), facts, patterns, item_sizes=sizes)
    staff = next(s for s in result.item_sizes if s.table == "Staff")
    assert not staff.ok and staff.source == "measured" and "400 KB" in staff.detail
    assert not result.valid


def test_structural_errors_carry_json_pointers(facts, raw, patterns):
    inventory = _table(raw, "Inventory")
    inventory["gsis"][0]["partition_key"]["attribute"] = "no_such_attr"
    inventory["gsis"][0]["projected_attributes"] = []
    customer = _table(raw, "CustomerRentals")["entities"][0]
    customer["pk_template"] = "CUSTOMER#{cust}"
    _table(raw, "Films")["entities"][0]["attributes"][1]["source_column"] = "titel"
    result = validate_design(Design.model_validate(raw), facts, patterns)
    paths = {e.path: e.message for e in result.errors}
    assert "/tables/3/gsis/0/partition_key/attribute" in paths
    assert "/tables/3/gsis/0/projected_attributes" in paths
    assert "/tables/2/entities/0/pk_template" in paths
    assert paths["/tables/0/entities/0/attributes/1"] == "attribute title reads film.titel, which does not exist"
    assert not result.valid


def test_projection_and_consistency_are_checked(facts, raw, patterns):
    _table(raw, "Inventory")["gsis"][0].update(projection="KEYS_ONLY", projected_attributes=[])
    next(p for p in patterns if p["id"] == "AP1")["consistency"] = "STRONG"
    result = validate_design(Design.model_validate(raw), facts, patterns)
    assert result.uncovered == ["AP1", "AP5"]
    ap5 = [q for c in result.coverage("AP5").operations for q in c.problems]
    assert ap5[0].startswith("FilmStoreStock projects KEYS_ONLY and lacks held_by")
    assert next(e for e in result.enhancements if e.code == "REQUEST_PROJECTION_FIX").subjects == ["AP5"]
    _mapping(raw, "AP1")["operations"][0]["consistent_read"] = True
    _table(raw, "Inventory")["gsis"][0].update(projection="INCLUDE", projected_attributes=["held_by"])
    assert validate_design(Design.model_validate(raw), facts, patterns).uncovered == []


def test_warnings_for_sakila_hold_for_their_reasons(facts, raw, patterns):
    result = validate_design(Design.model_validate(raw), facts, patterns)
    kinds = _kinds(result)
    # Payments is written (AP6) and never read: its GSI gets every write.
    assert kinds["gsi_throttling_cascade"] == ["Payments.PaymentsByCustomer"]
    # held_by and total_paid are copies that AP6/AP7 change; CategoryFilms' film copies are never written.
    assert sorted(kinds["schema_evolution_trap"]) == ["CustomerRentals.total_paid", "Inventory.held_by"]
    assert kinds["debugging_complexity"] == ["CustomerRentals"]
    assert "entity_boundary_violation" not in kinds  # customer and rental are FK-related
    assert "hot_partition_risk" not in kinds  # no key's busiest value comes near a partition's limit
    reason = next(w.reason for w in result.warnings if w.subject == "Inventory.held_by")
    assert "AP7 (rental.return_date)" in reason and "AP6 sets it" in reason


def test_warnings_appear_only_when_their_condition_holds(facts, raw, patterns):
    # Read-only workload: no write reaches any index or copy.
    reads = [p for p in patterns if p["kind"] == "read"]
    quiet = validate_design(Design.model_validate(raw), facts, reads)
    assert set(_kinds(quiet)) == {"debugging_complexity"}
    # An actor-renaming workload reaches ActorsByLastName (projection ALL).
    renames = copy.deepcopy(raw)
    renames["pattern_mappings"].append({"pattern_id": "AP10", "operations": [
        {"type": "UpdateItem", "table": "Actors", "key_condition": {"pk_attribute": "actor_id", "pk_value": ":a"},
         "update": "SET first_name = :f"}]})
    more = reads + [{"id": "AP10", "description": "rename actor", "rps_average": 1, "rps_peak": 2, "kind": "write",
                     "tables": ["actor"], "sql_example": "UPDATE actor SET first_name = ? WHERE actor_id = ?"}]
    kinds = _kinds(validate_design(Design.model_validate(renames), facts, more))
    assert kinds["gsi_throttling_cascade"] == ["Actors.ActorsByLastName"]
    # A table mixing actors and categories (no foreign key between them).
    mixed = copy.deepcopy(raw)
    actor = _table(mixed, "Actors")
    actor.update(type="multi-entity", partition_key={"attribute": "PK", "type": "S"},
                 sort_key={"attribute": "SK", "type": "S"}, gsis=[])
    actor["entities"][0].update(pk_template="ACTOR#{actor_id}", sk_template="ACTOR")
    actor["entities"].append({"name": "CATEGORY", "source_table": "category", "pk_template": "CATEGORY#{category_id}",
                              "sk_template": "CATEGORY", "attributes": [
                                  {"name": "category_id", "type": "N", "source_table": "category",
                                   "source_column": "category_id"}]})
    result = validate_design(Design.model_validate(mixed), facts, reads)
    assert _kinds(result)["entity_boundary_violation"] == ["Actors"]
    assert not next(c for c in result.principles if c.name == "multi-table first").ok


def test_hot_key_from_measured_traffic_share(facts, raw, patterns):
    ap1 = next(p for p in patterns if p["id"] == "AP1")
    ap1.update(rps_peak=20_000, rps_average=5_000, value_frequencies={"film_id": 0.4})
    result = validate_design(Design.model_validate(raw), facts, patterns)
    hot = [w for w in result.warnings if w.kind == "hot_partition_risk"]
    assert [w.subject for w in hot] == ["Films (film_id)"]
    assert "40.0% of the traffic (traffic)" in hot[0].reason and "cache" in hot[0].reason
    assert next(e for e in result.enhancements if e.code == "REQUEST_HOT_PARTITION_MITIGATION").subjects == ["Films"]


def test_schema_json_shape_is_accepted(facts, raw, patterns):
    as_json = {"tables": [{"name": t.name, "rows": t.rows, "columns": [{"name": c, "type": "x", "nullable": True}
                                                                         for c in t.columns],
                           "primary_key": t.primary_key,
                           "foreign_keys": [{"columns": f.columns, "ref_table": f.ref_table,
                                             "ref_columns": f.ref_columns} for f in t.foreign_keys]}
                          for t in facts.tables.values()]}
    result = validate_design(Design.model_validate(raw), as_json, patterns)
    assert result.valid and result.unmapped_columns == []


def test_design_model_refuses_unknown_fields(raw):
    raw["tables"][0]["partition_key"]["atribute"] = "film_id"
    with pytest.raises(ValidationError) as info:
        Design.model_validate(raw)
    assert info.value.errors()[0]["loc"][:3] == ("tables", 0, "partition_key")
