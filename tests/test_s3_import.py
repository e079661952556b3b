"""DynamoDB import from S3 on a moto server: the S3 objects (gzip DynamoDB JSON, one item a line)
hold exactly the items of shared/corpora/sakila/contract-expected.json, and moto's ImportTable
(moto implements it: DYNAMODB_JSON, GZIP or none) builds tables that match it too, with the
settings ImportTable does not take applied afterwards; an existing table is refused before
anything is written; the dry run writes nothing and shows the plan's trade-offs; the plan prices
verification's reads and the import. Reads the read-only m2d_sakila (the export reads each view's
SELECT as a derived table: nothing is written to MySQL)."""

from __future__ import annotations

import gzip
import json

import orjson
import pytest
from typer.testing import CliRunner

from mysql2ddb.server.cli.main import app
from mysql2ddb.tools.contract.load import load_contract
from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.approvals import record_approval
from mysql2ddb.tools.core.errors import ConflictError
from mysql2ddb.tools.core.pricing import load_prices
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.execution.plan import PlanOptions, copy_plan
from mysql2ddb.tools.contract.catalog import read_catalog_sync
from mysql2ddb.tools.glue.s3_import import CREATION_KEYS
from mysql2ddb.tools.modeling.gate_views import current_sha256
from mysql2ddb.tools.usecases.request import Request
from mysql2ddb.tools.usecases.s3_import import import_from_s3
from tests.expected_items import assert_matches_expected, compare_table, load_expected

BUCKET = "m2d-s3-import"
TABLES = ["Actors", "Staff"]


@pytest.fixture
def ws(settings, sakila_dir) -> Workspace:
    """The shared Sakila contract in the workspace, approved."""
    workspace = Workspace(settings.workdir)
    workspace.write_text("contract.json", (sakila_dir / "contract.json").read_text())
    record_approval(workspace, "contract", "contract.json", "approved", None, None,
                    current_sha256(workspace, "contract"), via="test")
    return workspace


def s3_items(aws, table: str) -> tuple[list[str], list[dict]]:
    """The object keys under the table's prefix and the items of their lines."""
    s3 = aws.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"mysql2ddb-import/{table}/").get("Contents", [])]
    items = []
    for key in keys:
        for line in gzip.decompress(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()).splitlines():
            record = orjson.loads(line)
            assert set(record) == {"Item"}
            items.append(record["Item"])
    return keys, items


async def test_import_writes_dynamodb_json_and_imports_new_tables(ws, settings, sakila_dsn, sakila_dir, aws):
    aws.client("s3").create_bucket(Bucket=BUCKET)
    req = Request.of(settings, Caller.CLI)
    outcome = await import_from_s3(req, dsn=sakila_dsn.url(), bucket=BUCKET, tables=TABLES,
                                   endpoint_url=aws.endpoint_url, confirm=True)
    result = outcome.result
    assert result.ok, result.model_dump()
    assert {i.export.table: (i.status, i.export.items, i.imported_items, i.error_count) for i in result.imports} == \
        {"Actors": ("COMPLETED", 200, 200, 0), "Staff": ("COMPLETED", 2, 2, 0)}
    assert ws.exists(outcome.artifacts[0])

    expected = {t["table"]: t for t in load_expected(sakila_dir)["tables"]}
    for table in TABLES:  # the files themselves: exactly the contract's expected items
        keys, items = s3_items(aws, table)
        assert keys == [f"mysql2ddb-import/{table}/part-00000.json.gz"]
        assert not compare_table(items, expected[table])
    client = aws.client("dynamodb")
    assert_matches_expected(client, sakila_dir, TABLES)  # and the tables ImportTable built from them
    staff = client.describe_table(TableName="Staff")["Table"]
    assert staff["StreamSpecification"]["StreamEnabled"] and staff["DeletionProtectionEnabled"]
    backups = client.describe_continuous_backups(TableName="Staff")["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"

    # the plan measures what the import reads, byte for byte, and prices verification's Scan
    contract = load_contract(ws.path("contract.json"))
    plan = copy_plan(contract, sakila_dsn, read_catalog_sync(sakila_dsn), load_prices(), PlanOptions(tables=TABLES))
    exported = {i.export.table: i.export.uncompressed_bytes for i in result.imports}
    assert {t.table: t.import_bytes for t in plan.table_plans} == exported
    assert plan.import_from_s3.source_bytes == sum(exported.values())
    assert len(plan.import_from_s3.trade_offs) == 4 and "new tables" in plan.summary().lower()
    actors = plan.table("Actors")
    # one eventually consistent Scan: half a read unit per 4 KB of items (rounded up)
    assert -0.01 <= actors.verify_read_units - actors.avg_item_bytes * actors.items / 4096 * 0.5 <= 0.5
    assert plan.verify_cost_usd == pytest.approx(plan.verify_read_units * 0.125 / 1e6)
    assert "eventually consistent Scan" in plan.summary()

    # a second run: the tables exist, ImportTable cannot load into them: refused before any write
    objects = aws.client("s3").list_objects_v2(Bucket=BUCKET)["KeyCount"]
    with pytest.raises(ConflictError) as info:
        await import_from_s3(req, dsn=sakila_dsn.url(), bucket=BUCKET, tables=TABLES, endpoint_url=aws.endpoint_url,
                             confirm=True)
    assert "only creates new tables" in info.value.why and "migrate" in info.value.remedy
    assert aws.client("s3").list_objects_v2(Bucket=BUCKET)["KeyCount"] == objects


async def test_dry_run_shows_requests_and_trade_offs_over_mcp_and_writes_nothing(ws, sakila_dsn, aws, mcp_client):
    aws.client("s3").create_bucket(Bucket=BUCKET)
    res = await mcp_client.call_tool("import_from_s3", {"bucket": BUCKET, "dsn": sakila_dsn.url(), "tables": TABLES,
                                                        "endpoint_url": aws.endpoint_url, "dry_run": True})
    preview = res.structured_content
    assert preview["dry_run"] and len(preview["requests"]) == 2
    request = preview["requests"][0]
    assert request["InputFormat"] == "DYNAMODB_JSON" and request["InputCompressionType"] == "GZIP"
    assert request["S3BucketSource"] == {"S3Bucket": BUCKET, "S3KeyPrefix": "mysql2ddb-import/Actors/"}
    assert set(request["TableCreationParameters"]) <= set(CREATION_KEYS) and request["ClientToken"]
    assert "point-in-time recovery" in preview["after_import"]
    assert any("per GB" in t for t in preview["estimate"]["trade_offs"])
    assert "ImportTable requests" in res.content[0].text
    assert aws.client("dynamodb").list_tables()["TableNames"] == []
    assert "Contents" not in aws.client("s3").list_objects_v2(Bucket=BUCKET)


def test_cli_refuses_without_yes_and_dry_runs(ws, workdir, sakila_dsn, aws):
    runner = CliRunner()
    base = ["--workdir", str(workdir), "import-s3", "--bucket", BUCKET, "--dsn", sakila_dsn.url(),
            "--endpoint-url", aws.endpoint_url, "--tables", "Staff"]
    refused = runner.invoke(app, base, catch_exceptions=False)
    assert refused.exit_code == 2 and "--yes" in refused.output
    dry = runner.invoke(app, [*base, "--dry-run", "--json"], catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["requests"][0]["TableCreationParameters"]["TableName"] == "Staff"
    assert aws.client("dynamodb").list_tables()["TableNames"] == []
