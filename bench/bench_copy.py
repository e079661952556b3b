"""`make bench` (copy part): our copy engine against the naive copy, on two endpoints, in one run.

Source: a 600,000-row OLTP table in the local MariaDB (`m2d_bench_copy.orders`: BIGINT id, INT,
DECIMAL, DATETIME, ENUM, nullable VARCHAR, SMALLINT), migrated through the real contract path
(view, spec, converter). Endpoints: a latency endpoint (bench/latency_endpoint.py: BatchWriteItem
answered after 10 ms, like a region, keys counted) and a moto server. Writers, each in its own
process so that CPU time and peak RSS are its own:
  naive   - bench/naive_copy.py: one thread, buffered fetch, TypeSerializer, BatchWriteItem of 25
  engine  - tools/execution/copy_engine.py with its defaults
  ceiling - (moto only) the engine's own requests (same batch size, same number in flight) built
            beforehand and only sent: the most that moto server takes from a writer, the reference
            for "0.8x the best rate any writer reaches"
Targets (issue 7): engine >= 20x naive behind 10 ms with every key received once; <= 15 us of
engine CPU per item (process CPU around the copy, startup aside); on moto >= 0.8x the best writer;
peak RSS < 300 MB.

    python -m bench.bench_copy [--rows N] [--writers naive,engine,ceiling] [--endpoints latency,moto]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from sqlglot import exp

from mysql2ddb.tools.core import sql
from mysql2ddb.tools.core.aws import AwsClients, MotoServer
from mysql2ddb.tools.core.db import Dsn, sync_connection

ROWS = 600_000
DATABASE = "m2d_bench_copy"
TABLE = "BenchOrders"
OUT = Path(__file__).resolve().parent / ".out"
MYSQL_URL = os.environ.get("MYSQL2DDB_BENCH_MYSQL", "mysql://root@127.0.0.1:3306")

_SOURCE_DDL = (
    "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(10,2) NOT NULL,"
    " created_at DATETIME NOT NULL, status ENUM('new','paid','shipped','cancelled') NOT NULL,"
    " note VARCHAR(64) NULL, qty SMALLINT NOT NULL)"
)
CONTRACT: dict[str, Any] = {"tables": [{
    "table": TABLE, "type": "single-entity", "source_table": "orders", "pk": "id", "sk": None,
    "attributes": [
        {"name": name, "type": ddb_type, "source_table": "orders", "source_column": name}
        for name, ddb_type in [("id", "N"), ("customer_id", "N"), ("amount", "N"), ("created_at", "S"),
                               ("status", "S"), ("note", "S"), ("qty", "N")]
    ],
    "satisfies": ["get an order by id"], "estimated_item_size_bytes": 150,
}]}


# ---- source ----------------------------------------------------------------------------------------

def build_source(rows: int) -> Dsn:
    """m2d_bench_copy.orders with `rows` rows (rebuilt only when the count differs)."""
    dsn = Dsn.parse(f"{MYSQL_URL}/{DATABASE}")
    with sync_connection(dsn.with_database(""), where="bench database") as conn, conn.cursor() as cur:
        cur.execute(sql.driver_sql(sql.create_database(DATABASE, if_not_exists=True)))
    with sync_connection(dsn, where="bench table") as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME = 'orders'",
                    (DATABASE,))
        if cur.fetchone()[0]:
            cur.execute("SELECT COUNT(*) FROM orders")
            if cur.fetchone()[0] == rows:
                return dsn
        print(f"building {DATABASE}.orders with {rows:,} rows ...", file=sys.stderr, flush=True)
        cur.execute("DROP TABLE IF EXISTS orders")
        cur.execute(_SOURCE_DDL)
        seq = sql.table(f"seq_1_to_{int(rows)}")  # MariaDB's SEQUENCE engine
        n = sql.col("seq")
        fill = exp.select(
            n, exp.Mod(this=exp.Mul(this=n, expression=exp.Literal.number(7919)), expression=exp.Literal.number(100000)),
            exp.Div(this=exp.Mod(this=exp.Mul(this=n, expression=exp.Literal.number(37)),
                                 expression=exp.Literal.number(100000)), expression=exp.Literal.number(100)),
            sql.parse_expression("TIMESTAMP '2020-01-01 00:00:00' + INTERVAL (seq * 13) SECOND"),
            sql.parse_expression("ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'cancelled')"),
            sql.parse_expression("IF(seq % 3 = 0, NULL, CONCAT('note ', seq))"),
            sql.parse_expression("seq % 1000"),
        ).from_(seq)
        cur.execute(sql.driver_sql(exp.Insert(this=sql.table("orders"), expression=fill)), ())
    return dsn


def prepare(dsn: Dsn) -> dict[str, Any]:
    """The table's conversion spec through the real contract path: view, catalog, spec."""
    from mysql2ddb.tools.contract.catalog import read_catalog_sync
    from mysql2ddb.tools.contract.load import load_contract
    from mysql2ddb.tools.execution.spec import contract_specs
    from mysql2ddb.tools.execution.views import apply_views

    contract = load_contract(CONTRACT)
    asyncio.run(apply_views(contract, dsn))
    return contract_specs(contract, read_catalog_sync(dsn))[TABLE]


# ---- writers (each in a child process) ---------------------------------------------------------------

def _measure(kind: str, endpoint: str, run: Any) -> dict[str, Any]:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    outcome = run()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    items = outcome["items"]
    return {
        "writer": kind, "endpoint": endpoint, "items": items, "seconds": round(wall, 2),
        "items_per_s": round(items / wall, 1) if wall else 0.0,
        "cpu_us_per_item": round(cpu / items * 1e6, 2) if items else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), **outcome,
    }


def worker(kind: str, endpoint: str, url: str, spec_path: Path) -> dict[str, Any]:
    spec = json.loads(spec_path.read_text())
    dsn = Dsn.parse(f"{MYSQL_URL}/{DATABASE}")
    aws = AwsClients(endpoint_url=url)
    if kind == "naive":
        from bench.naive_copy import naive_copy

        aws.client("dynamodb")  # client creation is startup
        return _measure(kind, endpoint, lambda: naive_copy(dsn, aws, TABLE, spec["view"]))
    if kind == "engine":
        from mysql2ddb.tools.execution.copy_engine import copy_tables
        from mysql2ddb.tools.execution.rundir import RunDir

        run_dir = RunDir.create(tempfile.mkdtemp(prefix="m2d-bench-"), CONTRACT)
        aws.client("dynamodb")  # the boto3 session (credentials, endpoint data) is startup, as for naive
        import mysql2ddb.tools.execution.convert  # noqa: F401 - imports are startup

        def copy() -> dict[str, Any]:
            (stats,) = asyncio.run(copy_tables({TABLE: spec}, dsn, aws, run_dir))
            return {"items": stats.written, "read": stats.read, "rejected": stats.rejected, "retried": stats.retried}

        return _measure(kind, endpoint, copy)
    if kind == "ceiling":
        from mysql2ddb.tools.execution.copy_engine import CopyOptions, resolve_options

        options = asyncio.run(resolve_options(CopyOptions(), aws))  # the engine's own batch size and concurrency
        bodies = _prebuilt_bodies(spec, dsn, options.batch_size)
        return _measure(kind, endpoint, lambda: asyncio.run(_send_all(aws, bodies, options.concurrency)))
    raise SystemExit(f"unknown writer {kind}")


def _prebuilt_bodies(spec: dict[str, Any], dsn: Dsn, batch_size: int) -> list[tuple[bytes, int]]:
    import io

    from mysql2ddb.tools.execution.batcher import iter_batches
    from mysql2ddb.tools.execution.copy_engine import default_converter
    from mysql2ddb.tools.execution.source_stream import key_order

    convert, rejections = default_converter(spec)
    batches = iter_batches(dsn, TABLE, spec["view"], key_order(spec), convert, rejections, io.BytesIO(), batch_size)
    return [(b.body, b.count) for b in batches if b.count]


async def _send_all(aws: AwsClients, bodies: list[tuple[bytes, int]], in_flight: int) -> dict[str, Any]:
    from mysql2ddb.tools.execution.ddb_http import DynamoHttp

    queue = list(reversed(bodies))
    items = 0

    async def sender(http: DynamoHttp) -> None:
        nonlocal items
        while queue:
            body, count = queue.pop()
            if await http.batch_write(body, TABLE) is not None:
                raise RuntimeError("moto returned UnprocessedItems")
            items += count

    async with DynamoHttp(aws, connections=in_flight) as http:
        await asyncio.gather(*(sender(http) for _ in range(in_flight)))
    return {"items": items}


# ---- orchestration ---------------------------------------------------------------------------------

def _post(url: str) -> None:
    urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=60).close()


def _create_table(url: str) -> None:
    client = AwsClients(endpoint_url=url).client("dynamodb")
    client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}])


def _start_latency_endpoint(moto_url: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "bench.latency_endpoint", "--moto", moto_url, "--delay-ms", "10"],
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent)
    line = proc.stdout.readline().split()
    if not line or line[0] != "READY":
        proc.kill()
        raise SystemExit("the latency endpoint did not start")
    return proc, line[1]


def _run_child(kind: str, endpoint: str, url: str, spec_path: Path) -> dict[str, Any]:
    out = OUT / f"copy-{endpoint}-{kind}.json"
    out.unlink(missing_ok=True)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
           "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing")}
    subprocess.run([sys.executable, "-m", "bench.bench_copy", "--worker", kind, "--endpoint", endpoint, "--url", url,
                    "--spec", str(spec_path), "--out", str(out)], check=True, env=env,
                   cwd=Path(__file__).resolve().parent.parent)
    return json.loads(out.read_text())


def run_bench(rows: int, writers: list[str], endpoints: list[str]) -> dict[str, Any]:
    OUT.mkdir(exist_ok=True)
    dsn = build_source(rows)
    spec = prepare(dsn)
    spec_path = OUT / "copy-spec.json"
    spec_path.write_text(json.dumps(spec, default=str))
    results: list[dict[str, Any]] = []
    with MotoServer() as moto:
        latency, latency_url = _start_latency_endpoint(moto.url)
        try:
            for endpoint in endpoints:
                url = latency_url if endpoint == "latency" else moto.url
                for kind in writers:
                    if kind == "ceiling" and endpoint != "moto":
                        continue
                    moto.reset()
                    if endpoint == "latency":
                        _post(latency_url + "/__reset")
                    _create_table(url)
                    print(f"{kind} -> {endpoint} ...", file=sys.stderr, flush=True)
                    result = _run_child(kind, endpoint, url, spec_path)
                    if endpoint == "latency":
                        with urllib.request.urlopen(latency_url + "/__stats", timeout=30) as resp:
                            seen = json.loads(resp.read())["tables"].get(TABLE, {})
                        result["keys_received"] = seen.get("puts", 0)
                        result["distinct_keys"] = seen.get("distinct", 0)
                    results.append(result)
                    print(json.dumps(result), file=sys.stderr, flush=True)
        finally:
            latency.kill()
    report = {"rows": rows, "results": results, "targets": targets(results, rows)}
    (OUT / "copy.json").write_text(json.dumps(report, indent=2))
    return report


def targets(results: list[dict[str, Any]], rows: int) -> list[dict[str, Any]]:
    by = {(r["writer"], r["endpoint"]): r for r in results}
    out = []
    engine_lat, naive_lat = by.get(("engine", "latency")), by.get(("naive", "latency"))
    if engine_lat and naive_lat:
        ratio = engine_lat["items_per_s"] / naive_lat["items_per_s"]
        out.append({"target": "behind 10 ms: engine >= 20x naive", "value": f"{ratio:.1f}x", "ok": ratio >= 20})
    if engine_lat:
        once = engine_lat["keys_received"] == engine_lat["distinct_keys"] == rows
        out.append({"target": "behind 10 ms: every key received once",
                    "value": f"{engine_lat['distinct_keys']:,} distinct of {engine_lat['keys_received']:,} puts",
                    "ok": once})
    for endpoint in ("latency", "moto"):
        engine = by.get(("engine", endpoint))
        if engine:
            out.append({"target": f"engine CPU per item <= 15 us ({endpoint})",
                        "value": f"{engine['cpu_us_per_item']} us", "ok": engine["cpu_us_per_item"] <= 15})
            out.append({"target": f"engine peak RSS < 300 MB ({endpoint})", "value": f"{engine['peak_rss_mb']} MB",
                        "ok": engine["peak_rss_mb"] < 300})
    moto = [r for r in results if r["endpoint"] == "moto"]
    engine_moto = by.get(("engine", "moto"))
    if engine_moto and moto:
        best = max(moto, key=lambda r: r["items_per_s"])
        share = engine_moto["items_per_s"] / best["items_per_s"]
        out.append({"target": "on moto: engine >= 0.8x the best writer",
                    "value": f"{share:.2f}x of {best['writer']} ({best['items_per_s']:,.0f}/s)", "ok": share >= 0.8})
    return out


def print_report(report: dict[str, Any]) -> None:
    print(f"\ncopy benchmark: {report['rows']:,} rows")
    print(f"{'writer':8} {'endpoint':8} {'items':>9} {'seconds':>8} {'items/s':>9} {'CPU us/item':>11} {'peak RSS MB':>11}")
    for r in report["results"]:
        print(f"{r['writer']:8} {r['endpoint']:8} {r['items']:>9,} {r['seconds']:>8.1f} {r['items_per_s']:>9,.0f} "
              f"{r['cpu_us_per_item']:>11} {r['peak_rss_mb']:>11}")
    for t in report["targets"]:
        print(f"  [{'PASS' if t['ok'] else 'FAIL'}] {t['target']}: {t['value']}")


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")  # local endpoints only: moto and the latency endpoint
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    parser = argparse.ArgumentParser(description="copy engine benchmark")
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--writers", default="naive,engine,ceiling")
    parser.add_argument("--endpoints", default="latency,moto")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        result = worker(args.worker, args.endpoint, args.url, Path(args.spec))
        Path(args.out).write_text(json.dumps(result))
        return 0
    report = run_bench(args.rows, args.writers.split(","), args.endpoints.split(","))
    print_report(report)
    return 0 if all(t["ok"] for t in report["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
