"""DynamoDB tables from the Sakila contract on a real moto server: created with every setting,
reused when they match, reported field by field and left untouched when they differ; the dry
run calls nothing."""

from __future__ import annotations

import pytest

from mysql2ddb.tools.core.errors import AwsError
from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.contract.catalog import read_catalog_sync
from mysql2ddb.tools.contract.load import load_contract
from mysql2ddb.tools.execution.tables import TableOptions, create_table_request, ensure_tables, key_types


@pytest.fixture(scope="module")
def sakila(sakila_dir, sakila_dsn):
    return load_contract(sakila_dir / "contract.json"), read_catalog_sync(sakila_dsn)


def test_key_types_come_from_the_contract_and_source_columns(sakila):
    contract, catalog = sakila
    assert key_types(contract.table("CustomerRentals"), catalog) == {"PK": "S", "SK": "S", "rental_id": "N"}
    assert key_types(contract.table("Inventory"), catalog) == {"inventory_id": "N", "film_id": "N", "store_id": "N"}
    assert key_types(contract.table("Payments"), catalog) == {"payment_id": "N", "customer_id": "N", "payment_date": "S"}


def test_create_table_request_has_every_setting(sakila):
    contract, catalog = sakila
    table = contract.table("Inventory")
    warm = {"WarmThroughput": {"WriteUnitsPerSecond": 12000},
            "GlobalSecondaryIndexes": [{"IndexName": "FilmStoreStock", "WarmThroughput": {"WriteUnitsPerSecond": 12000}}]}
    request = create_table_request(table, key_types(table, catalog), TableOptions(warm_throughput=warm))
    assert request["BillingMode"] == "PAY_PER_REQUEST"
    assert request["KeySchema"] == [{"AttributeName": "inventory_id", "KeyType": "HASH"}]
    assert request["AttributeDefinitions"] == [{"AttributeName": n, "AttributeType": "N"}
                                               for n in ("inventory_id", "film_id", "store_id")]
    (gsi,) = request["GlobalSecondaryIndexes"]
    assert gsi["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["held_by"]}
    assert gsi["KeySchema"] == [{"AttributeName": "film_id", "KeyType": "HASH"}, {"AttributeName": "store_id", "KeyType": "RANGE"}]
    assert gsi["WarmThroughput"] == {"WriteUnitsPerSecond": 12000} and request["WarmThroughput"]["WriteUnitsPerSecond"] == 12000
    assert request["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert request["SSESpecification"] == {"Enabled": True, "SSEType": "KMS"}
    assert request["DeletionProtectionEnabled"] is True and request["Tags"]


def test_dry_run_returns_the_requests_without_calling_aws(sakila):
    contract, catalog = sakila
    nowhere = AwsClients(region="us-east-1", endpoint_url="http://127.0.0.1:9")  # nothing listens there
    result = ensure_tables(contract, catalog, nowhere, TableOptions(), dry_run=True)
    assert [t.status for t in result.outcomes] == ["planned"] * 7
    assert result.outcomes[0].request["TableName"] == "Films"


def test_create_then_reuse_then_report_a_differing_table_untouched(sakila, aws):
    contract, catalog = sakila
    client = aws.client("dynamodb")
    created = ensure_tables(contract, catalog, aws, TableOptions(), tables=["Inventory", "Payments", "Actors"])
    assert [t.status for t in created.outcomes] == ["created"] * 3
    described = client.describe_table(TableName="Inventory")["Table"]
    assert described["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert described["DeletionProtectionEnabled"] is True and described["SSEDescription"]["Status"] == "ENABLED"
    backups = client.describe_continuous_backups(TableName="Inventory")["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"

    again = ensure_tables(contract, catalog, aws, TableOptions(), tables=["Inventory", "Payments", "Actors"])
    assert [t.status for t in again.outcomes] == ["reused"] * 3 and not any(t.warnings for t in again.outcomes)

    # Films exists already with another key schema and a string key: reported, left alone
    client.create_table(TableName="Films", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "title", "KeyType": "HASH"}, {"AttributeName": "film_id", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "title", "AttributeType": "S"},
                                              {"AttributeName": "film_id", "AttributeType": "S"}])
    before = client.describe_table(TableName="Films")["Table"]
    result = ensure_tables(contract, catalog, aws, TableOptions(), tables=["Films", "Inventory"])
    films, inventory = result.outcomes
    assert films.status == "conflict" and inventory.status == "reused"
    fields = {d.field: (d.existing, d.expected) for d in films.differences}
    assert fields["KeySchema"] == (["title (HASH)", "film_id (RANGE)"], ["film_id (HASH)"])
    assert fields["AttributeDefinitions.film_id"] == ("S", "N")
    assert "Films" in result.summary() and "untouched" in result.summary()
    after = client.describe_table(TableName="Films")["Table"]
    assert after["KeySchema"] == before["KeySchema"] and after["AttributeDefinitions"] == before["AttributeDefinitions"]
    assert after.get("StreamSpecification") == before.get("StreamSpecification")
    assert result.tables()[0].rows[0][1] == "conflict"


def test_differing_gsis_are_listed_per_index(sakila, aws):
    contract, catalog = sakila
    client = aws.client("dynamodb")
    client.create_table(
        TableName="Payments", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "N"},
                              {"AttributeName": "customer_id", "AttributeType": "N"}],
        GlobalSecondaryIndexes=[{"IndexName": "PaymentsByCustomer", "KeySchema": [{"AttributeName": "customer_id", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}},
                                {"IndexName": "Extra", "KeySchema": [{"AttributeName": "customer_id", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    (payments,) = ensure_tables(contract, catalog, aws, TableOptions(), tables=["Payments"]).outcomes
    fields = {d.field for d in payments.differences}
    assert fields == {"GlobalSecondaryIndexes.PaymentsByCustomer.KeySchema",
                      "GlobalSecondaryIndexes.PaymentsByCustomer.Projection", "GlobalSecondaryIndexes.Extra"}
    assert any("stream" in w for w in payments.warnings) and any("deletion protection" in w for w in payments.warnings)


def test_aws_errors_are_mapped(sakila):
    contract, catalog = sakila
    unreachable = AwsClients(region="us-east-1", endpoint_url="http://127.0.0.1:9", max_attempts=1)
    with pytest.raises(AwsError) as caught:
        ensure_tables(contract, catalog, unreachable, TableOptions(), tables=["Staff"])
    assert caught.value.where == "DynamoDB table Staff" and caught.value.remedy


def test_only_an_endpoint_on_this_machine_may_go_without_a_feature():
    from mysql2ddb.tools.execution.tables import _Features

    def tolerant(url: str | None, mode: str = "auto") -> bool:
        return _Features(AwsClients(endpoint_url=url), TableOptions(lacking_features=mode)).tolerant

    assert tolerant("http://127.0.0.1:8000") and tolerant("http://localhost:8000")
    assert not tolerant(None) and not tolerant("https://dynamodb.eu-west-1.amazonaws.com")  # AWS: mandatory
    assert tolerant(None, "leave_out") and not tolerant("http://127.0.0.1:8000", "fail")


def test_dynamodb_local_gets_its_tables_without_the_features_it_lacks(sakila, tmp_path):
    from tests.ddb_local_support import dynamodb_local

    contract, catalog = sakila
    with dynamodb_local(tmp_path) as ep:
        strict = AwsClients(region="us-east-1", endpoint_url=ep.url, local_kind=ep.kind, max_attempts=1)
        with pytest.raises(AwsError) as caught:  # as on AWS: a feature refused fails the step
            ensure_tables(contract, catalog, strict, TableOptions(lacking_features="fail"), tables=["Staff"])
        assert "UnknownOperationException" in caught.value.why

        aws = AwsClients(region="us-east-1", endpoint_url=ep.url, local_kind=ep.kind)
        outcomes = ensure_tables(contract, catalog, aws, TableOptions(), tables=["Staff", "Actors"]).outcomes
        staff, actors = sorted(outcomes, key=lambda o: o.table != "Staff")
        assert staff.status == "reused" and actors.status == "created"
        assert any(w.startswith("point-in-time recovery: not supported") for w in staff.warnings)
        lacking = {w.split(":")[0] for w in actors.warnings}
        assert lacking == {"tags", "KMS encryption", "point-in-time recovery"}
        assert len(aws.notes) == 3 and all(ep.url in n and "on AWS it is applied" in n for n in aws.notes)
        described = aws.client("dynamodb").describe_table(TableName="Actors")["Table"]
        assert described["DeletionProtectionEnabled"] and described["StreamSpecification"]["StreamEnabled"]
