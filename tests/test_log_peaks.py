"""True peaks: a pattern's rps_peak is its most executions in any one second of the log's own
timestamps, whatever the order of the lines. MySQL 8/9 write a general-log line when a command
arrives but many sessions write at once, so lines of different connections interleave and time
goes backwards between them; pooled connections opened before the log have no Connect line.
The logs here are generated from a known schedule (executions per pattern per second) and the
expected peaks, averages and window come from that schedule, never from our output."""

from __future__ import annotations

import calendar
import random
import time
from collections import Counter
from pathlib import Path

import pytest

from mysql2ddb.tools.analysis.logs.analyze import analyze_logs

BASE = calendar.timegm((2024, 3, 5, 10, 0, 0, 0, 0, 0))
SECONDS = 40
CONNECTIONS = 7
READ_PRODUCT = "SELECT name, price FROM product WHERE id = {v}"
READ_CUSTOMER = "SELECT id, name FROM customer WHERE email = 'c{v}@x.org'"
WRITE_STOCK = "UPDATE stock SET qty = qty - 1 WHERE product_id = {v}"
ORDER_TX = ["INSERT INTO orders (customer_id, total) VALUES ({v}, 10.5)",
            "UPDATE customer SET orders = orders + 1 WHERE id = {v}"]
TABLES = {"product": "read", "customer": "read", "stock": "write", "orders": "tx"}


def _schedule(seed: int) -> dict[str, Counter]:
    """pattern -> second offset -> executions; bursts make each pattern's peak clear."""
    rnd = random.Random(seed)
    out: dict[str, Counter] = {}
    for i, name in enumerate(TABLES):
        counts = Counter({s: rnd.randint(0, 4) for s in range(SECONDS)})
        counts[7 + 9 * i] += 12 + 3 * i  # a burst in a different second per pattern
        out[name] = +counts
    return out


def _events(schedule: dict[str, Counter], seed: int) -> list[tuple[float, int, list[str]]]:
    """(time, connection, statements) per execution, at distinct milliseconds (a transaction's
    statements run within 40 us), so no connection runs two things at once. Orders come from
    connections 0-3 only: 4-6 never open a transaction (5, without Connect line, never says
    whether it autocommits)."""
    rnd = random.Random(seed)
    events = []
    for sec in range(SECONDS):
        names = [name for name, per_second in schedule.items() for _ in range(per_second[sec])]
        for name, ms in zip(names, rnd.sample(range(900), len(names))):
            v = rnd.randint(1, 10**6)
            if name == "orders":
                sql = ["BEGIN", *(s.format(v=v) for s in ORDER_TX), "COMMIT"]
            else:
                sql = [{"product": READ_PRODUCT, "customer": READ_CUSTOMER, "stock": WRITE_STOCK}[name].format(v=v)]
            conn = rnd.randrange(4) if name == "orders" else rnd.randrange(CONNECTIONS)
            events.append((BASE + sec + ms / 1000, conn, sql))
    return sorted(events)


def _iso(t: float) -> str:
    sec = int(t)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{int((t - sec) * 1e6):06d}Z"


def write_general(path: Path, events, seed: int) -> None:
    """MySQL 8 general log; every connection's lines are late by its own lag (up to 2.5 s) when
    written, so time goes backwards from one connection's line to the next one's. Odd
    connections were opened before the log (no Connect line, autocommit mode unknown)."""
    rnd = random.Random(seed)
    lag = {c: rnd.uniform(0, 2.5) for c in range(CONNECTIONS)}
    lines: list[tuple[float, str]] = []
    for c in range(0, CONNECTIONS, 2):
        lines.append((BASE - 5 + lag[c], f"{_iso(BASE - 5 + c / 100)}\t{20 + c:5d} Connect\tapp@10.0.0.9 on shop using TCP/IP"))
    for t, c, sql in events:
        for i, stmt in enumerate(sql):
            ts = t + i * 1e-5  # a transaction's statements in the same second (t <= .9)
            lines.append((ts + lag[c], f"{_iso(ts)}\t{20 + c:5d} Query\t{stmt}"))
    lines.sort(key=lambda x: x[0])
    text = "\n".join(line for _, line in lines)
    path.write_text("/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:\n"
                    "Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\n"
                    "Time                 Id Command    Argument\n" + text + "\n")


def write_slow(path: Path, events, seed: int) -> None:
    """MySQL 8 slow log (long_query_time=0): an entry is written when its statement ends, so
    `SET timestamp=` (its start) goes backwards between threads after a long statement. A
    connection runs one statement at a time: a statement ends before its connection's next."""
    rnd = random.Random(seed)
    runs = sorted((t + i * 1e-5, c, stmt) for t, c, sql in events for i, stmt in enumerate(sql))
    following: dict[int, float] = {}
    entries = []
    for start, c, stmt in reversed(runs):
        room = following.get(c, start + 5) - start
        qt = min(rnd.choice([0.0002, 0.003, 0.4, 1.8]), room * 0.9)
        following[c] = start
        end = start + qt
        entries.append((end, f"# Time: {_iso(end)}\n# User@Host: app[app] @  [10.0.0.9]  Id: {20 + c:5d}\n"
                             f"# Query_time: {qt:.6f}  Lock_time: 0.000010 Rows_sent: 1  Rows_examined: 1\n"
                             f"SET timestamp={int(start)};\n{stmt};\n"))
    entries.sort(key=lambda x: x[0])
    path.write_text("/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:\n"
                    "Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\n"
                    "Time                 Id Command    Argument\n" + "".join(e for _, e in entries))


def _by_table(analysis):
    return {p.tables[0]: p for p in analysis.patterns}


def _check(analysis, schedule, first: int, last: int) -> None:
    window = last - first + 1  # 1-second buckets from the first timestamp's to the last one's
    assert analysis.window.seconds == window
    assert analysis.window.start == _iso(first)[:19] + "Z" and analysis.window.end == _iso(last + 1)[:19] + "Z"
    found = _by_table(analysis)
    assert set(found) == set(TABLES), [p.fingerprint for p in analysis.patterns]
    total = Counter()
    for name, per_second in schedule.items():
        p = found[name]
        assert p.transaction == (name == "orders")
        assert p.count == sum(per_second.values()), name
        assert p.rps_peak == max(per_second.values()), (name, p.rps_peak, max(per_second.values()))
        assert p.rps_avg == pytest.approx(p.count / window, abs=1e-4)
        total.update(per_second)
    assert analysis.window.rps_peak == max(total.values())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_general_log_peaks_with_interleaved_connections(tmp_path, seed):
    schedule = _schedule(seed)
    events = _events(schedule, seed)
    path = tmp_path / "general.log"
    write_general(path, events, seed)
    times = [int(t) for t, _, _ in events]
    analysis = analyze_logs([path])
    _check(analysis, schedule, BASE - 5, max(times))  # the Connect lines are the earliest entries
    assert not analysis.partial


@pytest.mark.parametrize("seed", [4, 5])
def test_slow_log_peaks_with_entries_out_of_order(tmp_path, seed):
    schedule = _schedule(seed)
    events = _events(schedule, seed)
    path = tmp_path / "slow.log"
    write_slow(path, events, seed)
    times = [int(t) for t, _, _ in events]
    analysis = analyze_logs([path])
    _check(analysis, schedule, min(times), max(times))
