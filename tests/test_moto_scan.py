"""Our moto server finds a Scan page's start by binary search over a cached order
(tools/core/moto_scan.py); plain moto walks the table for every page. Both must answer every
page alike: the same items in the same order and the same LastEvaluatedKey, with limits, segments,
filters, a hash-only table, and puts and deletes between pages (the cached order is dropped)."""

from __future__ import annotations

import boto3
import pytest

from mysql2ddb.tools.core.aws import MotoServer


@pytest.fixture(scope="module")
def servers():
    ours, plain = MotoServer().start(), MotoServer(serial=False).start()
    try:
        yield [boto3.client("dynamodb", endpoint_url=s.url, region_name="us-east-1", aws_access_key_id="testing",
                            aws_secret_access_key="testing") for s in (ours, plain)]
    finally:
        ours.stop()
        plain.stop()


def _create(client, name: str, sort: bool) -> None:
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}] + ([{"AttributeName": "sk", "KeyType": "RANGE"}] if sort else [])
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}] + ([{"AttributeName": "sk", "AttributeType": "N"}]
                                                               if sort else [])
    client.create_table(TableName=name, KeySchema=keys, AttributeDefinitions=attrs, BillingMode="PAY_PER_REQUEST")


def _item(i: int, sort: bool) -> dict:
    item = {"pk": {"S": f"p{i % 37:03d}" if sort else f"p{i:05d}"}, "v": {"N": str(i % 5)}}
    if sort:
        item["sk"] = {"N": str(i)}
    return item


def _pages(client, name: str, **kwargs) -> list:
    pages, start = [], None
    while True:
        page = client.scan(TableName=name, Limit=41, **kwargs, **({"ExclusiveStartKey": start} if start else {}))
        pages.append(([tuple(sorted((k, str(v)) for k, v in i.items())) for i in page["Items"]],
                      page.get("LastEvaluatedKey")))
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages


@pytest.mark.parametrize("sort", [True, False])
def test_scan_pages_match_plain_moto(servers, sort):
    name = f"Scan{'Sorted' if sort else 'Flat'}"
    for client in servers:
        _create(client, name, sort)
        for start in range(0, 900, 25):
            client.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": _item(i, sort)}}
                                                         for i in range(start, start + 25)]})
    ours, plain = servers
    for kwargs in ({}, {"Segment": 1, "TotalSegments": 3},
                   {"FilterExpression": "v = :v", "ExpressionAttributeValues": {":v": {"N": "2"}}}):
        assert _pages(ours, name, **kwargs) == _pages(plain, name, **kwargs), kwargs
    assert sum(len(items) for items, _ in _pages(ours, name)) == 900

    # writes between pages: the next page reflects them on both (the cached order is dropped)
    firsts = [c.scan(TableName=name, Limit=100) for c in servers]
    assert firsts[0]["LastEvaluatedKey"] == firsts[1]["LastEvaluatedKey"]
    for client in servers:
        client.put_item(TableName=name, Item=_item(5000, sort))
        client.delete_item(TableName=name, Key={k: v for k, v in _item(899, sort).items() if k in ("pk", "sk")})
    rests = [c.scan(TableName=name, Limit=2000, ExclusiveStartKey=f["LastEvaluatedKey"])
             for c, f in zip(servers, firsts)]
    assert rests[0]["Items"] == rests[1]["Items"] and len(rests[0]["Items"]) == 800
