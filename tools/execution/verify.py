"""Verification: does each DynamoDB table hold exactly the items its view produces?

Per table, streamed on both sides at once, never whole in memory:
1. the source (a thread: the view's rows decoded by the copy engine's packet decoder, then the
   same converter the copy uses; rows it rejects are counted, not expected in the target) and the
   target (a parallel Scan fitted to the endpoint, pages parsed with orjson: verify_scan.py) are
   read at the same time; each side folds its items into 256 key-hash buckets of count / XOR / sum
   of item hashes (verify_digest.py) — an order-independent checksum that compares numbers as
   numbers. The first Scan is eventually consistent (half the read units on AWS);
2. only when buckets differ, the target is scanned again with strongly consistent reads, keeping
   the keys and hashes of those buckets (and counting every item, so a stale first read never
   shows as a difference), then the source's, naming the missing, extra and differing keys, with a
   field diff for the first few (the target item fetched with GetItem if it was not kept).

Given the run that copied the tables (`run`: its reject files), the items that run's copy left out
because DynamoDB refused them (reason "DynamoDB refused the item: ...") are not expected either:
their keys are excluded from the source side and counted (`rejected_by_target`). Without a run
(a standalone verify names none) every row the converter accepts is expected, refused ones included.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator

import pymysql
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from sqlglot import exp

from mysql2ddb.tools.core.progress import NullProgress, ProgressSink
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.core.aws import AwsClients, map_aws_error
from mysql2ddb.tools.contract.catalog import Catalog
from mysql2ddb.tools.contract.model import Contract
from mysql2ddb.tools.core.db import STREAM_SECONDS, Dsn, map_db_error, server_flavor, sync_connection, time_limited
from mysql2ddb.tools.execution.convert import RowRejected, build_converter
from mysql2ddb.tools.execution.item_keys import key_text
from mysql2ddb.tools.execution.source_stream import FastRows
from mysql2ddb.tools.execution.spec import table_spec
from mysql2ddb.tools.execution.verify_scan import TableMissing, TargetReader
from mysql2ddb.tools.execution.verify_digest import (Digest, bucket_of, field_diff, item_hash, key_attributes,
                                                      refused_keys)

KEEP_TARGET_ITEMS = 5000  # target items kept in memory for field diffs; beyond, fetched with GetItem


class KeyDiff(BaseModel):
    key: str
    diff: dict[str, dict[str, Any]] = Field(description="attribute -> {source, target} canonical values")


class TableVerification(BaseModel):
    table: str
    ok: bool
    source_count: int = Field(description="items the view yields (rows the converter rejects and repeated keys excluded)")
    target_count: int = Field(description="items in the DynamoDB table")
    mismatches: int = Field(description="missing + extra + differing keys")
    missing: list[str] = Field(default_factory=list, description="first keys in the source, not in the table")
    extra: list[str] = Field(default_factory=list, description="first keys in the table, not in the source")
    differing: list[KeyDiff] = Field(default_factory=list, description="first keys whose items differ, with a field diff")
    rejected: int = Field(0, description="source rows the converter rejects (in the copy's reject file, not expected)")
    duplicates: int = Field(0, description="source rows repeating an earlier row's key (rejected by the copy)")
    rejected_by_target: int = Field(0, description="source rows whose key the run's copy rejected because DynamoDB "
                                                    "refused the item (in the run's reject file; excluded)")
    buckets_differing: int = 0
    seconds: float = 0.0
    note: str | None = None


class VerifyResult(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    ok: bool
    results: list[TableVerification] = Field(alias="tables")
    # the run whose reject files excluded the items DynamoDB refused (None: all expected); kept out
    # of the dump, whose shape front ends rely on: each table's rejected_by_target shows the count
    _run_id: str | None = PrivateAttr(None)

    def summary(self) -> str:
        bad = [r.table for r in self.results if not r.ok]
        refused = sum(r.rejected_by_target for r in self.results)
        if not bad:
            note = f" ({refused:,} item(s) DynamoDB refused, in run {self._run_id}'s reject file, not expected)" \
                if refused else ""
            return f"verified: all {len(self.results)} table(s) hold exactly the items their views produce{note}"
        return f"{len(bad)} of {len(self.results)} table(s) differ from their views: {', '.join(bad)}"

    def tables(self) -> list[Table]:
        out = [Table("Verification", ["table", "source", "target", "mismatches", "rejected", "refused by DynamoDB",
                                      "result"],
                     [[r.table, r.source_count, r.target_count, r.mismatches, r.rejected, r.rejected_by_target,
                       "ok" if r.ok else "DIFFERS"] for r in self.results])]
        rows = [[r.table, "missing", k, ""] for r in self.results for k in r.missing]
        rows += [[r.table, "extra", k, ""] for r in self.results for k in r.extra]
        rows += [[r.table, "differs", d.key, ", ".join(d.diff)] for r in self.results for d in r.differing]
        if rows:
            out.append(Table("First differing keys", ["table", "kind", "key", "attributes"], rows))
        return out


# ---- the two sides -----------------------------------------------------------------------------

def _source_rows(dsn: Dsn, spec: dict[str, Any]) -> Iterator[tuple]:
    query = exp.select(*[sql.col(c["name"]) for c in spec["columns"]]).from_(sql.table(spec["view"]))
    where = f"verify {spec['view']}"
    with sync_connection(dsn, where=where, cursorclass=pymysql.cursors.SSCursor) as conn:
        try:
            with conn.cursor() as cur:
                cur.execute(time_limited(query, STREAM_SECONDS, server_flavor(conn)))
                rows = FastRows(cur)  # PyMySQL's values, decoded ~4x faster (source_stream.py)
                try:
                    for chunk in rows.chunks():
                        yield from chunk
                finally:
                    rows.abandon()
        except pymysql.err.MySQLError as exc:
            raise map_db_error(exc, where, dsn) from None


def _source_items(dsn: Dsn, spec: dict[str, Any], counts: dict[str, int],
                  excluded: set[str] = frozenset()) -> Iterator[tuple[str, dict]]:
    """(key, item) per view row the converter accepts, but the keys in `excluded` (refused by DynamoDB)."""
    convert = build_converter(spec)
    pk, sk = spec["pk"], spec.get("sk")
    for row in _source_rows(dsn, spec):
        counts["read"] += 1
        try:
            item = convert(row)
        except RowRejected:
            counts["rejected"] += 1
            continue
        key = key_text(item, pk, sk)
        if key in excluded:
            counts["excluded"] = counts.get("excluded", 0) + 1
            continue
        yield key, item


# ---- one table ------------------------------------------------------------------------------------

class _TableCheck:
    def __init__(self, spec: dict[str, Any], dsn: Dsn, reader: TargetReader, limit: int,
                 progress: ProgressSink, excluded: set[str] = frozenset()):
        self.spec, self.dsn, self.reader, self.limit = spec, dsn, reader, limit
        self.excluded = excluded  # keys the run's copy rejected because DynamoDB refused the item
        self.progress = progress
        self.table = spec["table"]
        self.segments = reader.segments_for(self.table)
        self.key_names = [spec["pk"]] + ([spec["sk"]] if spec.get("sk") else [])
        self.key_of = lambda item: key_text(item, spec["pk"], spec.get("sk"))

    def _source_digest(self) -> tuple[Digest, dict[str, int]]:
        digest, counts = Digest(), {"read": 0, "rejected": 0, "excluded": 0}
        for key, item in _source_items(self.dsn, self.spec, counts, self.excluded):
            digest.add(key, item_hash(item))
            if counts["read"] % 5000 == 0:
                self.progress.update(f"verify {self.table}", counts["read"], None, "source")
        return digest, counts

    def _target_digest(self) -> Digest | None:
        """The table's digest from an eventually consistent Scan; None when the table does not exist."""
        parts = [Digest() for _ in range(self.segments)]
        try:
            self.reader.scan(self.table, self.segments, lambda s: lambda key, item: parts[s].add(key, item_hash(item)),
                             self.key_of, consistent=False)
        except TableMissing:
            return None
        total = parts[0]
        for part in parts[1:]:
            total.merge(part)
        return total

    def run(self) -> TableVerification:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"verify-{self.table}") as pool:
            scanned = pool.submit(self._target_digest)  # both sides at once: DynamoDB and MySQL work in parallel
            try:
                source, counts = self._source_digest()
            finally:
                found = scanned.result()
        target = found or Digest()
        note = None if found is not None else "the DynamoDB table does not exist"
        buckets = source.differing(target)
        result = TableVerification(table=self.table, ok=True, source_count=source.items, target_count=target.items,
                                   mismatches=0, rejected=counts["rejected"], rejected_by_target=counts["excluded"],
                                   buckets_differing=len(buckets), note=note)
        if buckets:
            self._name_keys(buckets, result, table_exists=note is None)
            self.progress.update(f"verify {self.table}", counts["read"], counts["read"], "differing keys named")
        result.ok = not result.mismatches and result.source_count == result.target_count
        result.seconds = round(time.monotonic() - started, 3)
        return result

    def _name_keys(self, buckets: set[int], result: TableVerification, table_exists: bool) -> None:
        """Second pass over the differing buckets only (strongly consistent): which keys are missing,
        extra or differ. Every item is counted again, so the counts are the consistent read's."""
        seen: list[dict[str, tuple[int, dict | None]]] = [{} for _ in range(self.segments)]
        counted = [0] * self.segments

        def visit(segment: int) -> Callable[[str, dict], None]:
            found = seen[segment]

            def keep(key: str, item: dict) -> None:
                counted[segment] += 1
                if bucket_of(key) in buckets:
                    found[key] = (item_hash(item), item if len(found) * self.segments < KEEP_TARGET_ITEMS else None)
            return keep

        if table_exists:
            try:
                self.reader.scan(self.table, self.segments, visit, self.key_of, consistent=True)
            except TableMissing:  # dropped between the two passes
                seen = [{}]
                result.note = "the DynamoDB table does not exist"
            result.target_count = sum(counted)
        target = {k: v for part in seen for k, v in part.items()}
        status: dict[str, str] = {}
        diffs: dict[str, KeyDiff] = {}
        for key, item in _source_items(self.dsn, self.spec, {"read": 0, "rejected": 0}, self.excluded):
            if bucket_of(key) not in buckets:
                continue
            digest = item_hash(item)
            found = target.get(key)
            if key in status:  # a repeated key: the copy kept one row and rejected the others
                result.duplicates += 1
                result.source_count -= 1
                if status[key] == "differ" and found and found[0] == digest:
                    status[key] = "match"
                    diffs.pop(key, None)
                continue
            status[key] = "missing" if found is None else "match" if found[0] == digest else "differ"
            if status[key] == "differ" and len(diffs) < self.limit:
                diffs[key] = KeyDiff(key=key, diff=field_diff(item, found[1] or self._get(item)))
        missing = [k for k, s in status.items() if s == "missing"]
        extra = [k for k in target if k not in status]
        result.mismatches = len(missing) + len(extra) + sum(1 for s in status.values() if s == "differ")
        result.missing, result.extra = sorted(missing)[:self.limit], sorted(extra)[:self.limit]
        result.differing = list(diffs.values())

    def _get(self, source_item: dict) -> dict | None:
        key = key_attributes(source_item, self.key_names)
        return self.reader.client.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")


def verify_tables(contract: Contract, dsn: Dsn, aws: AwsClients, catalog: Catalog, *, tables: list[str] | None = None,
                  progress: ProgressSink | None = None, segments: int | None = None, limit: int = 20,
                  run: Any = None) -> VerifyResult:
    """Compare every (selected) contract table with its view: counts and per-item checksums. `run`
    (a RunDir, or None): the run that copied them, whose reject files say which items DynamoDB refused.
    `segments`: Scan segments per table (None: fitted to the endpoint, verify_scan.py)."""
    specs = [table_spec(t, catalog) for t in contract.tables if tables is None or t.table in tables]
    return verify_specs(specs, dsn, aws, progress=progress, segments=segments, limit=limit, run=run)


def verify_specs(specs: list[dict[str, Any]], dsn: Dsn, aws: AwsClients, *, progress: ProgressSink | None = None,
                 segments: int | None = None, limit: int = 20, run: Any = None, transport: str = "auto",
                 tables_in_parallel: int | None = None) -> VerifyResult:
    """Several tables are checked at once (None: as many as suit the endpoint, verify_scan.py), each
    reading its two sides at once: a table's round trips and a view's first row overlap the others' work."""
    progress = progress or NullProgress()
    reader = TargetReader(aws, segments=segments, transport=transport)
    tables_in_parallel = tables_in_parallel or reader.tables_in_parallel
    done = 0
    lock = threading.Lock()

    def one(spec: dict[str, Any]) -> TableVerification:
        nonlocal done
        excluded = refused_keys(run.reject_path(spec["table"]), spec["pk"], spec.get("sk")) if run else set()
        try:
            checked = _TableCheck(spec, dsn, reader, limit, progress, excluded).run()
        except (ClientError, BotoCoreError) as exc:
            raise map_aws_error(exc, f"verify {spec['table']}") from None
        with lock:
            done += 1
            progress.update("verify", done, len(specs), f"{spec['table']}: {'ok' if checked.ok else 'DIFFERS'}")
        return checked

    progress.update("verify", 0, len(specs), "reading both sides")
    with ThreadPoolExecutor(max_workers=max(1, min(tables_in_parallel, len(specs))),
                            thread_name_prefix="verify") as pool:
        results = list(pool.map(one, specs))
    progress.update("verify", len(specs), len(specs), "verified")
    result = VerifyResult(ok=all(r.ok for r in results), tables=results)
    result._run_id = getattr(run, "run_id", None)
    return result
