"""Loops folded: a transaction whose statements repeat (TPC-C new-order with 5-15 order lines,
delivery over 10 districts) is ONE pattern whatever the loop counts, each repeated statement a
step with its measured repetitions (min/avg/max per transaction); transactions that really run
different statements (payment by customer id or by last name) stay apart. The log is a MySQL 8
general log generated here from several interleaved connections (time going backwards between
them, some pooled before the log: no Connect line); what is expected comes from the generator."""

from __future__ import annotations

import calendar
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from mysql2ddb.tools.analysis.logs.analyze import analyze_logs

BASE = calendar.timegm((2024, 3, 5, 10, 0, 0, 0, 0, 0))
CONNECTIONS = 6
RUNS = 70  # transactions per connection

NEW_ORDER_HEAD = [
    "SELECT w_tax FROM warehouse WHERE w_id = {w}",
    "SELECT d_tax, d_next_o_id FROM district WHERE d_w_id = {w} AND d_id = {d} FOR UPDATE",
    "UPDATE district SET d_next_o_id = d_next_o_id + 1 WHERE d_w_id = {w} AND d_id = {d}",
    "SELECT c_discount, c_last, c_credit FROM customer WHERE c_w_id = {w} AND c_d_id = {d} AND c_id = {c}",
    "INSERT INTO orders (o_id, o_d_id, o_w_id, o_c_id, o_ol_cnt) VALUES ({o}, {d}, {w}, {c}, {n})",
    "INSERT INTO new_order (no_o_id, no_d_id, no_w_id) VALUES ({o}, {d}, {w})",
]
NEW_ORDER_LINE = [  # once per order line
    "SELECT i_price, i_name, i_data FROM item WHERE i_id = {i}",
    "SELECT s_quantity, s_data FROM stock WHERE s_i_id = {i} AND s_w_id = {w} FOR UPDATE",
    "UPDATE stock SET s_quantity = {q}, s_ytd = s_ytd + {q} WHERE s_i_id = {i} AND s_w_id = {w}",
    "INSERT INTO order_line (ol_o_id, ol_d_id, ol_w_id, ol_number, ol_i_id, ol_quantity) "
    "VALUES ({o}, {d}, {w}, {k}, {i}, {q})",
]
PAYMENT_BY_NAME = [
    "SELECT count(c_id) FROM customer WHERE c_w_id = {w} AND c_d_id = {d} AND c_last = 'BAR{c}'",
    "SELECT c_id FROM customer WHERE c_w_id = {w} AND c_d_id = {d} AND c_last = 'BAR{c}' ORDER BY c_first",
]
PAYMENT = [
    "UPDATE warehouse SET w_ytd = w_ytd + {q} WHERE w_id = {w}",
    "SELECT w_name, w_city FROM warehouse WHERE w_id = {w}",
    "UPDATE district SET d_ytd = d_ytd + {q} WHERE d_w_id = {w} AND d_id = {d}",
    "SELECT c_first, c_last, c_balance FROM customer WHERE c_w_id = {w} AND c_d_id = {d} AND c_id = {c} FOR UPDATE",
    "UPDATE customer SET c_balance = c_balance - {q} WHERE c_w_id = {w} AND c_d_id = {d} AND c_id = {c}",
    "INSERT INTO history (h_c_id, h_d_id, h_w_id, h_amount) VALUES ({c}, {d}, {w}, {q})",
]
DELIVERY_FIND = "SELECT no_o_id FROM new_order WHERE no_d_id = {d} AND no_w_id = {w} ORDER BY no_o_id LIMIT 1"
DELIVERY_DISTRICT = [  # only for a district with an undelivered order
    "DELETE FROM new_order WHERE no_o_id = {o} AND no_d_id = {d} AND no_w_id = {w}",
    "SELECT o_c_id FROM orders WHERE o_id = {o} AND o_d_id = {d} AND o_w_id = {w}",
    "UPDATE orders SET o_carrier_id = {q} WHERE o_id = {o} AND o_d_id = {d} AND o_w_id = {w}",
    "UPDATE order_line SET ol_delivery_d = NOW() WHERE ol_o_id = {o} AND ol_d_id = {d} AND ol_w_id = {w}",
    "SELECT SUM(ol_amount) FROM order_line WHERE ol_o_id = {o} AND ol_d_id = {d} AND ol_w_id = {w}",
    "UPDATE customer SET c_balance = c_balance + {q}, c_delivery_cnt = c_delivery_cnt + 1 "
    "WHERE c_id = {c} AND c_d_id = {d} AND c_w_id = {w}",
]
KINDS = ("new_order", "payment_id", "payment_name", "delivery")
MAIN_TABLE = {"new_order": "warehouse", "payment_id": "warehouse", "payment_name": "customer", "delivery": "new_order"}


def _transaction(kind: str, rnd: random.Random) -> tuple[list[str], dict[str, int]]:
    """The statements of one transaction and how often its repeated statements ran."""
    v = dict(w=rnd.randint(1, 10), d=rnd.randint(1, 10), c=rnd.randint(1, 3000), o=rnd.randint(1, 10**6),
             q=rnd.randint(1, 10))
    if kind == "new_order":
        n = rnd.randint(5, 15)
        out = [s.format(n=n, **v) for s in NEW_ORDER_HEAD]
        for k in range(1, n + 1):
            out += [s.format(k=k, i=rnd.randint(1, 10**5), **{**v, "q": rnd.randint(1, 10)}) for s in NEW_ORDER_LINE]
        return out, {"order_line": n}
    if kind.startswith("payment"):
        head = [s.format(**v) for s in PAYMENT_BY_NAME] if kind == "payment_name" else []
        return head + [s.format(**v) for s in PAYMENT], {}
    out, delivered = [], 0
    for d in range(1, 11):
        out.append(DELIVERY_FIND.format(d=d, w=v["w"]))
        if rnd.random() < 0.85:
            delivered += 1
            out += [s.format(**{**v, "d": d, "o": rnd.randint(1, 10**6)}) for s in DELIVERY_DISTRICT]
    delivered = delivered or 1
    if not any(s.startswith("DELETE") for s in out):  # a district with an order, so all steps occur
        out += [s.format(**{**v, "d": 10}) for s in DELIVERY_DISTRICT]
    return out, {"districts": delivered}


def _iso(t: float) -> str:
    sec = int(t)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{int((t - sec) * 1e6):06d}Z"


def write_tpcc_log(path: Path, seed: int) -> dict:
    """Each connection runs RUNS transactions one after another; lines are written late by the
    connection's own lag, so they interleave out of time order. Returns the expected figures."""
    rnd = random.Random(seed)
    expected: dict = {k: {"count": 0, "per_second": Counter(), "loops": []} for k in KINDS}
    lines: list[tuple[float, str]] = []
    for c in range(CONNECTIONS):
        conn, lag = 30 + c, rnd.uniform(0, 2.0)
        t = BASE + rnd.uniform(0, 1)
        if c % 2 == 0:  # odd connections were opened before the log
            lines.append((t + lag, f"{_iso(t)}\t{conn:5d} Connect\ttpcc@10.0.0.7 on tpcc using TCP/IP"))
        for _ in range(RUNS):
            t += rnd.uniform(0.02, 0.6)
            kind = rnd.choices(KINDS, weights=[45, 17, 26, 12])[0]
            sql, loops = _transaction(kind, rnd)
            expected[kind]["count"] += 1
            expected[kind]["per_second"][int(t)] += 1
            expected[kind]["loops"].append(loops)
            for stmt in ["BEGIN", *sql, "COMMIT"]:
                lines.append((t + lag, f"{_iso(t)}\t{conn:5d} Query\t{stmt}"))
                t += 0.0003
            if rnd.random() < 0.3:  # an autocommit read between transactions
                lines.append((t + lag, f"{_iso(t)}\t{conn:5d} Query\tSELECT i_name FROM item WHERE i_id = "
                                       f"{rnd.randint(1, 10**5)}"))
    lines.sort(key=lambda x: x[0])
    path.write_text("/usr/sbin/mysqld, Version: 8.4.0 (MySQL Community Server - GPL). started with:\n"
                    "Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\n"
                    "Time                 Id Command    Argument\n" + "\n".join(x for _, x in lines) + "\n")
    return expected


def _stats(values: list[int]) -> tuple[int, float, int]:
    return min(values), round(sum(values) / len(values), 3), max(values)


@pytest.mark.parametrize("seed", [3, 8])
def test_tpcc_transactions_fold_their_loops(tmp_path, seed):
    path = tmp_path / "tpcc.log"
    expected = write_tpcc_log(path, seed)
    analysis = analyze_logs([path])
    tx = [p for p in analysis.patterns if p.transaction]
    assert len(tx) == 4, [p.fingerprint[:100] for p in tx]  # payment by id and by name apart
    assert not analysis.partial and len(analysis.patterns) == 5  # and the autocommit item read
    found = defaultdict(list)
    for p in tx:
        if p.tables[0] == "warehouse":
            found["new_order" if "order_line" in p.tables else "payment_id"].append(p)
        else:
            found[{"customer": "payment_name", "new_order": "delivery"}[p.tables[0]]].append(p)
    assert {k: len(v) for k, v in found.items()} == dict.fromkeys(KINDS, 1)
    for kind in KINDS:
        p, want = found[kind][0], expected[kind]
        assert p.count == want["count"] and p.rolled_back == 0, kind
        assert p.rps_peak == max(want["per_second"].values()), kind
        once = [s for s in p.statements if s.repeats.max == 1]
        assert all(s.repeats.min == 1 and s.repeats_avg == 1 and s.count == p.count for s in once)
        if kind == "new_order":
            loop = [s for s in p.statements if s not in once]
            assert [s.tables[0] for s in loop] == ["item", "stock", "stock", "order_line"]
            lines = [x["order_line"] for x in want["loops"]]
            for s in loop:
                assert (s.repeats.min, s.repeats.avg, s.repeats.max) == _stats(lines)
                assert s.repeats_avg == s.repeats.avg and s.count == sum(lines)
            assert 5 <= min(lines) and max(lines) <= 15 and min(lines) < max(lines)
        elif kind == "delivery":
            find, *per_district = p.statements
            assert find.tables == ["new_order"] and (find.repeats.min, find.repeats.max) == (10, 10)
            assert find.count == 10 * p.count and find.repeats_avg == 10
            districts = [x["districts"] for x in want["loops"]]
            assert len(per_district) == 6
            for s in per_district:
                assert (s.repeats.min, s.repeats.avg, s.repeats.max) == _stats(districts)
        else:
            assert len(p.statements) == len(PAYMENT) + (2 if kind == "payment_name" else 0)
            assert not [s for s in p.statements if s not in once]


def test_a_loop_of_one_write_includes_its_runs_of_one(tmp_path):
    """BEGIN; INSERT order_line x N; COMMIT with N = 1..3 is one loop pattern (N = 1 included);
    a write committed on its own (autocommit off) stays a plain statement pattern."""
    lines, t = [], 0
    for n in (1, 3, 1, 2):
        for sql in ["BEGIN", *[f"INSERT INTO order_line (o_id, n) VALUES ({t}, {k})" for k in range(n)], "COMMIT"]:
            lines.append(f"2024-03-05T10:00:{t // 10:02d}.{t % 10}00000Z\t   41 Query\t{sql}")
            t += 1
    for k in range(3):
        for sql in [f"UPDATE stock SET qty = {k} WHERE id = {k}", "COMMIT"]:
            lines.append(f"2024-03-05T10:00:{t // 10:02d}.{t % 10}00000Z\t   42 Query\t{sql}")
            t += 1
    path = tmp_path / "loop1.log"
    path.write_text("Time                 Id Command    Argument\n"
                    "2024-03-05T10:00:00.000000Z\t   42 Connect\tapp@h on shop using TCP/IP\n"
                    "2024-03-05T10:00:00.000000Z\t   42 Query\tSET autocommit=0\n" + "\n".join(lines) + "\n")
    analysis = analyze_logs([path])
    loop = next(p for p in analysis.patterns if p.tables == ["order_line"])
    assert loop.transaction and loop.count == 4 and len(analysis.patterns) == 2
    (line,) = loop.statements
    assert (line.count, line.repeats.min, line.repeats.avg, line.repeats.max) == (7, 1, 1.75, 3)
    stock = next(p for p in analysis.patterns if p.tables == ["stock"])
    assert not stock.transaction and stock.count == 3 and stock.statements[0].repeats is None
