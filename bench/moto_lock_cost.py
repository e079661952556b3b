"""What serving moto one request at a time costs: items/s written into moto's plain threaded server
(`python -m moto.server`) and into ours (tools/core/moto_serial.py, one lock around the app), by
8 concurrent writers (own boto3 client each) sending BatchWriteItem of 25 items, 20,000 items in all.

    python -m bench.moto_lock_cost [--items N] [--writers W] [--runs R]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import boto3
from botocore.config import Config

from mysql2ddb.tools.core.aws import MotoServer


def _client(url: str):
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing",
                        config=Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=2))


def items_per_second(serial: bool, items: int, writers: int) -> float:
    with MotoServer(serial=serial) as server:
        _client(server.url).create_table(
            TableName="cost", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}])
        clients = [_client(server.url) for _ in range(writers)]
        per_writer = items // writers

        def write(w: int) -> None:
            for start in range(0, per_writer, 25):
                batch = [{"PutRequest": {"Item": {"pk": {"S": f"w{w}-{i // 4}"}, "sk": {"S": str(i)},
                                                  "payload": {"S": "x" * 100}, "n": {"N": str(i)}}}}
                         for i in range(start, min(start + 25, per_writer))]
                while batch:
                    batch = clients[w].batch_write_item(RequestItems={"cost": batch}).get(
                        "UnprocessedItems", {}).get("cost", [])

        threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return per_writer * writers / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    rates: dict[str, list[float]] = {"plain": [], "serial": []}
    for _ in range(args.runs):  # alternate, so drift in machine load hits both alike
        for kind in rates:
            rates[kind].append(items_per_second(kind == "serial", args.items, args.writers))
    for kind, values in rates.items():
        print(f"{kind:7s} items/s median {statistics.median(values):8.0f}  runs {', '.join(f'{v:.0f}' for v in values)}")
    print(f"serial / plain = {statistics.median(rates['serial']) / statistics.median(rates['plain']):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
