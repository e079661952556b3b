"""DynamoDB tables from the contract: CreateTable requests (on-demand, GSIs with their projections,
streams with old and new images, point-in-time recovery, KMS encryption, deletion protection,
tags, optional WarmThroughput), created idempotently.

A table that already exists is compared with the request: when its key schema, key attribute
types and GSIs match, it is reused; when they differ, every differing field is reported and the
table is left exactly as it is (never modified, never deleted). Differences in settings a copy
does not depend on (stream, PITR, encryption, deletion protection, billing) are reported as
warnings on a reused table.

An endpoint on this machine (moto, DynamoDB Local: no tagging, no PITR, no KMS) may lack a table
feature: there the table is made without it and the feature is named in the table's warnings and
in `aws.notes` (the report's notes), never a failed run. On AWS every feature stays mandatory (its
refusal fails the step) unless it is turned off in TableOptions or `lacking_features="leave_out"`.
"""

from __future__ import annotations

from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field

from mysql2ddb.tools.core.progress import NullProgress, ProgressSink
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.core.aws import AwsClients, map_aws_error
from mysql2ddb.tools.core.endpoints import is_loopback
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
    lacking_features: Literal["auto", "leave_out", "fail"] = Field(
        "auto", description="a feature the endpoint does not support (tags, PITR, KMS encryption, streams, deletion "
                            "protection, warm throughput): 'auto' leaves it out with a note on an endpoint on this "
                            "machine and fails on AWS; 'leave_out' and 'fail' do so everywhere")


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


_UNSUPPORTED_WORDS = ("not supported", "unsupported", "not been implemented", "not implemented")
# CreateTable parts a table can exist without, in the order they are given up on a refusal
_OPTIONAL_PARTS = {"Tags": "tags", "WarmThroughput": "warm throughput", "SSESpecification": "KMS encryption",
                   "DeletionProtectionEnabled": "deletion protection", "StreamSpecification": "streams"}


class _Features:
    """Which table features this endpoint may go without, and the notes saying which it did."""

    def __init__(self, aws: AwsClients, options: TableOptions):
        local = bool(aws.endpoint_url) and is_loopback(aws.endpoint_url or "")
        self.aws = aws
        self.tolerant = options.lacking_features == "leave_out" or (options.lacking_features == "auto" and local)

    def unsupported(self, exc: ClientError) -> bool:
        err = exc.response.get("Error", {})
        code, message = err.get("Code", ""), str(err.get("Message", "")).lower()
        return self.tolerant and (code == "UnknownOperationException" or (
            code in ("ValidationException", "NotImplemented") and any(w in message for w in _UNSUPPORTED_WORDS)))

    def left_out(self, feature: str, warnings: list[str], why: str = "") -> None:
        warnings.append(f"{feature}: not supported by this endpoint{f' ({why})' if why else ''}; the table has none")
        self.aws.note(f"{self.aws.endpoint_url} does not support {feature}: the tables were made without it "
                      "(on AWS it is applied)")


def _message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))[:200]


def _create(client: Any, request: dict[str, Any], features: _Features, warnings: list[str]) -> dict[str, Any]:
    try:
        return client.create_table(**request)["TableDescription"]
    except ClientError as exc:
        if not features.unsupported(exc):
            raise
        bare = {k: v for k, v in request.items() if k not in _OPTIONAL_PARTS}  # then say what the table lacks
        bare["GlobalSecondaryIndexes"] = [{k: v for k, v in g.items() if k != "WarmThroughput"}
                                          for g in request.get("GlobalSecondaryIndexes") or []] or None
        if bare["GlobalSecondaryIndexes"] is None:
            del bare["GlobalSecondaryIndexes"]
        if "WarmThroughput" in request:
            features.left_out("warm throughput", warnings, _message(exc))
        return client.create_table(**bare)["TableDescription"]


def _check_features(client: Any, name: str, request: dict[str, Any], features: _Features,
                    warnings: list[str]) -> None:
    """On an endpoint that may lack features, say which of the requested ones the table did not get
    (DynamoDB Local accepts tags and KMS in CreateTable and drops them)."""
    table = client.describe_table(TableName=name)["Table"]
    if request.get("StreamSpecification") and not (table.get("StreamSpecification") or {}).get("StreamEnabled"):
        features.left_out("streams", warnings)
    if request.get("SSESpecification") and (table.get("SSEDescription") or {}).get("Status") != "ENABLED":
        features.left_out("KMS encryption", warnings)
    if request.get("DeletionProtectionEnabled") and not table.get("DeletionProtectionEnabled"):
        features.left_out("deletion protection", warnings)
    if request.get("Tags"):
        try:
            tags = client.list_tags_of_resource(ResourceArn=table["TableArn"]).get("Tags", [])
        except ClientError as exc:
            if not features.unsupported(exc):
                raise
            features.left_out("tags", warnings, _message(exc))
            return
        if not tags:
            features.left_out("tags", warnings)


def _pitr(client: Any, name: str, enable: bool, features: _Features, warnings: list[str]) -> bool | None:
    """Turn PITR on (enable) or read whether it is on; None where the endpoint has no PITR."""
    try:
        if enable:
            client.update_continuous_backups(TableName=name,
                                             PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
            return True
        return _pitr_enabled(client, name)
    except ClientError as exc:
        if not features.unsupported(exc):
            raise
        features.left_out("point-in-time recovery", warnings, _message(exc))
        return None


def _ensure_one(client: Any, table: ContractTable, request: dict[str, Any], options: TableOptions,
                features: _Features) -> TableOutcome:
    existing = _describe(client, table.table)
    if existing is not None:
        diffs, warnings = compare_table(existing, request)
        if diffs:
            return TableOutcome(table=table.table, status="conflict", differences=diffs, warnings=warnings,
                                arn=existing.get("TableArn"))
        if options.point_in_time_recovery and _pitr(client, table.table, False, features, warnings) is False:
            warnings.append("point-in-time recovery is off")
        return TableOutcome(table=table.table, status="reused", warnings=warnings, arn=existing.get("TableArn"))
    warnings = []
    created = _create(client, request, features, warnings)
    if options.wait_seconds:
        delay = 1 if created.get("TableStatus") == "ACTIVE" else 5
        client.get_waiter("table_exists").wait(
            TableName=table.table, WaiterConfig={"Delay": delay, "MaxAttempts": max(1, options.wait_seconds // delay)})
    if features.tolerant:
        _check_features(client, table.table, request, features, warnings)
    if options.point_in_time_recovery:
        _pitr(client, table.table, True, features, warnings)
    return TableOutcome(table=table.table, status="created", request=request, warnings=warnings,
                        arn=created.get("TableArn"))


def ensure_tables(contract: Contract, catalog: Catalog, aws: AwsClients, options: TableOptions | None = None, *,
                  dry_run: bool = False, progress: ProgressSink | None = None,
                  tables: list[str] | None = None, client: Any = None) -> TablesResult:
    """Create each contract table, or reuse a matching one; a differing one is reported field by
    field (status "conflict") and left untouched. dry_run: the requests only, no AWS call.
    `client`: the DynamoDB port's boto3-shaped client (e.g. through the team's AWS MCP server,
    tools/downstream/mcp_aws.py); None: boto3 on `aws`."""
    options = options or TableOptions()
    progress = progress or NullProgress()
    selected = [t for t in contract.tables if tables is None or t.table in tables]
    requests = [(t, create_table_request(t, key_types(t, catalog), options)) for t in selected]
    if dry_run:
        return TablesResult(dry_run=True, tables=[TableOutcome(table=t.table, status="planned", request=r)
                                                  for t, r in requests])
    client = client or aws.client("dynamodb")
    features = _Features(aws, options)
    outcomes = []
    for done, (table, request) in enumerate(requests):
        progress.update("tables", done, len(requests), table.table)
        try:
            outcomes.append(_ensure_one(client, table, request, options, features))
        except (ClientError, BotoCoreError) as exc:
            raise map_aws_error(exc, f"DynamoDB table {table.table}") from None
    progress.update("tables", len(requests), len(requests), "tables ready")
    return TablesResult(tables=outcomes)
