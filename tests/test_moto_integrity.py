"""The embedded moto server never loses an item it acknowledged; moto's own threaded server does.

The race (tools/core/moto_serial.py): moto keeps a table's items in a defaultdict keyed by the
partition key, a DynamoType whose `__hash__`/`__eq__` are Python code. A request that writes a NEW
partition key misses the lookup, makes that partition's dict and inserts it; another thread can run
between the miss and the insert, make its own dict for the same key and put its item there; the
later insert then replaces that dict and the item, already answered 200 without UnprocessedItems,
is gone.

The stress makes that window easy to hit, so one harness proves both sides:
- writers (each its own keep-alive HTTP connection, DynamoDB's JSON protocol) send BatchWriteItem
  requests in lock-step rounds; in every round all of them write into the same 100 NEW partitions
  (an item collection per partition key, one sort key per writer), so batches creating the same
  partition are in flight together;
- the partition keys of one round are numbers that Python hashes alike (they differ by multiples of
  `sys.hash_info.modulus`), so every lookup and insert of a new key walks the round's other keys
  through `DynamoType.__eq__`: the miss-to-insert window grows from a few bytecodes to hundreds;
- the server switches threads every 1 ms (Python's default is 5 ms);
- a busy-loop process loads the CPU meanwhile;
- the writes run in phases of four rounds, each into a fresh table, then an independent boto3 Scan
  must count and return every acknowledged item; phases repeat until an item is lost (plain) or for
  a while (ours).

Measured on the 2-core machine with other test runs going on (load average 7-13),
`python tests/test_moto_integrity.py plain 10` / `plain 30` / `ours 10`: plain moto lost items in 40
of 40 runs, every time in the first phase (1-15 of 3,200 acknowledged items, 2.2-6.3 s a run, the
server's start included); ours lost none in 10 of 10 runs (6,400-12,800 items each, 8-11 s a run),
nor at a 10 us switch interval (19,200 items). Before (string keys, 8 writers x 25
partitions, default switch interval) plain moto lost items in about 1 of 10 runs; string keys with
switch intervals from 1 us to 1 ms still lost only about one item per 10-20 s of writing.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass

import boto3
from botocore.config import Config

from mysql2ddb.tools.core.aws import MotoServer

PLAIN = "moto.server"  # moto's threaded server, as `python -m moto.server` runs it
OURS = "mysql2ddb.tools.core.moto_serial"  # what MotoServer starts (serial=True, the default)
WRITERS = 8
BATCH = 25  # BatchWriteItem's limit
BATCHES = 4  # per writer per round: the round's 100 new partitions
SWITCH_INTERVAL = 1e-3
PHASE_ROUNDS = 4  # then a Scan checks the phase's table
PLAIN_BUDGET = 20.0  # plain moto loses an item within the first phase or two
OURS_SECONDS = 8.0  # ours: at least this long and MIN_ROUNDS rounds (at most OURS_BUDGET seconds)
MIN_ROUNDS = 8
OURS_BUDGET = 20.0
BUSY_LOOPS = 1  # one core of the 2-core machine kept busy (other test runs add more)
SAME_HASH = sys.hash_info.modulus  # hash(n) == hash(n + k * modulus) for every int (and Decimal) n
AUTH = ("AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host;x-amz-target, Signature=00")  # moto reads the region from it, checks nothing


@dataclass
class Outcome:
    acked: int = 0  # items answered 200 and not returned as unprocessed
    counted: int = 0  # what Scan Select=COUNT found of them
    lost: int = 0  # acknowledged keys Scan did not return
    phases: int = 0
    rounds: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        return (f"acked={self.acked} counted={self.counted} lost={self.lost} phases={self.phases} "
                f"rounds={self.rounds} {self.seconds:.1f}s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """`module` run as `python -m module -H 127.0.0.1 -p PORT`, with a small GIL switch interval."""

    def __init__(self, module: str):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        code = (f"import runpy, sys; sys.setswitchinterval({SWITCH_INTERVAL}); "
                f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)")
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        self.proc = subprocess.Popen([sys.executable, "-c", code, "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)

    def __enter__(self) -> "_Server":
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "the moto server exited at start"
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the moto server did not answer in 30 s")

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait()


class _Writer:
    """One keep-alive connection speaking DynamoDB's JSON protocol (cheap: the CPU goes to the server)."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, op: str, body: dict) -> dict:
        self.conn.request("POST", "/", body=json.dumps(body).encode(), headers={
            "X-Amz-Target": f"DynamoDB_20120810.{op}", "Content-Type": "application/x-amz-json-1.0",
            "Authorization": AUTH})
        answer = self.conn.getresponse()
        payload = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"{op}: HTTP {answer.status} {payload[:300]!r}")
        return json.loads(payload)


def _pk(round_no: int, i: int) -> str:
    return str(round_no + i * SAME_HASH)  # one round's keys share a hash, other rounds' differ


def _write_phase(port: int, table: str) -> tuple[set[tuple[str, str]], int]:
    """One phase of lock-step rounds: every acknowledged (pk, sk), and the number of rounds."""
    acked: set[tuple[str, str]] = set()
    errors: list[BaseException] = []
    guard = threading.Lock()
    state = {"round": 0, "stop": False}

    def next_round() -> None:  # run once per round by the barrier: every writer sees the same decision
        state["round"] += 1
        state["stop"] = state["round"] > PHASE_ROUNDS or bool(errors)

    barrier = threading.Barrier(WRITERS, action=next_round, timeout=60)

    def writer(w: int) -> None:
        client = _Writer(port)
        try:
            while True:
                barrier.wait()
                if state["stop"]:
                    return
                for b in range(BATCHES):
                    pending = [{"PutRequest": {"Item": {"pk": {"N": _pk(state["round"], b * BATCH + p)},
                                                        "sk": {"S": f"w{w}"}}}} for p in range(BATCH)]
                    for _ in range(10):  # unprocessed items are sent again, a bounded number of times
                        sent = pending
                        answer = client.call("BatchWriteItem", {"RequestItems": {table: sent}})
                        pending = answer.get("UnprocessedItems", {}).get(table, [])
                        with guard:
                            acked.update((r["PutRequest"]["Item"]["pk"]["N"], f"w{w}") for r in sent if r not in pending)
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
    assert not errors, errors[:3]
    return acked, state["round"] - 1


def _scanner(url: str):
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=Config(retries={"mode": "standard"}))


def _scan(client, table: str) -> tuple[int, set[tuple[str, str]]]:
    """An independent reading (boto3 Scan, every page): the items counted, and their keys."""
    count, keys = 0, set()
    for page in client.get_paginator("scan").paginate(TableName=table):
        count += page["Count"]
        keys.update((item["pk"]["N"], item["sk"]["S"]) for item in page["Items"])
    return count, keys


def _busy_loops(seconds: float) -> list[subprocess.Popen]:
    code = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(BUSY_LOOPS)]


def hammer(module: str, budget: float, *, stop_at_loss: bool = False, seconds: float = 0.0,
           rounds: int = 0) -> Outcome:
    """Phases against one fresh server: until the first loss if asked, else until `seconds` and
    `rounds` are both reached; never beyond `budget` seconds."""
    out = Outcome()
    started = time.monotonic()

    def more() -> bool:
        elapsed = time.monotonic() - started
        if elapsed >= budget or (stop_at_loss and out.lost):
            return False
        return stop_at_loss or elapsed < seconds or out.rounds < rounds

    with _Server(module) as server:
        load = _busy_loops(budget + 10)
        try:
            admin, scanner = _Writer(server.port), _scanner(server.url)
            while more():
                table = f"integrity{out.phases}"
                admin.call("CreateTable", {
                    "TableName": table, "BillingMode": "PAY_PER_REQUEST",
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "N"},
                                             {"AttributeName": "sk", "AttributeType": "S"}]})
                acked, done = _write_phase(server.port, table)
                counted, keys = _scan(scanner, table)
                out.acked, out.counted, out.lost = out.acked + len(acked), out.counted + counted, out.lost + len(acked - keys)
                out.phases, out.rounds = out.phases + 1, out.rounds + done
        finally:
            for proc in load:
                proc.kill()
                proc.wait()
    out.seconds = time.monotonic() - started
    return out


def test_the_stress_catches_plain_moto_losing_items():
    """Proof that the stress detects the bug: moto's own threaded server loses acknowledged items.
    If this ever fails, moto may have fixed the race (then moto_serial could go), or the stress lost
    its edge (then the test below proves nothing): find out which."""
    out = hammer(PLAIN, PLAIN_BUDGET, stop_at_loss=True)
    assert out.lost > 0, f"plain moto lost nothing in {out}"
    assert out.counted < out.acked, f"Scan's count agrees with the missing keys: {out}"


def test_our_serial_moto_loses_nothing():
    assert MotoServer().serial, "the embedded endpoint must start the serial server"
    out = hammer(OURS, OURS_BUDGET, seconds=OURS_SECONDS, rounds=MIN_ROUNDS)
    assert out.rounds >= MIN_ROUNDS, f"too few rounds to mean anything: {out}"
    assert (out.lost, out.counted) == (0, out.acked), f"acknowledged items lost: {out}"


if __name__ == "__main__":  # python tests/test_moto_integrity.py [plain|ours] [runs]: measure the failure rate
    kind, runs = (sys.argv[1:] + ["plain"])[0], int((sys.argv[2:] + ["10"])[0])
    failed = 0
    for _ in range(runs):
        result = (hammer(PLAIN, PLAIN_BUDGET, stop_at_loss=True) if kind == "plain"
                  else hammer(OURS, OURS_BUDGET, seconds=OURS_SECONDS, rounds=MIN_ROUNDS))
        failed += result.lost > 0
        print(kind, result, flush=True)
    print(f"{kind}: {failed} of {runs} runs lost items")
