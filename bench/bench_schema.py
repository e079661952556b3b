"""`make bench` (schema part): the schema analysis on a generated 1,000-table database.

`m2d_bench_schema` in the local MariaDB: tables with a primary key, a self-describing set of
types, two secondary indexes and a foreign key to another table (a tree of parents), and every
tenth table a junction (primary key = two foreign keys), each with a few rows. It is generated
once and reused while it has the expected tables (`--rebuild` forces it).

The analysis is timed, and every statement it sends is counted at the connection level: the
aiomysql cursor's `execute` is wrapped (the real one still runs) and each statement is classed by
whether it reads information_schema. The target (issue 4): a fixed number of information_schema
queries whatever the table count, the same as for Sakila's 16 tables.

    python -m bench.bench_schema [--tables 1000] [--rows 20] [--rebuild]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import time
from collections import Counter
from typing import Any, Iterator

import sqlglot
from sqlglot import exp

from mysql2ddb.tools.usecases import corpora
from mysql2ddb.tools.analysis.schema import analyze_schema
from mysql2ddb.tools.core.db import Dsn, sync_connection
from mysql2ddb.tools.core.sql import DIALECT, col, create_database, driver_sql, drop_database, ident, param, table, use_database

DATABASE = "m2d_bench_schema"
MYSQL_URL = os.environ.get("MYSQL2DDB_BENCH_MYSQL", "mysql://root@127.0.0.1:3306")

# Templates parsed once; table and constraint names are swapped in on the AST.
ENTITY = sqlglot.parse_one(
    "CREATE TABLE tpl (id INT UNSIGNED NOT NULL, parent_id INT UNSIGNED NULL, code VARCHAR(20) NOT NULL,"
    " amount DECIMAL(10,2) UNSIGNED NOT NULL, status ENUM('new','paid','shipped') NOT NULL DEFAULT 'new',"
    " created DATETIME NOT NULL, note TEXT NULL, PRIMARY KEY (id), KEY idx_code (code),"
    " KEY idx_status_created (status, created),"
    " CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES parent_tpl (id) ON DELETE SET NULL) ENGINE=InnoDB",
    read=DIALECT)
JUNCTION = sqlglot.parse_one(
    "CREATE TABLE tpl (a_id INT UNSIGNED NOT NULL, b_id INT UNSIGNED NOT NULL, since DATE NULL,"
    " PRIMARY KEY (a_id, b_id), KEY idx_b (b_id),"
    " CONSTRAINT fk_a FOREIGN KEY (a_id) REFERENCES a_tpl (id),"
    " CONSTRAINT fk_b FOREIGN KEY (b_id) REFERENCES b_tpl (id)) ENGINE=InnoDB",
    read=DIALECT)
ENTITY_COLUMNS = ["id", "parent_id", "code", "amount", "status", "created", "note"]
JUNCTION_COLUMNS = ["a_id", "b_id", "since"]


def is_junction(i: int) -> bool:
    return i % 10 == 9


def name_of(i: int) -> str:
    return f"{'j' if is_junction(i) else 't'}{i:04d}"


def entity_parent(i: int) -> int:
    parent = i // 2
    return parent - 1 if is_junction(parent) else parent


def create_statement(i: int) -> exp.Expression:
    tree = (JUNCTION if is_junction(i) else ENTITY).copy()
    names = {"tpl": name_of(i), "parent_tpl": name_of(entity_parent(i)),
             "a_tpl": name_of(i - 1), "b_tpl": name_of(i - 2)}
    for node in tree.find_all(exp.Table):
        node.set("this", ident(names[node.name]))
    for node in tree.find_all(exp.Constraint):
        node.set("this", ident(f"{node.name}_{name_of(i)}"))
    if not is_junction(i) and i == 0:  # the root has no parent
        for node in list(tree.find_all(exp.Constraint)):
            node.pop()
    return tree


def insert_statement(i: int) -> str:
    columns = JUNCTION_COLUMNS if is_junction(i) else ENTITY_COLUMNS
    values = exp.Values(expressions=[exp.Tuple(expressions=[param() for _ in columns])])
    return driver_sql(exp.insert(values, table(name_of(i)), columns=[ident(c) for c in columns]))


def rows_for(i: int, count: int, rng: random.Random) -> list[tuple[Any, ...]]:
    if is_junction(i):
        pairs = {(rng.randint(1, count), rng.randint(1, count)) for _ in range(count * 2)}
        return [(a, b, None) for a, b in sorted(pairs)]
    return [(n, None if i == 0 or n % 7 == 0 else rng.randint(1, count), f"C{n % 13}", n * 1.25,
             ("new", "paid", "shipped")[n % 3], "2024-01-01 00:00:00", None) for n in range(1, count + 1)]


def table_count(root: Dsn) -> int:
    query = (exp.select(exp.Count(this=exp.Star())).from_(table("TABLES", db="information_schema"))
             .where(exp.EQ(this=col("TABLE_SCHEMA"), expression=param())))
    with sync_connection(root) as conn, conn.cursor() as cur:
        cur.execute(driver_sql(query), [DATABASE])
        return int(cur.fetchone()[0])


def generate(root: Dsn, tables: int, rows: int) -> None:
    rng = random.Random(42)
    started = time.monotonic()
    with sync_connection(root) as conn, conn.cursor() as cur:
        cur.execute(driver_sql(drop_database(DATABASE)))
        cur.execute(driver_sql(create_database(DATABASE)))
        cur.execute(driver_sql(use_database(DATABASE)))
        cur.execute(driver_sql(sqlglot.parse_one("SET foreign_key_checks = 0", read=DIALECT)))
        for i in range(tables):
            cur.execute(create_statement(i).sql(dialect=DIALECT))
            cur.executemany(insert_statement(i), rows_for(i, rows, rng))
            if (i + 1) % 100 == 0:
                print(f"  generated {i + 1}/{tables} tables", file=sys.stderr, flush=True)
    print(f"generated {DATABASE}: {tables} tables in {time.monotonic() - started:.1f} s", file=sys.stderr)


@contextlib.contextmanager
def counted_statements() -> Iterator[Counter]:
    """Wrap aiomysql's cursor execute (the real one still runs) and count statements by kind."""
    import aiomysql.cursors

    counts: Counter = Counter()
    original = aiomysql.cursors.Cursor.execute

    async def execute(self: Any, query: str, args: Any = None) -> Any:
        counts["information_schema" if "information_schema" in query.lower() else "data"] += 1
        return await original(self, query, args)

    aiomysql.cursors.Cursor.execute = execute  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        aiomysql.cursors.Cursor.execute = original  # type: ignore[method-assign]


def measure(dsn: Dsn) -> tuple[Any, float, Counter]:
    with counted_statements() as counts:
        started = time.monotonic()
        analysis = asyncio.run(analyze_schema(dsn))
        elapsed = time.monotonic() - started
    return analysis, elapsed, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    root = Dsn.parse(f"{MYSQL_URL}/mysql")
    if args.rebuild or table_count(root) != args.tables:
        generate(root, args.tables, args.rows)
    sakila = root.with_database("m2d_sakila")
    corpora.ensure_sakila(sakila)
    print("schema analysis (connection-level statement counts)")
    ok = True
    fixed: set[int] = set()
    for label, dsn in (("sakila", sakila), (f"{args.tables}-table", root.with_database(DATABASE))):
        analysis, elapsed, counts = measure(dsn)
        kinds = Counter(r.cardinality for r in analysis.relationships)
        print(f"  {label:>10}: {len(analysis.tables):5d} tables, {len(analysis.relationships):5d} relationships "
              f"({kinds['1:N']} 1:N, {kinds['1:1']} 1:1, {kinds['M:N']} M:N) in {elapsed:6.2f} s; "
              f"information_schema queries: {counts['information_schema']}, data queries: {counts['data']}")
        if counts["information_schema"] != analysis.queries.information_schema:
            print(f"  mismatch: the analysis reports {analysis.queries.information_schema} metadata queries")
            ok = False
        fixed.add(counts["information_schema"])
    verdict = "fixed" if len(fixed) == 1 and ok else "NOT fixed"
    print(f"  information_schema query count {verdict} across table counts: {sorted(fixed)}")
    return 0 if verdict == "fixed" else 1


if __name__ == "__main__":
    sys.exit(main())
