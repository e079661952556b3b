"""The embedded moto server never loses an item it acknowledged.

Eight writers, each with its own boto3 client, send BatchWriteItem requests in lock-step rounds; in
every round all of them write into the same 25 NEW partition keys (an item collection per key, one
sort key per writer), so batches that create the same partition are in flight together. Two
busy-loop processes load the CPU meanwhile. An independent Scan (Select=COUNT, then every key) must
then find every item that was answered 200 without being returned as unprocessed.

moto's own threaded server (`python -m moto.server`) fails this now and then: two requests that
create the same partition each make its item dict and the later replaces the earlier, dropping
items already acknowledged. The window is a few Python calls wide, so a run of a few seconds does
not hit it reliably. Measured on the 2-core machine (load average 4-7 from other test runs),
`python tests/test_moto_integrity.py plain 5`, twice: 1 of 10 runs lost an item (~20,000 items a run); with
16 writers: 0 of 3 without the busy loops, 1 of 3 with four; with moto's GIL switch interval lowered
(1 ms, 0.3 ms, 0.1 ms, 10 us, 1 us) 2 of 4, 1 of 4, 1 of 3, 0 of 3, 1 of 3 runs lost 1-3 items.
In-process (8 threads calling Table.put_item directly) 59 of 40,000 items were lost at a 0.1 ms
switch interval, none at the default 5 ms. So the plain variant is a helper run by hand, not an
xfail in the suite; ours (tools/core/moto_serial.py, one request at a time) must pass every run
(also checked by hand at lowered switch intervals: no loss).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import boto3
from botocore.config import Config

from mysql2ddb.tools.core.aws import MotoServer

WRITERS = 8
PARTITIONS = 25  # one BatchWriteItem's worth: each writer puts one item into each new partition per round
MAX_ROUNDS = 400
SECONDS = 6.0
TABLE = "integrity"


def _client(url: str):
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing",
                        config=Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=2))


def _busy_loops(seconds: float, count: int = 2) -> list[subprocess.Popen]:
    code = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(count)]


def _write_rounds(url: str) -> tuple[set[tuple[str, str]], list[BaseException]]:
    """Every writer's acknowledged keys, and any error a writer met."""
    acked: set[tuple[str, str]] = set()
    errors: list[BaseException] = []
    guard = threading.Lock()
    deadline = time.monotonic() + SECONDS
    state = {"round": 0, "stop": False}

    def next_round() -> None:  # run once per round by the barrier: every writer sees the same decision
        state["round"] += 1
        state["stop"] = state["round"] > MAX_ROUNDS or time.monotonic() > deadline or bool(errors)

    barrier = threading.Barrier(WRITERS, action=next_round, timeout=60)

    def writer(w: int) -> None:
        client = _client(url)
        try:
            while True:
                barrier.wait()
                if state["stop"]:
                    return
                pending = [{"PutRequest": {"Item": {"pk": {"S": f"r{state['round']}-p{p}"}, "sk": {"S": f"w{w}"}}}}
                           for p in range(PARTITIONS)]
                for _ in range(10):  # unprocessed items are sent again, a bounded number of times
                    sent = pending
                    answer = client.batch_write_item(RequestItems={TABLE: sent})
                    pending = answer.get("UnprocessedItems", {}).get(TABLE, [])
                    done = [r for r in sent if r not in pending]
                    with guard:
                        acked.update((r["PutRequest"]["Item"]["pk"]["S"], r["PutRequest"]["Item"]["sk"]["S"])
                                     for r in done)
                    if not pending:
                        break
        except BaseException as exc:  # noqa: BLE001 - reported by the test, and the barrier released
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return acked, errors


def _scan(url: str) -> tuple[int, set[tuple[str, str]]]:
    client = _client(url)
    count, keys = 0, set()
    for page in client.get_paginator("scan").paginate(TableName=TABLE, Select="COUNT"):
        count += page["Count"]
    for page in client.get_paginator("scan").paginate(TableName=TABLE, ProjectionExpression="pk, sk"):
        keys.update((item["pk"]["S"], item["sk"]["S"]) for item in page["Items"])
    return count, keys


def run_hammer(serial: bool) -> tuple[int, int, int]:
    """(acknowledged, counted, acknowledged but missing) for one fresh server."""
    with MotoServer(serial=serial) as server:
        _client(server.url).create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}])
        load = _busy_loops(SECONDS + 5)
        try:
            acked, errors = _write_rounds(server.url)
        finally:
            for proc in load:
                proc.kill()
                proc.wait()
        assert not errors, errors[:3]
        count, keys = _scan(server.url)
    return len(acked), count, len(acked - keys)


def test_every_acknowledged_item_is_found():
    acked, counted, missing = run_hammer(serial=True)
    assert acked >= WRITERS * PARTITIONS * 10, f"too few writes to mean anything: {acked}"
    assert (missing, counted) == (0, acked), f"{missing} of {acked} acknowledged items lost; Scan counted {counted}"


if __name__ == "__main__":  # python tests/test_moto_integrity.py [plain|ours] [runs]: measure the failure rate
    kind, runs = (sys.argv[1:] + ["plain"])[0], int((sys.argv[2:] + ["5"])[0])
    for _ in range(runs):
        started = time.monotonic()
        print(kind, "acked=%d counted=%d missing=%d" % run_hammer(kind != "plain"), f"{time.monotonic() - started:.1f}s")
