"""DynamoDB import from S3 for both front ends: the contract's tables as NEW tables, created by
ImportTable from the DynamoDB JSON the converter writes to S3 (tools/glue/s3_import.py).

Policy, all checked before anything is written: the one write policy (write_policy.authorize:
consent for this call AND the approved contract, as for migrate); DynamoDB Local is refused (it
has neither S3 nor ImportTable); a target table that already exists is refused (ImportTable only
creates tables) with the remedies; the bucket must exist. The dry run shows the S3 prefixes, the
ImportTable requests, the settings applied after the import, and the plan's price and trade-offs
(priced per GB of source data, no write capacity consumed, the table unusable until its import
ends, new tables only); it calls no AWS API and writes nothing. Each run is recorded in the
workspace under s3_imports/.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from pydantic import BaseModel, Field

from mysql2ddb.tools.contract.digest import contract_sha256
from mysql2ddb.tools.core.aws import EMBEDDED, AwsClients, aws_clients
from mysql2ddb.tools.core.errors import ConfigError, ConflictError, InputError
from mysql2ddb.tools.core.pricing import load_prices
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.execution import stages
from mysql2ddb.tools.execution.pipeline import select_tables
from mysql2ddb.tools.execution.plan import copy_plan
from mysql2ddb.tools.execution.plan_extras import GB, S3ImportOption, money
from mysql2ddb.tools.execution.rundir import new_run_id
from mysql2ddb.tools.execution.spec import contract_specs
from mysql2ddb.tools.glue import s3_import as core
from mysql2ddb.tools.usecases.execution import Outcome
from mysql2ddb.tools.usecases.request import Request
from mysql2ddb.tools.usecases.write_policy import authorize, dry_run_notes

RUNS = "s3_imports"
DEFAULT_PREFIX = "mysql2ddb-import"


class S3ImportPreview(BaseModel):
    """A dry run: what a real run would write, and what it would cost."""

    dry_run: bool = True
    endpoint: str
    bucket: str
    prefix: str
    requests: list[dict[str, Any]] = Field(description="the ImportTable request of each table")
    after_import: list[str] = Field(description="applied to each table once its import has ended")
    estimate: S3ImportOption | None = Field(None, description="the copy plan's price and trade-offs of the import")
    notes: list[str] = Field(default_factory=list)

    def summary(self) -> str:
        head = (f"Dry run: {len(self.requests)} table(s) would be written to s3://{self.bucket}/{self.prefix}/<table>/ "
                f"as gzip DynamoDB JSON and created by ImportTable at {self.endpoint}; nothing was written.")
        lines = [head]
        if self.estimate:
            lines.append(f"Estimate: {money(self.estimate.cost_usd)} for {self.estimate.source_bytes / GB:,.3f} GB "
                         f"(the copy would cost {money(self.estimate.write_cost_usd)} of writes). Trade-offs: "
                         + "; ".join(self.estimate.trade_offs) + ".")
        return "\n\n".join(lines + self.notes)

    def tables(self) -> list[Table]:
        return [Table("ImportTable requests", ["table", "S3 prefix", "keys", "GSIs"],
                      [[r["TableCreationParameters"]["TableName"],
                        f"s3://{r['S3BucketSource']['S3Bucket']}/{r['S3BucketSource']['S3KeyPrefix']}",
                        ", ".join(k["AttributeName"] for k in r["TableCreationParameters"]["KeySchema"]),
                        len(r["TableCreationParameters"].get("GlobalSecondaryIndexes") or [])]
                       for r in self.requests])]


class S3ImportResult(BaseModel):
    dry_run: bool = False
    run_id: str
    endpoint: str
    bucket: str
    prefix: str
    ok: bool
    imports: list[core.ImportedTable]
    notes: list[str] = Field(default_factory=list)

    def summary(self) -> str:
        done = [i for i in self.imports if i.status == "COMPLETED" and not i.error_count]
        head = (f"{len(done)} of {len(self.imports)} table(s) imported from s3://{self.bucket}/{self.prefix}/ at "
                f"{self.endpoint} (run {self.run_id}).")
        if self.ok:
            head += (" Verify them against their views with verify_migration (CLI: mysql2ddb verify); it reads the "
                     "views, which create_views makes.")
        return "\n\n".join([head, *self.notes])

    def tables(self) -> list[Table]:
        return [Table("Import from S3", ["table", "items", "rejected", "files", "source MB", "status", "imported",
                                         "errors"],
                      [[i.export.table, i.export.items, i.export.rejected, i.export.files,
                        round(i.export.uncompressed_bytes / 1e6, 2), i.status, i.imported_items, i.error_count]
                       for i in self.imports])]


def _after_import(creates: list[dict[str, Any]]) -> list[str]:
    """What ImportTable does not take, applied to each table once its import has ended."""
    first = creates[0] if creates else {}
    return ([f"streams ({first['StreamSpecification']['StreamViewType']})"] if first.get("StreamSpecification") else []) \
        + (["deletion protection"] if first.get("DeletionProtectionEnabled") else []) \
        + ["point-in-time recovery"] + (["tags"] if first.get("Tags") else [])


def _existing_error(found: list[str]) -> ConflictError:
    return ConflictError(
        f"table(s) {', '.join(found)} already exist: DynamoDB import from S3 only creates new tables",
        where="import from S3: target tables",
        remedy="copy into existing tables with migrate (it reuses a matching table), or delete/rename them yourself, "
               "or rename the tables in the contract (and approve it again), or leave them out with --tables",
        details={"existing": found})


async def import_from_s3(req: Request, contract: str | None = None, dsn: str | None = None, *, bucket: str,
                         prefix: str = DEFAULT_PREFIX, tables: list[str] | None = None,
                         endpoint_url: str | None = None, region: str | None = None, dry_run: bool = False,
                         confirm: bool = False, prices: str | None = None,
                         say: Callable[[str], None] | None = None) -> Outcome[S3ImportPreview | S3ImportResult]:
    model, d = req.contract(contract), req.dsn(dsn)
    endpoint, region_name = req.endpoint(endpoint_url), req.region(region)
    subset = select_tables(model, tables)
    if not bucket.strip() or "/" in bucket:
        raise InputError(f"{bucket!r} is not a bucket name", where="--bucket",
                         remedy="name the bucket alone (the key prefix goes in --prefix)")
    prefix = prefix.strip("/")
    sha = contract_sha256(model)
    if not dry_run:
        authorize(req, "import_from_s3", confirm, sha=sha)  # consent and the approved contract, before any write
    catalog = await stages.validate(model, d)
    creates = stages.table_requests(subset, catalog, AwsClients(region=region_name), {})
    requests = [core.import_table_request(c, bucket, prefix, core.client_token(sha, c)) for c in creates]
    where = endpoint or f"AWS {region_name}"
    if dry_run:  # sends nothing to AWS (as migrate's dry run): the existing-table check runs on the real call
        sheet = load_prices(req.readable(prices, "prices") if prices else req.settings.prices_file)
        plan = await asyncio.to_thread(copy_plan, subset, d, catalog, sheet, progress=req.progress)
        notes = [f"A real run refuses if any of {', '.join(t.table for t in subset.tables)} already exists at "
                 f"{where}: ImportTable only creates new tables.", *dry_run_notes(req, sha)]
        return Outcome(S3ImportPreview(endpoint=where, bucket=bucket, prefix=prefix, requests=requests,
                                       after_import=_after_import(creates), estimate=plan.import_from_s3,
                                       notes=notes))
    said: list[str] = []
    with aws_clients(endpoint, region_name, say=say or said.append, workspace=req.workspace.root) as aws:
        result = await asyncio.to_thread(_run, req, aws, subset, catalog, d, bucket, prefix, creates, requests,
                                         endpoint == EMBEDDED or bool(aws.local_kind))
        result.endpoint = aws.endpoint_url or where
    result.notes[:0] = said
    record = f"{RUNS}/{result.run_id}.json"
    req.workspace.write_json(record, result)
    return Outcome(result, [record])


def _run(req: Request, aws: AwsClients, subset: Any, catalog: Any, dsn: Any, bucket: str, prefix: str,
         creates: list[dict[str, Any]], requests: list[dict[str, Any]], local: bool) -> S3ImportResult:
    if aws.local_kind == "dynamodb-local":
        raise ConfigError("DynamoDB Local has neither S3 nor ImportTable", where="import from S3: endpoint",
                          remedy="use the moto local endpoint (mysql2ddb local start), or AWS; or copy with migrate")
    names = [c["TableName"] for c in creates]
    found = core.existing_tables(aws, names)
    if found:
        raise _existing_error(found)
    core.check_bucket(aws, bucket)
    specs = contract_specs(subset, catalog)
    progress = req.progress
    imports: list[core.ImportedTable] = []
    for done, table in enumerate(subset.tables):
        progress.update("import-s3", done, len(names), f"exporting {table.table} to S3")
        exported = core.export_table(table, catalog, specs[table.table], dsn, aws, bucket, prefix, progress=progress)
        started = core.ImportedTable(export=exported)
        started.import_arn = core.start_import(aws, requests[done])  # it runs while the next table exports
        imports.append(started)
    for done, (item, create) in enumerate(zip(imports, creates)):
        progress.update("import-s3", done, len(names), f"waiting for the import of {item.export.table}")
        core.wait_import(aws, item)
        if item.status == "COMPLETED":
            item.warnings = core.finish_table(aws, create, tolerant=local)
    progress.update("import-s3", len(names), len(names), "imports ended")
    ok = all(i.status == "COMPLETED" and not i.error_count for i in imports)
    notes = [f"{i.export.table}: {w}" for i in imports for w in i.warnings]
    notes += [f"{i.export.table}: import {i.status}" + (f" ({i.failure})" if i.failure else "") +
              (f", {i.error_count} item(s) not imported (see CloudWatch Logs)" if i.error_count else "")
              for i in imports if i.status != "COMPLETED" or i.error_count]
    return S3ImportResult(run_id=new_run_id(), endpoint="", bucket=bucket, prefix=prefix, ok=ok, imports=imports,
                          notes=notes)
