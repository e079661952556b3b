"""Helpers for the query-log tests: the ground truth of the shared Sakila workload capture,
read from workload.py itself (its SQL per access pattern) and truth.json (its counts)."""

from __future__ import annotations

import ast
import gzip
import json
import re
from pathlib import Path

_WORDS = re.compile(r"[a-z_]+")


def workload_sql(workload: Path) -> dict[str, list[str]]:
    """AP id -> the SQL strings `run()` executes for it, from workload.py's AST."""
    tree = ast.parse(workload.read_text())
    run = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "run")
    out: dict[str, list[str]] = {}
    node = run.body[1] if isinstance(run.body[0], ast.Assign) else run.body[0]
    while isinstance(node, ast.If):
        ap = node.test.comparators[0].value  # `ap == "AP1"`
        calls = [c for c in ast.walk(ast.Module(body=node.body, type_ignores=[]))
                 if isinstance(c, ast.Call) and getattr(c.func, "attr", "") == "execute"]
        out[ap] = [c.args[0].value for c in calls]
        node = node.orelse[0] if node.orelse else None
    return out


def truth_counts(capture: Path) -> dict[str, int]:
    return json.loads((capture / "truth.json").read_text())["counts"]


def _words(sql: str) -> set[str]:
    text = re.sub(r"'[^']*'|%s|\d+", " ", sql.lower().replace("`", ""))
    return set(_WORDS.findall(text))


def match_statement(example: str, candidates: dict[tuple[str, int], str]) -> tuple[str, int]:
    """(AP id, statement index) of the workload SQL most like `example` (word-set similarity),
    independent of our fingerprints."""
    words = _words(example)

    def score(key: tuple[str, int]) -> float:
        other = _words(candidates[key])
        return len(words & other) / len(words | other)

    ranked = sorted(candidates, key=score, reverse=True)
    assert score(ranked[0]) > 0.8 and score(ranked[0]) > score(ranked[1]), (example, ranked[:2])
    return ranked[0]


def statement_candidates(workload: Path) -> dict[tuple[str, int], str]:
    return {(ap, i): sql for ap, sqls in workload_sql(workload).items() for i, sql in enumerate(sqls)}


def gunzip(src: Path, dst: Path, times: int = 1) -> Path:
    with gzip.open(src, "rb") as fh:
        data = fh.read()
    with open(dst, "wb") as out:
        for _ in range(times):
            out.write(data)
    return dst


def synthetic_general_log(path: Path, transactions: int, connections: int = 8) -> dict[str, int]:
    """A MySQL 8 general log of interleaved connections: autocommit reads with unique literals and
    explicit order transactions (1-3 lines each); returns the expected pattern counts."""
    import random

    rnd = random.Random(11)
    counts = {"read": 0, "order": 0}
    with open(path, "w") as out:
        out.write("Time                 Id Command    Argument\n")
        for i in range(transactions):
            conn = 10 + i % connections
            ts = f"2024-03-05T{10 + i // 3_600_000 % 10:02d}:{i // 60000 % 60:02d}:{i // 1000 % 60:02d}.{i % 1000:03d}000Z"
            out.write(f"{ts}\t{conn:5d} Query\tSELECT name, price FROM product WHERE id = {rnd.randint(1, 10**9)} "
                      f"AND sku = 'S{rnd.randint(1, 10**9)}'\n")
            counts["read"] += 1
            if i % 3 == 0:
                out.write(f"{ts}\t{conn:5d} Query\tBEGIN\n")
                out.write(f"{ts}\t{conn:5d} Query\tINSERT INTO orders (customer_id) VALUES ({i})\n")
                for line in range(1 + (i // 3) % 3):
                    out.write(f"{ts}\t{conn:5d} Query\tINSERT INTO order_line (order_id, n) VALUES ({i}, {line})\n")
                out.write(f"{ts}\t{conn:5d} Query\tCOMMIT\n")
                counts["order"] += 1
    return counts
