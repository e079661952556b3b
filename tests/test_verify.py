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


def _typed_items(count: int) -> list[dict]:
    """Items with every AttributeValue type, in boto3's client shape (binary as bytes)."""
    return [{"pk": {"S": f"k{i % 7}é"}, "sk": {"N": str(i)}, "n": {"N": "117.70"}, "b": {"B": bytes([i % 256, 0, 255])},
             "ss": {"SS": ["b", "a"]}, "ns": {"NS": ["2", "1.50"]}, "bs": {"BS": [b"\x00", b"\x01"]},
             "m": {"M": {"x": {"L": [{"S": "ü"}, {"NULL": True}, {"BOOL": False}]}}}, "pad": {"S": "p" * 1000}}
            for i in range(count)]


def _typed_table(aws) -> list[dict]:
    client = aws.client("dynamodb")
    client.create_table(TableName="Typed", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "N"}])
    items = _typed_items(1200)
    write_items(client, "Typed", [{k: {"B": base64.b64encode(v["B"]).decode()} if "B" in v else v
                                   for k, v in item.items()} for item in items])
    return items


def test_our_moto_server_answers_scan_and_query_as_moto_does(aws):
    """Scan and Query pages are encoded by tools/core/moto_reads.py; GetItem still by moto's own
    serializer: boto3 must read the same items from both, across pages (1,200 items of ~1 KB)."""
    items = _typed_table(aws)
    client = aws.client("dynamodb")
    pages = list(client.get_paginator("scan").paginate(TableName="Typed"))
    assert len(pages) > 1 and all(p["Count"] == len(p["Items"]) for p in pages)
    scanned = {(i["pk"]["S"], i["sk"]["N"]): i for p in pages for i in p["Items"]}
    assert len(scanned) == 1200
    for item in items[:5] + items[-5:]:
        got = client.get_item(TableName="Typed", Key={"pk": item["pk"], "sk": item["sk"]}, ConsistentRead=True)["Item"]
        assert scanned[(item["pk"]["S"], item["sk"]["N"])] == got
    queried = client.query(TableName="Typed", KeyConditionExpression="pk = :p",
                           ExpressionAttributeValues={":p": {"S": "k3é"}})
    assert queried["Count"] == len(queried["Items"]) > 0
    assert all(scanned[(i["pk"]["S"], i["sk"]["N"])] == i for i in queried["Items"])
    assert client.scan(TableName="Typed", Select="COUNT")["Count"] > 0  # no Items: moto's own answer


def test_target_reader_reads_every_item_once_over_http_and_boto3(aws):
    """The verifier's own Scan client (pages parsed with orjson, wire JSON) against boto3's, with
    several segments and several pages; a missing table is TableMissing on both."""
    from mysql2ddb.tools.execution.item_keys import key_text
    from mysql2ddb.tools.execution.verify_scan import TableMissing, TargetReader

    _typed_table(aws)
    key_of = lambda item: key_text(item, "pk", "sk")  # noqa: E731
    digests = {}
    for transport, segments in (("http", 1), ("http", 3), ("boto3", 3)):
        reader = TargetReader(aws, segments=segments, transport=transport)
        assert reader.kind == "moto" and reader.segments_for("Typed") == segments
        parts = [Digest() for _ in range(segments)]
        reader.scan("Typed", segments, lambda s: lambda key, item: parts[s].add(key, item_hash(item)), key_of,
                    consistent=False)
        for part in parts[1:]:
            parts[0].merge(part)
        digests[(transport, segments)] = parts[0]
        with pytest.raises(TableMissing):
            reader.scan("NoSuchTable", segments, lambda s: lambda key, item: None, key_of, consistent=True)
    first = digests[("http", 1)]
    assert first.items == 1200
    assert all(not first.differing(d) and d.items == 1200 for d in digests.values())
    assert TargetReader(aws).segments_for("Typed") == 1 and TargetReader(aws).tables_in_parallel == 2


def test_item_hash_compares_values_not_their_text():
    """Items canonical as they come are hashed from their JSON as it is; any other text of the same
    values (numbers, set order, binary as bytes) hashes the same; a different value does not."""
    same = [
        ({"k": {"N": "1.50"}, "m": {"M": {"n": {"N": "1E2"}}}}, {"k": {"N": "1.5"}, "m": {"M": {"n": {"N": "100"}}}}),
        ({"z": {"N": "-0"}}, {"z": {"N": "0"}}),
        ({"s": {"SS": ["b", "a"]}, "n": {"NS": ["2.0", "1"]}}, {"s": {"SS": ["a", "b"]}, "n": {"NS": ["1", "2"]}}),
        ({"b": {"B": b"\x00\xff"}, "l": {"L": [{"BS": [b"\x01", b"\x00"]}]}},
         {"b": {"B": "AP8="}, "l": {"L": [{"BS": ["AA==", "AQ=="]}]}}),
        ({"N": {"S": '"N":"1.50"'}}, {"N": {"S": '"N":"1.50"'}}),
    ]
    for a, b in same:
        assert item_hash(a) == item_hash(b), (a, b)
    assert item_hash({"k": {"N": "1.51"}}) != item_hash({"k": {"N": "1.5"}})
    assert item_hash({"k": {"S": "1.5"}}) != item_hash({"k": {"N": "1.5"}})
