"""Verification against a moto server: the expected items written with boto3 verify ok (numbers
compared as numbers, whatever text was written); a changed, a deleted and an extra item are
named with their keys and a field diff."""

from __future__ import annotations

import base64

import pytest

from mysql2ddb.tests.conftest import dsn_for
from mysql2ddb.tests.test_views import view_items
from mysql2ddb.tools.usecases import corpora
from mysql2ddb.tools.contract.catalog import read_catalog_sync
from mysql2ddb.tools.contract.load import load_contract
from mysql2ddb.tools.execution.spec import contract_specs
from mysql2ddb.tools.execution.tables import TableOptions, ensure_tables
from mysql2ddb.tools.execution.verify import verify_tables
from mysql2ddb.tools.execution.verify_digest import Digest, item_hash

TABLES = ["CategoryFilms", "Actors", "Staff"]  # moto scans large nested items (Films) slowly


def to_boto(av: dict) -> dict:
    (kind, value), = av.items()
    if kind == "B":
        return {"B": base64.b64decode(value)}
    if kind == "M":
        return {"M": {k: to_boto(v) for k, v in value.items()}}
    if kind == "L":
        return {"L": [to_boto(v) for v in value]}
    return av


def write_items(client, table: str, items: list[dict]) -> None:
    for start in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": {k: to_boto(v) for k, v in item.items()}}} for item in items[start:start + 25]]
        while requests:
            response = client.batch_write_item(RequestItems={table: requests})
            requests = response.get("UnprocessedItems", {}).get(table, [])


@pytest.fixture(scope="module")
async def source(sakila_dir):
    from mysql2ddb.tools.execution.views import apply_views

    dsn = dsn_for("m2d_vc_sakila")
    corpora.ensure_sakila(dsn)
    contract = load_contract(sakila_dir / "contract.json")
    await apply_views(contract, dsn)
    catalog = read_catalog_sync(dsn)
    specs = contract_specs(contract, catalog)
    return dsn, contract, catalog, {t: view_items(dsn, specs[t]) for t in TABLES}


def test_written_items_verify_then_each_difference_is_named(source, aws):
    dsn, contract, catalog, items = source
    ensure_tables(contract, catalog, aws, TableOptions(), tables=TABLES)
    client = aws.client("dynamodb")
    for table in TABLES:
        rows = [dict(i) for i in items[table]]
        if table == "CategoryFilms":  # moto keeps the text as written: 0.990 must still equal 0.99
            rows[0]["rental_rate"] = {"N": rows[0]["rental_rate"]["N"] + "0"}
        write_items(client, table, rows)

    result = verify_tables(contract, dsn, aws, catalog, tables=TABLES)
    assert result.ok, result.model_dump()
    films = next(r for r in result.results if r.table == "CategoryFilms")
    assert (films.source_count, films.target_count, films.mismatches) == (1000, 1000, 0)

    client.put_item(TableName="Actors", Item={"actor_id": {"N": "101"}, "first_name": {"S": "SUSAN"},
                                              "last_name": {"S": "DAVIES"}, "last_name_initial": {"S": "D"},
                                              "last_update": {"S": "2006-02-15T04:34:33"}})
    client.put_item(TableName="Actors", Item={"actor_id": {"N": "999"}, "first_name": {"S": "NEW"}})
    client.delete_item(TableName="Staff", Key={"staff_id": {"N": "2"}})

    result = verify_tables(contract, dsn, aws, catalog, tables=TABLES)
    assert not result.ok
    by_table = {r.table: r for r in result.results}
    actors, staff = by_table["Actors"], by_table["Staff"]
    assert by_table["CategoryFilms"].ok
    assert (actors.source_count, actors.target_count, actors.mismatches) == (200, 201, 2)
    assert actors.extra == ["999"] and actors.missing == []
    (diff,) = actors.differing
    assert diff.key == "101" and diff.diff == {"last_name": {"source": ["S", "DAVIS"], "target": ["S", "DAVIES"]}}
    assert (staff.source_count, staff.target_count, staff.missing, staff.mismatches) == (2, 1, ["2"], 1)
    data = result.model_dump(by_alias=True)
    assert set(data) == {"ok", "tables"} and {"table", "source_count", "target_count", "mismatches"} <= set(data["tables"][0])
    assert "Actors" in result.summary() and result.tables()[1].rows


def test_missing_table_is_reported_not_raised(source, aws):
    dsn, contract, catalog, _ = source
    result = verify_tables(contract, dsn, aws, catalog, tables=["Staff"])
    (staff,) = result.results
    assert not result.ok and staff.note and staff.target_count == 0 and staff.missing == ["1", "2"]


def test_digest_is_order_independent_and_number_text_insensitive():
    a, b = Digest(), Digest()
    items = [{"k": {"N": str(i)}, "v": {"N": "1.50"}} for i in range(50)]
    for item in items:
        a.add(item["k"]["N"], item_hash(item))
    for item in reversed(items):
        b.add(item["k"]["N"], item_hash({**item, "v": {"N": "1.5"}}))
    assert not a.differing(b)
    b.add("7", item_hash({"k": {"N": "7"}}))
    assert len(a.differing(b)) == 1
