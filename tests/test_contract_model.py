"""The contract model accepts what the reference schema accepts and writes what it accepts."""

from __future__ import annotations

import copy
import json

import pytest

from mysql2ddb.tools.core.errors import ContractError
from mysql2ddb.tools.contract.load import load_contract, parse_contract, schema_errors


@pytest.fixture(scope="module")
def sakila_contract_data(sakila_dir):
    return json.loads((sakila_dir / "contract.json").read_text())


def test_sakila_contract_round_trips_under_the_reference_schema(sakila_dir):
    contract = load_contract(sakila_dir / "contract.json")
    assert [t.table for t in contract.tables] == [
        "Films", "CategoryFilms", "CustomerRentals", "Inventory", "Payments", "Actors", "Staff"]
    assert schema_errors(contract.dump()) == []
    again = parse_contract(contract.dump())
    assert again.dump() == contract.dump()


def test_multi_entity_view_columns_follow_first_appearance(sakila_dir):
    table = load_contract(sakila_dir / "contract.json").table("CustomerRentals")
    names = table.attribute_names()
    assert names[:3] == ["PK", "SK", "customer_id"]
    assert names.index("rental_id") > names.index("total_paid")
    assert len(names) == len(set(names))


def test_every_shape_problem_is_reported_with_its_path(sakila_contract_data):
    data = copy.deepcopy(sakila_contract_data)
    del data["tables"][0]["pk"]
    data["tables"][1]["attributes"][0]["type"] = "STRING"
    data["tables"][3]["gsis"][0]["projection"] = "SOME"
    with pytest.raises(ContractError) as info:
        parse_contract(data)
    paths = {e["path"] for e in info.value.details["errors"]}
    assert {"/tables/0", "/tables/1/attributes/0/type", "/tables/3/gsis/0/projection"} <= paths


def test_extra_fields_allowed_by_the_reference_schema_are_kept(sakila_contract_data):
    data = copy.deepcopy(sakila_contract_data)
    data["tables"][0]["owner_team"] = "catalog"
    contract = parse_contract(data)
    assert contract.dump()["tables"][0]["owner_team"] == "catalog"
