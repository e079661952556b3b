"""design_to_contract: mechanical, valid under the reference schema and against the live database,
and refusing what a contract cannot express, with the path to fix."""

from __future__ import annotations

import json

import pytest

from mysql2ddb.tools.core.errors import DesignError
from mysql2ddb.tools.contract.load import schema_errors
from mysql2ddb.tools.contract.validate import validate_contract
from mysql2ddb.tools.modeling.design import Design, KeyDef
from mysql2ddb.tools.modeling.to_contract import design_to_contract
from tests.recommend_support import DATA, schema_for


@pytest.fixture
def design() -> Design:
    return Design.model_validate(json.loads((DATA / "sakila_design.json").read_text()))


async def test_shared_design_gives_the_shared_contract_layout(design, sakila_dsn, sakila_dir):
    contract = design_to_contract(design, schema_for(sakila_dsn))
    data = contract.dump()
    assert schema_errors(data) == []
    outcome = await validate_contract(data, sakila_dsn)
    assert outcome.valid, [(e.path, e.message) for e in outcome.errors]
    shared = json.loads((sakila_dir / "contract.json").read_text())
    layout = lambda c: [(t["table"], t["type"], t["source_table"], t["pk"], t.get("sk"), t["satisfies"],  # noqa: E731
                         [(g["index_name"], g["pk"], g.get("sk"), g["projection"]) for g in t.get("gsis") or []])
                        for t in c["tables"]]
    assert layout(data) == layout(shared)
    for ours, theirs in zip(data["tables"], shared["tables"]):
        if ours["type"] == "multi-entity":
            assert [(e["entity_type"], e["pk_template"], e["sk_template"]) for e in ours["entities"]] == \
                [(e["entity_type"], e["pk_template"], e["sk_template"]) for e in theirs["entities"]]
        assert ours["estimated_item_size_bytes"] > 0


def test_sizes_come_from_measurements_when_given(design):
    contract = design_to_contract(design, None, {"Films": {"avg_bytes": 700.2, "max_bytes": 1432, "items": 1000}})
    assert contract.table("Films").estimated_item_size_bytes == 1432
    assert contract.table("Staff").estimated_item_size_bytes == 37000  # the design's declared estimate


def test_refuses_what_a_contract_cannot_express(design):
    films = design.table("Films")
    films.partition_key = KeyDef(attribute="film_id", template="FILM#{film_id}")
    rentals = design.table("CustomerRentals")
    rentals.entities[1].sk_template = None
    with pytest.raises(DesignError) as err:
        design_to_contract(design)
    paths = [e["path"] for e in err.value.details["errors"]]
    assert paths == ["/tables/0/partition_key/template", "/tables/2/entities/1/sk_template"]
    assert "fix each listed path" in err.value.remedy
