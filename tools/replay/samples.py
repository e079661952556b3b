"""Parameter sets to replay: the application's own statements from its query log (each distinct
text of a pattern's fingerprint, up to N), topped up from the data when the log has fewer (or
there is no log): each value the example statement compares a column with is replaced by a
distinct value of that column (SELECT DISTINCT ... LIMIT N; a LIKE prefix by a distinct prefix of
the same length), read-only, values as driver parameters."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from mysql2ddb.tools.analysis.logs.fingerprint import READ, Fingerprinter
from mysql2ddb.tools.analysis.logs.general import parse_general
from mysql2ddb.tools.analysis.logs.readers import LineReader, Problems, detect_format
from mysql2ddb.tools.analysis.logs.slow import parse_slow
from mysql2ddb.tools.analysis.logs.times import Clock
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.replay.statement import Statement, Unsupported, driver_text


class _Enough(Exception):
    """Every fingerprint has its N statements: stop reading the log."""


class _Counts:
    """The part of the analysis' aggregator the log parsers touch (noise counts, the clock)."""

    def __init__(self) -> None:
        self.noise: Counter = Counter()

    def see(self, ts: Any) -> None:
        return None


class _Collector:
    """Stands in for the analysis' transaction tracker: keeps the first N distinct texts of each
    wanted fingerprint, as the application sent them."""

    def __init__(self, wanted: dict[str, str], n: int):
        self.agg, self.fp = _Counts(), Fingerprinter()
        self.wanted, self.n = wanted, n
        self.found: dict[str, dict[str, None]] = {pid: {} for pid in set(wanted.values())}
        self.statements = 0
        self.full = 0

    def statement(self, conn: Any, ts: Any, text: str, metrics: Any = None) -> None:
        self.statements += 1
        shape = self.fp.shape(text)
        pid = self.wanted.get(shape.fingerprint) if shape.kind == READ else None
        if pid is None:
            return
        kept = self.found[pid]
        if len(kept) < self.n and text not in kept:
            kept[text] = None
            if len(kept) == self.n:
                self.full += 1
                if self.full == len(self.found):
                    raise _Enough

    def connect(self, conn: Any) -> None:
        return None

    def quit(self, conn: Any) -> None:
        return None


def log_samples(path: Path, fingerprints: dict[str, str], n: int) -> tuple[dict[str, list[str]], list[str]]:
    """pattern id -> up to n distinct statements of its fingerprint (`fingerprints`: fingerprint ->
    pattern id), and notes."""
    if not fingerprints:
        return {}, []
    kind = detect_format(path)
    if kind == "digest":
        note = f"{path.name} is a digest export: it holds no literal values, so every parameter set comes from the data"
        return {}, [note]
    collector = _Collector(fingerprints, n)
    problems = Problems()
    parse = parse_general if kind == "general" else parse_slow
    try:
        parse(LineReader(path, problems), collector, Clock(), problems)  # type: ignore[arg-type]
    except _Enough:
        pass
    return {pid: list(texts) for pid, texts in collector.found.items()}, []


# ---- from the data ----------------------------------------------------------------------------


def _literal(value: Any) -> exp.Expression | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal)):
        return exp.Literal.number(str(value))
    if isinstance(value, datetime):
        return exp.Literal.string(value.isoformat(sep=" "))
    if isinstance(value, (str, date)):
        return exp.Literal.string(str(value))
    return None


def _values_query(table: str, slots: list[Any], n: int) -> exp.Select:
    """SELECT DISTINCT <each slot's column (a prefix: its first characters)> FROM table LIMIT n."""
    picks: list[exp.Expression] = []
    for slot in slots:
        column = sql.col(slot.column[1])
        if slot.kind == "prefix":
            width = max(1, len(str(_prefix_of(slot.node) or "")))
            column = exp.Left(this=column, expression=exp.Literal.number(width))
        picks.append(column)
    query = exp.select(*picks).from_(sql.table(table)).distinct().limit(n)
    nonempty = [exp.Not(this=exp.Is(this=sql.col(s.column[1]), expression=exp.Null())) for s in slots]
    return query.where(exp.and_(*nonempty))


def _prefix_of(node: exp.Expression) -> str | None:
    return node.this[:-1] if isinstance(node, exp.Literal) and node.is_string and node.this.endswith("%") else None


def data_samples(conn: Any, example: str, catalog: Any, n: int, flavor: str | None) -> list[str]:
    """Up to n statements shaped like `example` with the values of its WHERE comparisons taken from
    the data (tables read independently, their value sets paired in order)."""
    stmt = Statement(example, catalog, source="data")
    slots = [s for s in stmt.slots if catalog.column(stmt.names.get(s.column[0], s.column[0]), s.column[1]) is not None]
    if not slots:
        raise Unsupported("its WHERE compares no column with a value the data could supply")
    by_table: dict[str, list[Any]] = {}
    for slot in slots:
        by_table.setdefault(slot.column[0], []).append(slot)
    columns: list[tuple[list[Any], list[tuple]]] = []
    for table, table_slots in by_table.items():
        text, params = driver_text(_values_query(stmt.names[table], table_slots, n), flavor)
        with conn.cursor() as cur:
            cur.execute(text, params)
            columns.append((table_slots, list(cur.fetchall())))
    out: list[str] = []
    for i in range(min(len(rows) for _, rows in columns)):
        values = {id(slot): value for table_slots, rows in columns for slot, value in zip(table_slots, rows[i])}
        text = _filled(stmt, slots, [values[id(s)] for s in slots])
        if text is not None:
            out.append(text)
    return out


def rows_first_samples(conn: Any, example: str, catalog: Any, n: int, flavor: str | None) -> list[str]:
    """Up to n statements shaped like `example` that return rows: the values of its compared
    columns read from rows meeting the statement's other conditions (its FROM, joins and WHERE with
    each compared value's test replaced by TRUE), so a pattern whose logged values all found
    nothing (no open rental for those customers) is still compared on real answers."""
    stmt = Statement(example, catalog, source="data")
    slots = [s for s in stmt.slots if isinstance(s.node.parent, (exp.EQ, exp.In, exp.Like))]
    if not slots:
        raise Unsupported("its WHERE compares no column with a value the data could supply")
    finder = stmt.tree.copy()
    tests = {_path(s.node.parent): _compared(s) for s in slots}
    picks = []
    for path, (column, prefix) in tests.items():
        target = _at(finder, path)
        picks.append(exp.Left(this=column.copy(), expression=exp.Literal.number(prefix)) if prefix else column.copy())
        target.replace(exp.true())
    for arg in ("group", "having", "order", "limit", "offset"):
        finder.set(arg, None)
    finder.set("expressions", picks)
    finder.set("distinct", exp.Distinct())
    finder.set("limit", exp.Limit(expression=exp.Literal.number(n)))
    text, params = driver_text(finder, flavor)
    with conn.cursor() as cur:
        cur.execute(text, params)
        rows = list(cur.fetchall())
    picked = [list(tests).index(_path(s.node.parent)) for s in slots]  # each slot's column in a row
    return [text for row in rows if (text := _filled(stmt, slots, [row[i] for i in picked])) is not None]


def _filled(stmt: Statement, slots: list[Any], values: list[Any]) -> str | None:
    """The statement with each slot's value in its place (a LIKE prefix gets its `%`); None when a
    value cannot be a literal (NULL, a type replay does not write)."""
    literals = [_literal(f"{v}%" if s.kind == "prefix" and isinstance(v, str) else v) for s, v in zip(slots, values)]
    if any(literal is None for literal in literals):
        return None
    tree = stmt.tree.copy()
    for slot, literal in zip(slots, literals):
        _at(tree, _path(slot.node)).replace(literal)
    return tree.sql(dialect="mysql")


def _compared(slot: Any) -> tuple[exp.Expression, int | None]:
    """The column a slot's value is compared with, and for a LIKE prefix its width."""
    test = slot.node.parent
    column = test.this if test.this is not slot.node else test.expression
    if slot.kind == "prefix":
        return column, max(1, len(str(_prefix_of(slot.node) or "")))
    return column, None


def _at(tree: exp.Expression, path: tuple) -> exp.Expression:
    node = tree
    for key, index in path:
        child = node.args[key]
        node = child[index] if isinstance(child, list) else child
    return node


def _path(node: exp.Expression) -> tuple:
    out = []
    while node.parent is not None:
        out.append((node.arg_key, node.index))
        node = node.parent
    return tuple(reversed(out))


def canonical(text: str) -> str:
    """One text per statement, whatever its spacing or case, to keep parameter sets distinct."""
    try:
        return sqlglot.parse_one(text, read="mysql").sql(dialect="mysql")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError):
        return " ".join(text.split())
