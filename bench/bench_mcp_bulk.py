"""Why bulk item data stays on the direct path: items/s written (BatchWriteItem, 25 items a request)
and read back (Scan, 100 items a page) into a moto server, one request at a time, through the AWS
API MCP server's `call_aws` (our adapter, tools/downstream/mcp_aws.py) and through boto3 directly.
The copy engine goes further (concurrent raw HTTP requests), so the gap it keeps is larger still.
Reads are also timed the way verification really reads (tools/execution/verify_scan.py: parallel
segments over raw HTTP), and that is the reads target: one boto3 page at a time is shown for
comparison only (through call_aws the AWS CLI pages by itself, so page for page it is close).

    python -m bench.bench_mcp_bulk [--items N] [--runs R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from mysql2ddb.tools.core.aws import AwsClients, MotoServer
from mysql2ddb.tools.downstream.config import ServerConfig
from mysql2ddb.tools.downstream.mcp_aws import CallAwsClient
from mysql2ddb.tools.downstream.mcp_client import _LOOP, McpConnection

SERVER = Path(os.environ.get("MYSQL2DDB_TEST_MCP_VENVS", Path(__file__).resolve().parents[1] / ".venv-mcp")) \
    / "awsapi" / "bin" / "awslabs.aws-api-mcp-server"
TARGET_RATIO = 2.0  # the direct path at least this many times faster, writing and reading


def _items(start: int, count: int) -> list[dict[str, Any]]:
    return [{"PutRequest": {"Item": {"pk": {"S": f"item#{i}"}, "title": {"S": "x" * 100}, "n": {"N": str(i)}}}}
            for i in range(start, start + count)]


def _write_and_scan(client: Any, table: str, items: int) -> tuple[float, float]:
    started = time.perf_counter()
    for start in range(0, items, 25):
        batch = _items(start, min(25, items - start))
        while batch:
            batch = client.batch_write_item(RequestItems={table: batch}).get("UnprocessedItems", {}).get(table, [])
    written = items / (time.perf_counter() - started)
    started, seen, key = time.perf_counter(), 0, None
    while True:
        page = client.scan(TableName=table, Limit=100, **({"ExclusiveStartKey": key} if key else {}))
        seen += len(page.get("Items", []))
        key = page.get("LastEvaluatedKey")
        if not key:
            break
    assert seen == items, (seen, items)
    return written, items / (time.perf_counter() - started)


def _verifier_reads(aws: AwsClients, table: str, items: int) -> float:
    """Items/s read by verification's own scanner (segments in parallel, raw HTTP)."""
    from mysql2ddb.tools.execution.verify_scan import TargetReader

    reader = TargetReader(aws, transport="http")
    seen = [0] * reader.segments_for(table)

    def visit(segment: int) -> Any:
        def count(_key: str, _item: dict) -> None:
            seen[segment] += 1
        return count

    started = time.perf_counter()
    reader.scan(table, len(seen), visit, lambda item: item["pk"]["S"], consistent=False)
    assert sum(seen) == items, (sum(seen), items)
    return items / (time.perf_counter() - started)


def _create(client: Any, table: str) -> None:
    client.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    if not SERVER.exists():
        print(f"  [SKIP] the AWS API MCP server is not installed ({SERVER}); `make test` installs it")
        return 0
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "testing")  # moto's; the direct client reads them
    results: dict[str, list[tuple[float, float]]] = {"mcp": [], "direct": []}
    verifier: list[float] = []
    with MotoServer() as moto, tempfile.TemporaryDirectory() as home:
        env = {"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_ENDPOINT_URL": moto.url, "READ_OPERATIONS_ONLY": "false", "AWS_API_MCP_TELEMETRY": "false",
               "HOME": home, "AWS_API_MCP_WORKING_DIR": home, "HTTPS_PROXY": "http://127.0.0.1:9",
               "NO_PROXY": "127.0.0.1,localhost", "FASTMCP_LOG_LEVEL": "ERROR"}
        conn = McpConnection("aws", ServerConfig(command=str(SERVER), env=env))
        direct = AwsClients(region="us-east-1", endpoint_url=moto.url)
        clients = {"mcp": CallAwsClient(conn, "dynamodb"), "direct": direct.client("dynamodb")}
        try:
            for run in range(args.runs):
                for name, client in clients.items():
                    table = f"bulk_{name}_{run}"
                    _create(client, table)
                    results[name].append(_write_and_scan(client, table, args.items))
                verifier.append(_verifier_reads(direct, f"bulk_direct_{run}", args.items))
        finally:
            _LOOP.submit(conn.aclose()).result(30)
    med = {name: (statistics.median(w for w, _ in r), statistics.median(s for _, s in r)) for name, r in results.items()}
    for name, (w, s) in med.items():
        print(f"  {name:>6}: BatchWriteItem {w:,.0f} items/s, Scan {s:,.0f} items/s "
              f"({args.items} items, median of {args.runs}, one request at a time, moto)")
    reads = statistics.median(verifier)
    print(f"  verification's scanner: {reads:,.0f} items/s (segments in parallel, raw HTTP, median of {args.runs})")
    print(f"  (boto3 one page at a time reads {med['direct'][1] / med['mcp'][1]:.1f}x as fast as call_aws)")
    status = 0
    for what, ratio in (("writes", med["direct"][0] / med["mcp"][0]), ("reads (verification)", reads / med["mcp"][1])):
        ok = ratio >= TARGET_RATIO
        status |= 0 if ok else 1
        print(f"  [{'PASS' if ok else 'FAIL'}] direct {what} >= {TARGET_RATIO:.0f}x through call_aws: {ratio:.1f}x")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
