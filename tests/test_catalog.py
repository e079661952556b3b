"""The live catalog (one information_schema query) and the contract SQL fragment parser."""

from __future__ import annotations

import json

import pytest
from sqlglot import exp

from mysql2ddb.tools.core.errors import ContractError, NotFoundError
from mysql2ddb.tools.contract.catalog import catalog_query, parse_enum_values, read_catalog, read_catalog_sync
from mysql2ddb.tools.contract.fragments import fragment_errors, fragment_locations, parse_fragment, references


async def test_catalog_reads_sakila_columns_in_order(sakila_dsn):
    catalog = await read_catalog(sakila_dsn)
    assert catalog.database == "m2d_sakila"
    assert catalog.has_table("film") and not catalog.has_table("films")
    film = catalog.columns("film")
    assert list(film)[:3] == ["film_id", "title", "description"]
    assert film["rental_rate"].data_type == "decimal"
    assert (film["rental_rate"].numeric_precision, film["rental_rate"].numeric_scale) == (4, 2)
    assert film["film_id"].unsigned and not film["film_id"].nullable
    assert film["rating"].enum_values == ["G", "PG", "PG-13", "R", "NC-17"]
    assert film["special_features"].data_type == "set"
    assert film["special_features"].enum_values[-1] == "Behind the Scenes"
    assert film["title"].max_length == 255 and film["title"].enum_values is None
    assert catalog.columns("address")["location"].data_type == "geometry"
    assert catalog.stats["film"].table_rows and catalog.stats["film"].avg_row_length
    assert catalog.column("film", "FILM_ID") is film["film_id"]


async def test_catalog_subset_and_sync_read_agree(sakila_dsn):
    subset = await read_catalog(sakila_dsn, ["film", "actor", "nope"])
    assert set(subset.tables) == {"film", "actor"}
    sync = read_catalog_sync(sakila_dsn, ["film", "actor"])
    assert sync.tables == subset.tables


def test_catalog_query_is_one_parameterised_select():
    sql, params = catalog_query(["film", "actor"])
    assert sql.count("SELECT") == 1 and sql.count("%s") == 3 and params == ["film", "actor"]
    assert "`information_schema`.`COLUMNS`" in sql and "LEFT JOIN" in sql


async def test_unknown_database_is_not_found(sakila_dsn):
    with pytest.raises(NotFoundError) as caught:
        await read_catalog(sakila_dsn.with_database("m2d_no_such_db_xyz"))
    assert "database" in caught.value.remedy


def test_enum_values_with_quotes_and_escapes():
    assert parse_enum_values("enum('a','b''c','d\\\\e','x,y')") == ["a", "b'c", "d\\e", "x,y"]
    assert parse_enum_values("set('')") == [""]
    assert parse_enum_values("varchar(10)") is None


def test_every_sakila_fragment_parses(sakila_dir):
    contract = json.loads((sakila_dir / "contract.json").read_text())
    fragments = list(fragment_locations(contract))
    assert len(fragments) > 40
    assert {kind for _, _, kind in fragments} == {"expression", "predicate", "order_by"}
    for path, text, kind in fragments:
        assert isinstance(parse_fragment(text, path, kind), exp.Expression)
    assert fragment_errors(contract) == []


@pytest.mark.parametrize(
    "text, why",
    [
        ("film.film_id = 1; DROP TABLE film", "semicolon"),
        ("film.film_id = 1 -- trailing", "comment"),
        ("film.film_id = 1 # trailing", "comment"),
        ("film.film_id /* x */ = 1", "comment"),
        ("/*!50000 1 */ = 1", "comment"),
        ("DROP TABLE film", "statement"),
        ("SELECT film_id FROM film", "statement"),
        ("DELETE FROM film", "statement"),
        ("CALL p()", "statement"),
        ("film.film_id = 1 film", "single SQL expression"),
        ("a IN (SELECT x FROM t FOR UPDATE)", "LOCK"),
        ("SLEEP(5) = 0", "waits"),
        ("a = @v", "variable"),
        ("", "empty"),
        ("'unbalanced", "quotes"),
    ],
)
def test_refused_fragments(text, why):
    with pytest.raises(ContractError) as caught:
        parse_fragment(text, "/tables/0/attributes/1/join/join_condition")
    assert why in caught.value.why + caught.value.remedy
    assert caught.value.where == "/tables/0/attributes/1/join/join_condition"


def test_function_names_that_are_also_statements_parse():
    assert isinstance(parse_fragment("REPLACE(a.b, 'x', 'y')", "/x"), exp.Replace)
    parse_fragment("TRUNCATE(a.b, 2) > 1", "/x")
    parse_fragment("INSERT(a.b, 1, 2, 'zz')", "/x")


def test_order_by_list():
    node = parse_fragment("actor.last_name, actor.first_name DESC, FIELD(a.x, 1, 2)", "/o", "order_by")
    assert isinstance(node, exp.Order) and len(node.expressions) == 3
    assert node.expressions[1].args.get("desc")
    with pytest.raises(ContractError):
        parse_fragment("a,,b", "/o", "order_by")


def test_references_with_subquery_scope():
    node = parse_fragment(
        "actor.actor_id IN (SELECT fa.actor_id FROM film_actor AS fa WHERE fa.film_id = film.film_id AND x = 1)", "/x",
        "predicate",
    )
    refs = references(node)
    assert refs.tables == ["film_actor"] and refs.aliases == {"fa": "film_actor"}
    texts = {c.text: c.scope for c in refs.columns}
    assert texts["actor.actor_id"] == {}
    assert texts["fa.film_id"] == {"fa": "film_actor", "film_actor": "film_actor"}
    assert "x" in texts and "film.film_id" in texts
