"""DynamoDB tables from the contract: CreateTable requests (on-demand, GSIs with their projections,
streams with old and new images, point-in-time recovery, KMS encryption, deletion protection,
tags, optional WarmThroughput), created idempotently.

A table that already exists is compared with the request: when its key schema, key attribute
types and GSIs match, it is reused; when they differ, every differing field is reported and the
table is left exactly as it is (never modified, never deleted). Differences in settings a copy
does not depend on (stream, PITR, encryption, deletion protection, billing) are reported as
warnings on a reused table.
"""

from __future__ import annotations

from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field

from mysql2ddb.tools.core.progress import NullProgress, ProgressSink
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.core.aws import AwsClients, map_aws_error
from mysql2ddb.tools.contract.catalog import Catalog
from mysql2ddb.tools.contract.model import Contract, ContractTable
from mysql2ddb.tools.execution.spec import key_types

__all__ = ["TableOptions", "TableOutcome", "TablesResult", "FieldDifference", "key_types", "create_table_request",
           "ensure_tables", "compare_table"]


class TableOptions(BaseModel):
    streams: bool = Field(True, description="DynamoDB Streams with NEW_AND_OLD_IMAGES (for CDC and downstream consumers)")
    point_in_time_recovery: bool = Field(True, description="enable PITR once the table is ACTIVE")
    encryption: Literal["AWS_OWNED", "AWS_MANAGED_KMS", "CUSTOMER_KMS"] = Field(
        "AWS_MANAGED_KMS", description="server-side encryption key: AWS owned, the aws/dynamodb KMS key, or kms_key_id")
    kms_key_id: str | None = Field(None, description="KMS key id/ARN/alias for CUSTOMER_KMS")
    deletion_protection: bool = Field(True, description="refuse DeleteTable until it is turned off")
    tags: dict[str, str] = Field(default_factory=lambda: {"created-by": "mysql2ddb"})
    warm_throughput: dict[str, Any] | None = Field(
        None, description="CreateTable additions from the copy plan: {'WarmThroughput': {...}, "
                          "'GlobalSecondaryIndexes': [{'IndexName', 'WarmThroughput'}]} (or just the WarmThroughput map)")
    wait_seconds: int = Field(600, ge=0, description="how long to wait for a new table to become ACTIVE")


class FieldDifference(BaseModel):
    field: str
    existing: Any = None
    expected: Any = None


class TableOutcome(BaseModel):
    table: str
    status: Literal["created", "reused", "conflict", "planned"]
    differences: list[FieldDifference] = Field(default_factory=list,
                                               description="fields of the existing table that differ (conflict)")
    warnings: list[str] = Field(default_factory=list)
    request: dict[str, Any] | None = Field(None, description="the CreateTable request (dry run and created tables)")
    arn: str | None = None


class TablesResult(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    dry_run: bool = False
    outcomes: list[TableOutcome] = Field(alias="tables")

    @property
    def conflicts(self) -> list[TableOutcome]:
        return [t for t in self.outcomes if t.status == "conflict"]

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for t in self.outcomes:
            counts[t.status] = counts.get(t.status, 0) + 1
        text = ", ".join(f"{n} {status}" for status, n in counts.items()) or "no tables"
        if self.conflicts:
            text += "; conflicting tables were left untouched: " + ", ".join(t.table for t in self.conflicts)
        return ("dry run: " if self.dry_run else "") + text

    def tables(self) -> list[Table]:
        rows = [[t.table, t.status, "; ".join(f"{d.field}: existing {d.existing!r}, contract {d.expected!r}"
                                              for d in t.differences), "; ".join(t.warnings)] for t in self.outcomes]
        return [Table("DynamoDB tables", ["table", "status", "differences", "warnings"], rows)]


def _key_schema(pk: str, sk: str | None) -> list[dict[str, str]]:
    return [{"AttributeName": pk, "KeyType": "HASH"}] + ([{"AttributeName": sk, "KeyType": "RANGE"}] if sk else [])


def _projection(gsi: Any) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": gsi.projection}
    if gsi.projection == "INCLUDE":
        projection["NonKeyAttributes"] = list(gsi.projected_attributes or [])
    return projection


def _warm_additions(options: TableOptions) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    warm = options.warm_throughput or {}
    if "WriteUnitsPerSecond" in warm or "ReadUnitsPerSecond" in warm:
        return dict(warm), {}
    per_index = {g["IndexName"]: g["WarmThroughput"] for g in warm.get("GlobalSecondaryIndexes", [])
                 if g.get("IndexName") and g.get("WarmThroughput")}
    return warm.get("WarmThroughput"), per_index


def create_table_request(table: ContractTable, key_types: dict[str, str], options: TableOptions) -> dict[str, Any]:
    """boto3 `create_table` keyword arguments for one contract table."""
    used = list(dict.fromkeys([table.pk] + ([table.sk] if table.sk else []) +
                              [n for g in table.gsis or [] for n in (g.pk, g.sk) if n]))
    request: dict[str, Any] = {
        "TableName": table.table,
        "KeySchema": _key_schema(table.pk, table.sk),
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": key_types.get(n, "S")} for n in used],
        "BillingMode": "PAY_PER_REQUEST",
        "DeletionProtectionEnabled": options.deletion_protection,
    }
    warm, warm_indexes = _warm_additions(options)
    if table.gsis:
        request["GlobalSecondaryIndexes"] = []
        for gsi in table.gsis:
            index: dict[str, Any] = {"IndexName": gsi.index_name, "KeySchema": _key_schema(gsi.pk, gsi.sk),
                                     "Projection": _projection(gsi)}
            if gsi.index_name in warm_indexes:
                index["WarmThroughput"] = warm_indexes[gsi.index_name]
            request["GlobalSecondaryIndexes"].append(index)
    if options.streams:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if options.encryption != "AWS_OWNED":
        request["SSESpecification"] = {"Enabled": True, "SSEType": "KMS"}
        if options.encryption == "CUSTOMER_KMS" and options.kms_key_id:
            request["SSESpecification"]["KMSMasterKeyId"] = options.kms_key_id
    if options.tags:
        request["Tags"] = [{"Key": k, "Value": v} for k, v in options.tags.items()]
    if warm:
        request["WarmThroughput"] = warm
    return request


def _keys(schema: list[dict[str, str]] | None) -> list[str]:
    return [f"{k['AttributeName']} ({k['KeyType']})" for k in schema or []]


def _projection_text(projection: dict[str, Any] | None) -> str:
    projection = projection or {}
    extra = sorted(projection.get("NonKeyAttributes") or [])
    return projection.get("ProjectionType", "?") + (f" {extra}" if extra else "")


def compare_table(existing: dict[str, Any], request: dict[str, Any]) -> tuple[list[FieldDifference], list[str]]:
    """(structural differences, setting warnings) between a DescribeTable result and a request."""
    diffs: list[FieldDifference] = []
    if _keys(existing.get("KeySchema")) != _keys(request["KeySchema"]):
        diffs.append(FieldDifference(field="KeySchema", existing=_keys(existing.get("KeySchema")),
                                     expected=_keys(request["KeySchema"])))
    have = {a["AttributeName"]: a["AttributeType"] for a in existing.get("AttributeDefinitions", [])}
    for attr in request["AttributeDefinitions"]:
        name, wanted = attr["AttributeName"], attr["AttributeType"]
        if name in have and have[name] != wanted:
            diffs.append(FieldDifference(field=f"AttributeDefinitions.{name}", existing=have[name], expected=wanted))
    old = {g["IndexName"]: g for g in existing.get("GlobalSecondaryIndexes") or []}
    new = {g["IndexName"]: g for g in request.get("GlobalSecondaryIndexes") or []}
    for name in sorted(set(old) | set(new)):
        if name not in old or name not in new:
            diffs.append(FieldDifference(field=f"GlobalSecondaryIndexes.{name}",
                                         existing="present" if name in old else "absent",
                                         expected="present" if name in new else "absent"))
            continue
        if _keys(old[name].get("KeySchema")) != _keys(new[name]["KeySchema"]):
            diffs.append(FieldDifference(field=f"GlobalSecondaryIndexes.{name}.KeySchema",
                                         existing=_keys(old[name].get("KeySchema")), expected=_keys(new[name]["KeySchema"])))
        if _projection_text(old[name].get("Projection")) != _projection_text(new[name]["Projection"]):
            diffs.append(FieldDifference(field=f"GlobalSecondaryIndexes.{name}.Projection",
                                         existing=_projection_text(old[name].get("Projection")),
                                         expected=_projection_text(new[name]["Projection"])))
    if existing.get("TableStatus") in ("DELETING", "ARCHIVING", "ARCHIVED", "INACCESSIBLE_ENCRYPTION_CREDENTIALS"):
        diffs.append(FieldDifference(field="TableStatus", existing=existing["TableStatus"], expected="ACTIVE"))
    return diffs, _setting_warnings(existing, request)


def _setting_warnings(existing: dict[str, Any], request: dict[str, Any]) -> list[str]:
    warnings = []
    billing = (existing.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
    if billing != request["BillingMode"]:
        warnings.append(f"billing mode is {billing}, the contract's tables are {request['BillingMode']}")
    stream = existing.get("StreamSpecification") or {}
    wanted_stream = request.get("StreamSpecification")
    if wanted_stream and (not stream.get("StreamEnabled") or stream.get("StreamViewType") != wanted_stream["StreamViewType"]):
        warnings.append(f"stream is {stream.get('StreamViewType') or 'off'}, wanted {wanted_stream['StreamViewType']}")
    if "SSESpecification" in request and (existing.get("SSEDescription") or {}).get("Status") != "ENABLED":
        warnings.append("encryption uses the AWS owned key, not KMS")
    if request.get("DeletionProtectionEnabled") and not existing.get("DeletionProtectionEnabled"):
        warnings.append("deletion protection is off")
    return warnings


def _describe(client: Any, name: str) -> dict[str, Any] | None:
    try:
        return client.describe_table(TableName=name)["Table"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise


def _pitr_enabled(client: Any, name: str) -> bool:
    description = client.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    return (description.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus") == "ENABLED"


def _ensure_one(client: Any, table: ContractTable, request: dict[str, Any], options: TableOptions) -> TableOutcome:
    existing = _describe(client, table.table)
    if existing is not None:
        diffs, warnings = compare_table(existing, request)
        if diffs:
            return TableOutcome(table=table.table, status="conflict", differences=diffs, warnings=warnings,
                                arn=existing.get("TableArn"))
        if options.point_in_time_recovery and not _pitr_enabled(client, table.table):
            warnings.append("point-in-time recovery is off")
        return TableOutcome(table=table.table, status="reused", warnings=warnings, arn=existing.get("TableArn"))
    created = client.create_table(**request)["TableDescription"]
    if options.wait_seconds:
        delay = 1 if created.get("TableStatus") == "ACTIVE" else 5
        client.get_waiter("table_exists").wait(
            TableName=table.table, WaiterConfig={"Delay": delay, "MaxAttempts": max(1, options.wait_seconds // delay)})
    if options.point_in_time_recovery:
        client.update_continuous_backups(TableName=table.table,
                                         PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    return TableOutcome(table=table.table, status="created", request=request, arn=created.get("TableArn"))


def ensure_tables(contract: Contract, catalog: Catalog, aws: AwsClients, options: TableOptions | None = None, *,
                  dry_run: bool = False, progress: ProgressSink | None = None,
                  tables: list[str] | None = None) -> TablesResult:
    """Create each contract table, or reuse a matching one; a differing one is reported field by
    field (status "conflict") and left untouched. dry_run: the requests only, no AWS call."""
    options = options or TableOptions()
    progress = progress or NullProgress()
    selected = [t for t in contract.tables if tables is None or t.table in tables]
    requests = [(t, create_table_request(t, key_types(t, catalog), options)) for t in selected]
    if dry_run:
        return TablesResult(dry_run=True, tables=[TableOutcome(table=t.table, status="planned", request=r)
                                                  for t, r in requests])
    client = aws.client("dynamodb")
    outcomes = []
    for done, (table, request) in enumerate(requests):
        progress.update("tables", done, len(requests), table.table)
        try:
            outcomes.append(_ensure_one(client, table, request, options))
        except (ClientError, BotoCoreError) as exc:
            raise map_aws_error(exc, f"DynamoDB table {table.table}") from None
    progress.update("tables", len(requests), len(requests), "tables ready")
    return TablesResult(tables=outcomes)
