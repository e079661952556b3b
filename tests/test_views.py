"""The view compiler on real MariaDB: the shared Sakila contract's views, streamed through the
converter, give exactly contract-expected.json; every join type, calculation and transformation
on tables with a self-reference (m2d_vc_joins); bad fragments refused before anything exists."""

from __future__ import annotations

import copy
import json

import pymysql.cursors
import pytest
from sqlglot import exp

from mysql2ddb.tools.core.errors import ContractError, DatabaseError
from mysql2ddb.tests.conftest import dsn_for
from mysql2ddb.tests.expected_items import compare_table, load_expected
from mysql2ddb.tests.views_support import DDL, JOINS_CONTRACT
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.usecases import corpora
from mysql2ddb.tools.contract.catalog import read_catalog_sync
from mysql2ddb.tools.contract.load import load_contract
from mysql2ddb.tools.core.db import Dsn, sync_connection
from mysql2ddb.tools.execution.convert import RowRejected, build_converter
from mysql2ddb.tools.execution.item_keys import key_text
from mysql2ddb.tools.execution.spec import contract_specs
from mysql2ddb.tools.execution.views import apply_views, check_columns, views_sql


def view_items(dsn: Dsn, spec: dict) -> list[dict]:
    convert = build_converter(spec)
    with sync_connection(dsn, where="read view", cursorclass=pymysql.cursors.SSCursor) as conn, conn.cursor() as cur:
        cur.execute(sql.driver_sql(exp.select("*").from_(sql.table(spec["view"]))))
        return [convert(row) for row in cur.fetchall_unbuffered()]


@pytest.fixture(scope="module")
def vc_sakila() -> Dsn:
    dsn = dsn_for("m2d_vc_sakila")
    corpora.ensure_sakila(dsn)
    return dsn


@pytest.fixture(scope="module")
def joins_dsn() -> Dsn:
    dsn = dsn_for("m2d_vc_joins")
    with sync_connection(dsn.with_database(""), where="create") as conn, conn.cursor() as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS m2d_vc_joins CHARACTER SET utf8mb4")
    with sync_connection(dsn, where="load") as conn, conn.cursor() as cur:
        for statement in DDL:
            cur.execute(statement)
    return dsn


async def test_sakila_views_yield_exactly_the_expected_items(vc_sakila, sakila_dir):
    contract = load_contract(sakila_dir / "contract.json")
    outcome = await apply_views(contract, vc_sakila)
    assert [v.view for v in outcome.views] == [t.view_name for t in contract.tables]
    specs = contract_specs(contract, read_catalog_sync(vc_sakila))
    problems = []
    for expected in load_expected(sakila_dir)["tables"]:
        spec = specs[expected["table"]]
        assert spec["view"] == expected["view"]
        assert {k: spec["key_types"][k] for k in expected["key_types"]} == expected["key_types"]
        problems += compare_table(view_items(vc_sakila, spec), expected)
    assert not problems, "\n".join(problems)


async def test_views_sql_is_a_dry_run_of_quoted_left_joins(vc_sakila, sakila_dir):
    contract = load_contract(sakila_dir / "contract.json")
    texts = views_sql(contract, read_catalog_sync(vc_sakila))
    assert set(texts) == {t.view_name for t in contract.tables}
    films = texts["ddb_films_view"]
    assert films.startswith("CREATE OR REPLACE VIEW `ddb_films_view` AS SELECT")
    assert "LEFT JOIN `language` AS" in films and " JOIN " not in films.replace("LEFT JOIN", "")
    assert "JSON_ARRAYAGG(JSON_OBJECT(" in films and "LIMIT 20)" in films
    rentals = texts["ddb_customerrentals_view"]
    assert rentals.count("UNION ALL") == 1 and "'%Y-%m-%dT%H:%i:%s'" in rentals
    # the address join is made once and shared by the six address attributes and the chain's first hop
    assert rentals.count("LEFT JOIN `address`") == 1


async def test_every_join_type_on_a_self_referencing_schema(joins_dsn):
    contract = load_contract(JOINS_CONTRACT)
    await apply_views(contract, joins_dsn)
    specs = contract_specs(contract, read_catalog_sync(joins_dsn))
    items = {name: {key_text(i, spec["pk"], spec["sk"]): i for i in view_items(joins_dsn, spec)}
             for name, spec in specs.items()}

    categories = items["Categories"]
    assert categories["Smartphones"]["parent_name"] == {"S": "Phones"}
    assert categories["Smartphones"]["parent_id"] == {"N": "2"}
    assert categories["Electronics"]["parent_name"] == {"S": "ROOT"} and "parent_id" not in categories["Electronics"]
    assert categories["Smartphones"]["product_count"] == {"N": "1"}
    assert categories["Smartphones"]["total_price"] == {"N": "999"}
    assert categories["Electronics"]["product_count"] == {"N": "0"}  # COUNT over zero rows
    assert "total_price" not in categories["Electronics"]  # SUM over zero rows is NULL

    products = items["Products"]
    assert products["1"]["category"] == {"S": "Smartphones"} and "category" not in products["3"]
    reviews = json.loads(products["1"]["recent_reviews"]["S"])
    assert [r["body"] for r in reviews] == ["ok", "bad"]  # order_by DESC, then limit 2
    assert reviews[0]["date"] == "2024-01-03T10:00:00"  # datetimes inside JSON are ISO too
    assert products["1"]["latest_review"] == {"M": {"stars": {"N": "3"}, "body": {"S": "ok"}}}
    assert "recent_reviews" not in products["2"] and "latest_review" not in products["2"]
    assert products["1"]["band"] == {"S": "premium"} and products["2"]["band"] == {"S": "budget"}

    lines = items["OrderLines"]
    first, second, third = lines["10\t1"], lines["10\t2"], lines["11\t1"]
    assert first["product_name"] == {"S": "iPhone"} and first["alt_product"] == {"S": "iPhone"}
    assert second["product_name"] == {"S": "Novel"} and "alt_product" not in second  # its own join, own alias
    assert first["variant_label"] == {"S": "64GB!"} and "variant_label" not in second
    assert first["category_name"] == {"S": "Smartphones"}  # chain without separator: the last hop
    assert "category_name" not in third  # no category: the LEFT joins keep the row, the value is NULL
    assert first["product_path"] == {"S": "iPhone / Smartphones"} and "product_path" not in third
    assert second["bulk"] == {"S": "Novel"} and first["bulk"] == {"S": "single"}
    assert first["created_day"] == {"S": "2024-01-02"} and first["created_at"] == {"S": "2024-01-02T03:04:05.678"}
    assert second["created_at"] == {"S": "2024-01-02T03:04:05.000"}

    assert set(items["ProductTags"]) == {"1\tapple", "2\tpaper"}

    timeline = items["Timeline"]
    assert set(timeline) == {
        "ORDER#10\tLINE#2024-01-02T03:04:05.678#1", "ORDER#10\tLINE#2024-01-02T03:04:05.000#2",
        "ORDER#11\tLINE#2024-02-01T00:00:00.001#1", "PRODUCT#1\tPRICE#999", "PRODUCT#2\tPRICE#12.5",
        "PRODUCT#3\tPRICE#1", "CATEGORY#Electronics\tMETA", "CATEGORY#Phones\tMETA", "CATEGORY#Smartphones\tMETA",
        "CATEGORY#Books\tMETA"}
    assert timeline["PRODUCT#2\tPRICE#12.5"] == {"PK": {"S": "PRODUCT#2"}, "SK": {"S": "PRICE#12.5"},
                                                  "product_id": {"N": "2"}, "price": {"N": "12.5"},
                                                  "name": {"S": "Novel"}, "entity_type": {"S": "PRODUCT"}}
    columns = [c["name"] for c in specs["Timeline"]["columns"]]
    assert columns == ["PK", "SK", "order_id", "line", "created_at", "product_id", "price", "name", "entity_type"]


def _view_exists(dsn: Dsn, view: str) -> bool:
    with sync_connection(dsn, where="check") as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
                    (dsn.database, view))
        return cur.fetchone()[0] == 1


@pytest.mark.parametrize("fragment", [
    "products.id = order_items.product_id; DROP TABLE order_items",
    "products.id = order_items.product_id -- hidden",
    "(SELECT 1 FROM products) IS NOT NULL AND SLEEP(1) = 0",
])
async def test_a_fragment_with_a_second_statement_is_refused_before_anything_is_created(joins_dsn, fragment):
    contract_data = copy.deepcopy(JOINS_CONTRACT)
    for t in contract_data["tables"]:
        t["table"] = "Bad" + t["table"]
    contract_data["tables"][2]["attributes"][2]["join"]["join_condition"] = fragment
    contract = load_contract(contract_data)
    with pytest.raises(ContractError) as caught:
        await apply_views(contract, joins_dsn)
    assert caught.value.where == "/tables/2/attributes/2/join/join_condition"
    assert {e["path"] for e in caught.value.details["errors"]} == {caught.value.where}
    assert not any(_view_exists(joins_dsn, t.view_name) for t in contract.tables)


async def test_ambiguous_or_unknown_columns_are_errors(joins_dsn):
    contract_data = copy.deepcopy(JOINS_CONTRACT)
    contract_data["tables"] = [contract_data["tables"][1]]
    contract_data["tables"][0]["attributes"][3]["join"]["select_column"] = "nope.name"
    with pytest.raises(ContractError, match="nope"):
        views_sql(load_contract(contract_data), read_catalog_sync(joins_dsn))
    contract_data["tables"][0]["attributes"][3]["join"]["select_column"] = "categories.name"
    contract_data["tables"][0]["attributes"][3]["join"]["join_condition"] = "categories.id = category_id AND parent_id IS NULL"
    sql_text = views_sql(load_contract(contract_data), read_catalog_sync(joins_dsn))["ddb_products_view"]
    # §12: `category_id` is the source's; `parent_id` only the joined table has
    assert "`src`.`category_id`" in sql_text and "`j1_categories`.`parent_id` IS NULL" in sql_text


def test_view_columns_must_equal_the_attributes():
    contract = load_contract(JOINS_CONTRACT)
    check_columns(contract.tables[0], ["a", "b"], ["b", "a"])
    with pytest.raises(DatabaseError, match="missing"):
        check_columns(contract.tables[0], ["a", "b"], ["a"])


def test_converter_rejects_a_null_template_key():
    spec = {"table": "T", "pk": "PK", "sk": "SK", "columns": [
        {"name": "PK", "ddb_type": "S", "mysql_type": "varchar", "column_type": "varchar"},
        {"name": "SK", "ddb_type": "S", "mysql_type": "varchar", "column_type": "varchar"}]}
    with pytest.raises(RowRejected, match="SK is NULL"):
        build_converter(spec)(("CUSTOMER#1", None))


def test_a_composite_key_name_is_refused_with_a_remedy(joins_dsn):
    contract_data = copy.deepcopy(JOINS_CONTRACT)
    contract_data["tables"] = [contract_data["tables"][2]]
    contract_data["tables"][0]["sk"] = "line#created_at"
    with pytest.raises(ContractError, match="composite") as caught:
        views_sql(load_contract(contract_data), read_catalog_sync(joins_dsn))
    assert caught.value.where == "OrderLines.sk" and "template" in caught.value.remedy
