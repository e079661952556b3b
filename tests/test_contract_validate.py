"""validate_contract against the live Sakila: the shared contract is clean; defects injected into
a copy are each reported with their JSON pointer path, all in one run; the MCP tool and the CLI."""

from __future__ import annotations

import copy
import json

import pytest
from typer.testing import CliRunner

from mysql2ddb.tools.contract.catalog import read_catalog
from mysql2ddb.tools.contract.validate import check_contract, validate_contract

FILMS, CATEGORY_FILMS, CUSTOMER_RENTALS, INVENTORY, PAYMENTS, ACTORS, STAFF = range(7)


@pytest.fixture(scope="module")
def sakila_contract(sakila_dir) -> dict:
    return json.loads((sakila_dir / "contract.json").read_text())


@pytest.fixture
def contract(sakila_contract) -> dict:
    return copy.deepcopy(sakila_contract)


@pytest.fixture(scope="module")
async def catalog(sakila_dsn):
    return await read_catalog(sakila_dsn)


def attr(contract: dict, table: int, name: str) -> dict:
    return next(a for a in contract["tables"][table]["attributes"] if a["name"] == name)


def index(contract: dict, table: int, name: str) -> int:
    return [a["name"] for a in contract["tables"][table]["attributes"]].index(name)


def error_paths(outcome) -> list[str]:
    return [e.path for e in outcome.errors]


async def test_sakila_contract_validates_clean(sakila_dir, sakila_dsn):
    outcome = await validate_contract(sakila_dir / "contract.json", sakila_dsn)
    assert outcome.valid, outcome.errors
    assert outcome.errors == [] and outcome.database == "m2d_sakila"
    assert len(outcome.checked_tables) == 7
    assert "valid" in outcome.summary()


async def test_five_acceptance_defects_all_reported_in_one_run(contract, sakila_dsn):
    attr(contract, FILMS, "title")["source_column"] = "titel"  # unknown column
    attr(contract, FILMS, "language")["join"]["join_condition"] = "lang.language_id = film.language_id"  # unknown alias
    attr(contract, CATEGORY_FILMS, "category")["join"]["join_condition"] = "film.film_id = 1; DROP TABLE film"
    payments = contract["tables"][PAYMENTS]
    payments["attributes"] = [a for a in payments["attributes"] if a["name"] != "payment_id"]  # key attribute gone
    attr(contract, ACTORS, "first_name")["type"] = "STRING"  # not in the type enum

    outcome = await validate_contract(contract, sakila_dsn)

    assert not outcome.valid
    expected = {
        f"/tables/{FILMS}/attributes/{index(contract, FILMS, 'title')}/source_column": "titel",
        f"/tables/{FILMS}/attributes/{index(contract, FILMS, 'language')}/join/join_condition": "lang",
        f"/tables/{CATEGORY_FILMS}/attributes/0/join/join_condition": "semicolon",
        f"/tables/{PAYMENTS}/pk": "payment_id",
        f"/tables/{ACTORS}/attributes/{index(contract, ACTORS, 'first_name')}/type": "STRING",
    }
    for path, word in expected.items():
        found = [e for e in outcome.errors if e.path == path]
        assert found, f"{path} not reported: {error_paths(outcome)}"
        assert word in found[0].message and found[0].remedy
    assert len(outcome.errors) == 5, error_paths(outcome)
    data = json.loads(outcome.model_dump_json())
    assert data["valid"] is False and {"path", "message", "remedy"} <= set(data["errors"][0])


def test_more_defects_each_with_path_and_remedy(contract, catalog):
    actors = contract["tables"][ACTORS]
    attr(contract, ACTORS, "last_name_initial")["calculation"]["cases"][0]["when"] = "actor.last_name <> '' -- why"
    attr(contract, ACTORS, "last_update")["calculation"] = {"type": "concat"}
    contract["tables"][INVENTORY]["sk"] = "film_id#store_id"
    staff = contract["tables"][STAFF]
    staff["pk"] = "username"
    attr(contract, STAFF, "username")["type"] = "N"
    join = attr(contract, CATEGORY_FILMS, "rental_rate")["join"]
    join.update(type="chain", joins=[
        {"target_table": "film", "join_condition": "film.film_id = film_category.film_id", "select_column": "film.title"},
        {"target_table": "language", "join_condition": "language.language_id = film.language_id",
         "select_column": "language_id"},  # in film and in language: ambiguous
    ])
    del join["target_table"], join["join_condition"], join["select_column"]
    attr(contract, FILMS, "language")["join"]["join_condition"] = "DROP TABLE film"
    attr(contract, FILMS, "rating")["source_column"] = ["rating", "nope"]
    contract["tables"][CUSTOMER_RENTALS]["entities"][1]["sk_template"] = "RENTAL#{rental_dt}#{rental_id}"
    contract["tables"][PAYMENTS]["gsis"][0]["projected_attributes"].append("tip")
    contract["tables"][FILMS]["attributes"].append(dict(attr(contract, FILMS, "title")))  # duplicate name
    contract["tables"].append(copy.deepcopy(actors))  # duplicate table name

    outcome = check_contract(contract, catalog)

    def at(path: str, word: str) -> None:
        found = [e for e in outcome.errors if e.path == path]
        assert found, f"{path} not reported: {error_paths(outcome)}"
        assert word in found[0].message + found[0].remedy, found[0]
        assert found[0].remedy

    a, s, c, f = f"/tables/{ACTORS}/attributes", f"/tables/{STAFF}/attributes", f"/tables/{CATEGORY_FILMS}", "/tables/0"
    at(f"{a}/{index(contract, ACTORS, 'last_name_initial')}/calculation/cases/0/when", "comment")
    at(f"{a}/{index(contract, ACTORS, 'last_update')}/calculation/type", "§9")
    at(f"/tables/{INVENTORY}/sk", "§10")
    at(f"{s}/{index(contract, STAFF, 'username')}/type", "varchar")
    at(f"{c}/attributes/{index(contract, CATEGORY_FILMS, 'rental_rate')}/join/joins/1/select_column", "ambiguous")
    at(f"{f}/attributes/{index(contract, FILMS, 'language')}/join/join_condition", "statement")
    at(f"{f}/attributes/{index(contract, FILMS, 'rating')}/source_column/1", "nope")
    at(f"/tables/{CUSTOMER_RENTALS}/entities/1/sk_template", "rental_dt")
    at(f"/tables/{PAYMENTS}/gsis/0/projected_attributes/2", "tip")
    at(f"{f}/attributes/{len(contract['tables'][FILMS]['attributes']) - 1}/name", "duplicate")
    at("/tables/7/table", "duplicate")


def test_unqualified_names_resolve_against_the_source_table_first(contract, catalog):
    # film_category and film both have film_id and last_update: the source table wins (§12)
    attr(contract, CATEGORY_FILMS, "title")["join"]["join_condition"] = "film.film_id = film_id"
    attr(contract, CATEGORY_FILMS, "rating")["join"]["select_column"] = "rating"  # only in film
    outcome = check_contract(contract, catalog)
    assert outcome.valid, outcome.errors


def test_subquery_scope_and_unknown_tables(contract, catalog):
    held_by = attr(contract, INVENTORY, "held_by")["join"]
    held_by["condition"] = "EXISTS (SELECT 1 FROM rentals AS r WHERE r.inventory_id = inventory.inventory_id)"
    attr(contract, FILMS, "actors")["join"]["target_table"] = "actors"
    outcome = check_contract(contract, catalog)
    paths = error_paths(outcome)
    i = index(contract, INVENTORY, "held_by")
    assert f"/tables/{INVENTORY}/attributes/{i}/join/condition" in paths
    assert f"/tables/{FILMS}/attributes/{index(contract, FILMS, 'actors')}/join/target_table" in paths
    assert any("did you mean" in e.remedy or "`actor`" in e.remedy for e in outcome.errors)


def test_multi_entity_keys_and_templates(contract, catalog):
    rentals = contract["tables"][CUSTOMER_RENTALS]
    rentals["entities"][0]["pk_template"] = "CUSTOMER"
    rentals["entities"][0]["sk_template"] = "PROFILE"  # no placeholder: one key for every row
    rentals["entities"][1]["attributes"].append(
        {"name": "PK", "type": "S", "source_table": "rental", "source_column": "rental_id"})
    outcome = check_contract(contract, catalog)
    paths = error_paths(outcome)
    assert f"/tables/{CUSTOMER_RENTALS}/entities/0/pk_template" in paths
    n = len(rentals["entities"][1]["attributes"]) - 1
    assert f"/tables/{CUSTOMER_RENTALS}/entities/1/attributes/{n}/name" in paths


def test_item_size_and_types(contract, catalog):
    films = contract["tables"][FILMS]
    films["estimated_item_size_bytes"] = 500_000
    actors = attr(contract, FILMS, "actors")["join"]["construction"]
    actors["limit"] = 100_000
    attr(contract, FILMS, "last_update")["type"] = "BOOL"  # a timestamp cannot be a boolean
    outcome = check_contract(contract, catalog)
    paths = error_paths(outcome)
    assert f"/tables/{FILMS}/estimated_item_size_bytes" in paths
    assert f"/tables/{FILMS}" in paths  # estimated size over 400 KB
    assert f"/tables/{FILMS}/attributes/{index(contract, FILMS, 'last_update')}/type" in paths


def test_shape_only_without_a_database(contract):
    outcome = check_contract(contract, None)
    assert outcome.valid and outcome.database is None
    assert any("not checked against a database" in w.message for w in outcome.warnings)


async def test_not_json_is_an_invalid_contract(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{ not json")
    outcome = await validate_contract(path, None)
    assert not outcome.valid and "line 1" in outcome.errors[0].message


async def test_mcp_tool_reports_errors_as_structured_content(mcp_client, contract, sakila_dsn):
    attr(contract, FILMS, "title")["source_column"] = "titel"
    got = await mcp_client.call_tool("validate_contract", {"contract": contract, "dsn": sakila_dsn.url()})
    data = got.structured_content
    assert data["valid"] is False
    assert data["errors"][0]["path"] == f"/tables/{FILMS}/attributes/1/source_column"
    tools = {t.name: t for t in await mcp_client.list_tools()}
    assert tools["validate_contract"].annotations.read_only_hint is True


def test_cli_validate_json_and_exit_status(tmp_path, sakila_dir, sakila_dsn, contract):
    from mysql2ddb.server.cli.main import app

    runner = CliRunner()
    ok = runner.invoke(app, ["contract", "validate", str(sakila_dir / "contract.json"), "--dsn", sakila_dsn.url(), "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["valid"] is True
    attr(contract, FILMS, "title")["source_column"] = "titel"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(contract))
    failed = runner.invoke(app, ["contract", "validate", str(bad), "--dsn", sakila_dsn.url(), "--json"])
    assert failed.exit_code == 1
    body = json.loads(failed.stdout)
    assert body["valid"] is False and body["errors"][0]["path"].endswith("/source_column")


def test_self_join_alias_scope(contract, catalog):
    films = contract["tables"][FILMS]
    films["attributes"].append({
        "name": "original_title", "type": "S", "source_table": "film", "source_column": "original_language_id",
        "join": {"type": "self-join", "join_alias": "orig", "join_condition": "orig.film_id = film.film_id",
                 "select_column": "orig.title", "null_value": "NONE"}})
    assert check_contract(contract, catalog).valid
    join = films["attributes"][-1]["join"]
    join["select_column"] = "other.title"
    join["join_alias"] = "orig"
    n = len(films["attributes"]) - 1
    outcome = check_contract(contract, catalog)
    assert [e.path for e in outcome.errors] == [f"/tables/{FILMS}/attributes/{n}/join/select_column"]
    join["join_alias"] = "actor"  # a table name: every reference would be ambiguous
    assert f"/tables/{FILMS}/attributes/{n}/join/join_alias" in error_paths(check_contract(contract, catalog))
