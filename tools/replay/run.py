"""Replay every access pattern: parameter sets (samples.py), then per set the statement on MySQL and
the mapped request on DynamoDB, compared through the contract (compare.py). Read-only on both
sides: MySQL runs each set in a READ ONLY transaction (the statement and the contract's view of
its rows see one snapshot), DynamoDB gets GetItem and Query only."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymysql
from botocore.exceptions import BotoCoreError, ClientError
from sqlglot import exp

from mysql2ddb.tools.contract.model import Contract
from mysql2ddb.tools.core.aws import map_aws_error
from mysql2ddb.tools.core.db import Dsn, map_db_error, server_flavor, sync_connection
from mysql2ddb.tools.core.progress import NullProgress, ProgressSink
from mysql2ddb.tools.execution.item_keys import key_text
from mysql2ddb.tools.modeling.design import Design
from mysql2ddb.tools.replay.compare import (
    SampleDiff, items_against_answer, list_against_rows, order_against_answer, plain, rows_against_items, show_key,
)
from mysql2ddb.tools.replay.dynamo import Answer, NotServable, run_request
from mysql2ddb.tools.replay.expected import NoItem, expected_items, primary_keys
from mysql2ddb.tools.replay.plan import Plan, plan
from mysql2ddb.tools.replay.report import PatternReplay
from mysql2ddb.tools.replay.samples import canonical, data_samples, log_samples, rows_first_samples
from mysql2ddb.tools.replay.statement import KEY_PREFIX, ORDER_PREFIX, Statement, Unsupported, driver_text
from mysql2ddb.tools.replay.values import Unresolvable, Values

SHOWN_DIFFS = 3
# sqlglot renders START TRANSACTION READ ONLY as MySQL's invalid BEGIN READ ONLY: a constant text, no name or value
_BEGIN = "START TRANSACTION READ ONLY"
_ROLLBACK = exp.Rollback().sql(dialect="mysql")


@dataclass
class Sources:
    """Where replay reads: the database, the DynamoDB client, and how units are measured."""

    dsn: Dsn
    client: Any
    sized: bool  # True: units from item sizes (a local stand-in); False: DynamoDB's ConsumedCapacity
    catalog: Any
    log: Path | None = None
    samples: int = 20
    notes: list[str] = field(default_factory=list)


class _Session:
    """One MySQL connection for the whole replay."""

    def __init__(self, conn: Any, dsn: Dsn):
        self.conn, self.dsn = conn, dsn
        self.flavor = server_flavor(conn)

    def rows(self, tree: exp.Select) -> tuple[list[str], list[tuple]]:
        text, params = driver_text(tree, self.flavor)
        with self.conn.cursor() as cur:
            cur.execute(text, params)
            return [str(d[0]) for d in cur.description or []], list(cur.fetchall())

    def value(self, tree: exp.Select) -> Any:
        rows = self.rows(tree)[1]
        return rows[0][0] if rows else None

    def begin(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute(_BEGIN)

    def rollback(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute(_ROLLBACK)


def _samples(plans: list[Plan], session: _Session, sources: Sources) -> dict[str, list[tuple[str, str]]]:
    """pattern id -> [(statement, 'log' | 'data')], distinct, up to `samples` each."""
    n = sources.samples
    found: dict[str, dict[str, tuple[str, str]]] = {p.pattern.id: {} for p in plans}
    if sources.log is not None:
        wanted = {p.fingerprint: p.pattern.id for p in plans if p.fingerprint}
        texts, notes = log_samples(sources.log, wanted, n)
        sources.notes += notes
        for pid, statements in texts.items():
            for text in statements:
                found[pid].setdefault(canonical(text), (text, "log"))
    for p in plans:
        kept = found[p.pattern.id]
        if len(kept) >= n:
            continue
        try:
            for text in data_samples(session.conn, p.sql, sources.catalog, n * 2, session.flavor):
                if len(kept) >= n:
                    break
                kept.setdefault(canonical(text), (text, "data"))
        except Unsupported as exc:
            p.result.notes.append(f"no parameter sets from the data: {exc}")
    return {pid: list(kept.values())[:n] for pid, kept in found.items()}


def _primary_key(keys: dict[str, list[str]], table: str) -> list[str]:
    found = keys.get(table.lower())
    if not found:
        raise NotServable(f"{table} has no primary key: its rows cannot be told apart")
    return found


@dataclass
class _MysqlAnswer:
    """What MySQL said for one parameter set, and what the contract makes of it."""

    count: int | None = None  # SELECT COUNT(*)
    outputs: list[str] = field(default_factory=list)  # the statement's own columns
    values: list[tuple] = field(default_factory=list)  # each row's values of those columns
    row_keys: list[tuple] = field(default_factory=list)  # each row's base-table key
    order_values: list[tuple] = field(default_factory=list)  # each row's ORDER BY values
    expected: dict = field(default_factory=dict)  # base-table key -> the contract's item (or NoItem)


def _check(p: Plan, stmt: Statement) -> list[str]:
    """Refuse what replay cannot compare; the embedded list attributes when the rows are a list's."""
    source = p.source.lower()
    if stmt.grouped and not stmt.count_only:
        raise Unsupported(f"the SELECT aggregates ({', '.join(stmt.aggregates) or 'GROUP BY'}): replay compares "
                          "items and COUNT(*) only")
    if stmt.distinct and not stmt.count_only:
        raise Unsupported("SELECT DISTINCT: its rows are not one item each")
    embedded = p.embedded() if source not in stmt.tables else []
    if not stmt.count_only and source not in stmt.tables and not embedded:
        raise NotServable(f"the statement does not read {p.source}, the source of the items it is served from")
    return embedded


def _mysql_side(p: Plan, stmt: Statement, session: _Session, sources: Sources, keys: dict[str, list[str]],
                embedded: list[str]) -> _MysqlAnswer:
    """The statement, then the contract's items of its rows, in one READ ONLY transaction."""
    out = _MysqlAnswer()
    session.begin()
    try:
        if stmt.count_only:
            out.count = int(session.rows(stmt.keyed(None, [])[0])[1][0][0])
            return out
        base = _primary_key(keys, p.source)
        tree, order_names = stmt.keyed(None if embedded else stmt.names[p.source.lower()], [] if embedded else base)
        names, rows = session.rows(tree)
        lower = [n.lower() for n in names]
        out.outputs = [n for n in names if not n.lower().startswith((KEY_PREFIX, ORDER_PREFIX))]
        out.values = [row[:len(out.outputs)] for row in rows]  # the statement's own columns come first
        at = [lower.index(n) for n in order_names]
        out.order_values = [tuple(row[i] for i in at) for row in rows]
        if embedded:
            wanted = [_parent_key(stmt, p.source, base)]
        else:
            at = [lower.index(f"{KEY_PREFIX}{i}") for i in range(len(base))]
            wanted = out.row_keys = [tuple(row[i] for i in at) for row in rows]
        out.expected = expected_items(session.conn, session.flavor, p.table, p.entity, sources.catalog, p.spec,
                                      base, wanted)
        return out
    finally:
        session.rollback()


def _dynamodb_side(p: Plan, stmt: Statement, session: _Session, sources: Sources) -> Answer:
    vals = Values(stmt, p.table, p.entity, p.spec, sources.catalog, session.value)
    try:
        return run_request(sources.client, p.op, vals, p.spec["key_types"], sized=sources.sized, offset=stmt.offset)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("ResourceNotFoundException", "ValidationException"):
            raise NotServable(f"DynamoDB refused the request: {exc}") from None
        raise map_aws_error(exc, f"replay {p.pattern.id}") from None
    except BotoCoreError as exc:
        raise map_aws_error(exc, f"replay {p.pattern.id}") from None


def _sample(p: Plan, stmt: Statement, session: _Session, sources: Sources, keys: dict[str, list[str]],
            diff: SampleDiff) -> Answer:
    """Run one parameter set on both sides and fill `diff`; returns DynamoDB's answer."""
    embedded = _check(p, stmt)
    mysql = _mysql_side(p, stmt, session, sources, keys, embedded)
    answer = _dynamodb_side(p, stmt, session, sources)
    if mysql.count is not None:
        diff.rows = mysql.count
        diff.items = answer.count if answer.count is not None else len(answer.items)
    elif embedded:
        _embedded(diff, p, stmt, mysql, answer, embedded[0])
    else:
        _items(diff, p, stmt, mysql, answer)
    return answer


def _items(diff: SampleDiff, p: Plan, stmt: Statement, mysql: _MysqlAnswer, answer: Answer) -> None:
    """One item per row: rows against the contract's items, those against DynamoDB's, and the order."""
    pk, sk = p.table.pk, p.table.sk
    items: list[dict | None] = []
    texts: list[str] = []
    for key in mysql.row_keys:
        item = mysql.expected.get(key)
        if not isinstance(item, dict):
            why = item.reason if isinstance(item, NoItem) else "the contract's view has no row for it"
            diff.problems.append(f"{p.source} row {key} makes no item: {why}")
            item = None
        items.append(item)
        texts.append(show_key(key_text(item, pk, sk)) if item else f"{p.source} {key}")
    diff.rows, diff.items = len(mysql.values), len(answer.items)
    rows_against_items(diff, mysql.outputs, mysql.values, items, texts, p.names())
    items_against_answer(diff, [i for i in items if i], answer.items, pk, sk, p.names())
    if stmt.order:
        truncated = stmt.limit is not None and len(mysql.values) == stmt.limit
        order_against_answer(diff, texts, mysql.order_values, answer.items, pk, sk, truncated)


def _parent_key(stmt: Statement, source: str, base: list[str]) -> tuple:
    values = []
    for column in base:
        found = stmt.binding(source, column)
        if found is None or found[0].kind != "eq":
            raise NotServable(f"the statement gives {source}.{column} no single value: the item holding the list "
                              "cannot be found")
        values.append(found[0].values[0])
    return tuple(values)


def _embedded(diff: SampleDiff, p: Plan, stmt: Statement, mysql: _MysqlAnswer, answer: Answer, name: str) -> None:
    """A list embedded in one item: DynamoDB's item against the contract's, the list against the rows."""
    found = list(mysql.expected.values())
    item = next((i for i in found if isinstance(i, dict)), None)
    diff.problems += [f"the contract makes no {p.source} item: {i.reason}" for i in found if isinstance(i, NoItem)]
    items_against_answer(diff, [item] if item else [], answer.items, p.table.pk, p.table.sk, p.names())
    window = slice(stmt.offset, stmt.offset + stmt.limit if stmt.limit is not None else None)
    elements = plain(item.get(name)) if item else []
    elements = (elements[window] if stmt.order or stmt.limit is not None else elements) \
        if isinstance(elements, list) else []
    got = plain(answer.items[0].get(name)) if answer.items else []
    diff.rows = len(mysql.values)
    diff.items = len(got[window]) if isinstance(got, list) else 0
    key = show_key(key_text(item, p.table.pk, p.table.sk)) if item else "(no item)"
    list_against_rows(diff, mysql.outputs, mysql.values, elements, bool(stmt.order), f"{key} {name}")


def _replay_pattern(p: Plan, samples: list[tuple[str, str]], session: _Session, sources: Sources,
                    keys: dict[str, list[str]], estimate: float | None) -> PatternReplay:
    result = p.result
    result.status, result.estimated_read_units = "matched", estimate
    units: list[float] = []
    _replay_sets(p, samples, session, sources, keys, units)
    if result.status == "matched" and result.samples and not result.with_rows:
        _with_rows(p, {canonical(text) for text, _ in samples}, session, sources, keys, units)
    if result.status == "matched":
        if not result.samples:
            result.status, result.why = "not_servable", "no parameter set: the log has none and the data gave none"
        elif result.differing:
            result.status = "differing"
    if units:
        result.read_units_per_call = round(sum(units) / len(units), 3)
        result.read_units_max = max(units)
        result.units_source = "computed from item sizes" if sources.sized else "reported by DynamoDB"
    return result


def _replay_sets(p: Plan, samples: list[tuple[str, str]], session: _Session, sources: Sources,
                 keys: dict[str, list[str]], units: list[float]) -> None:
    """Each parameter set on both sides, counted into p.result; the first one replay cannot run
    makes the pattern not_servable."""
    result = p.result
    for text, origin in samples:
        diff = SampleDiff(statement=text)
        try:
            stmt = Statement(text, sources.catalog, origin)
            answer = _sample(p, stmt, session, sources, keys, diff)
        except (Unsupported, NotServable, Unresolvable) as exc:
            result.status, result.why = "not_servable", str(exc)
            return
        except pymysql.err.MySQLError as exc:  # the pattern is named; the other patterns still run
            mapped = map_db_error(exc, f"replay {p.pattern.id}", sources.dsn)
            result.status, result.why = "not_servable", f"MySQL refused the statement: {mapped.why}"
            return
        result.samples += 1
        result.from_log += origin == "log"
        result.from_data += origin == "data"
        result.with_rows += diff.rows > 0 or diff.items > 0
        units.append(answer.units)
        if diff.empty:
            result.matched += 1
        else:
            result.differing += 1
            if len(result.diffs) < SHOWN_DIFFS:
                result.diffs.append(diff)


def _with_rows(p: Plan, tried: set[str], session: _Session, sources: Sources, keys: dict[str, list[str]],
               units: list[float]) -> None:
    """Every parameter set found nothing on MySQL, so matching proved only that both sides are
    empty: replay as many more whose values come from rows that meet the statement's other
    conditions. Said in the notes either way."""
    result, before = p.result, p.result.samples
    try:
        texts = rows_first_samples(session.conn, p.sql, sources.catalog, sources.samples * 2, session.flavor)
    except (Unsupported, pymysql.err.MySQLError) as exc:
        result.notes.append(f"every parameter set returned no rows, and none with rows could be read from the data "
                            f"({getattr(exc, 'args', [''])[0]!s:.160})")
        return
    fresh = [(t, "data") for t in dict.fromkeys(texts) if canonical(t) not in tried][:sources.samples]
    _replay_sets(p, fresh, session, sources, keys, units)
    if result.with_rows:
        result.notes.append(f"the first {before} parameter set(s) returned no rows on MySQL: {result.samples - before} "
                            "more were taken from rows that meet the statement's other conditions")
    else:
        result.notes.append("no parameter set returned rows on MySQL (the data has none that meet the statement): "
                            "the match shows only that both sides answer nothing")


def replay(patterns: list[Any], design: Design, contract: Contract, sources: Sources,
           estimates: dict[str, float], progress: ProgressSink | None = None) -> list[PatternReplay]:
    """Every pattern's replay, in registry order."""
    progress = progress or NullProgress()
    planned = [plan(p, design, contract, sources.catalog) for p in patterns]
    plans = [p for p in planned if isinstance(p, Plan)]
    with sync_connection(sources.dsn, where="replay") as conn:
        session = _Session(conn, sources.dsn)
        keys = primary_keys(conn, sources.dsn.database, session.flavor)
        progress.update("replay", 0, len(plans), "collecting parameter sets")
        samples = _samples(plans, session, sources)
        for done, p in enumerate(plans):
            progress.update("replay", done, len(plans), f"{p.pattern.id}: {len(samples[p.pattern.id])} parameter sets")
            _replay_pattern(p, samples[p.pattern.id], session, sources, keys, estimates.get(p.pattern.id))
        progress.update("replay", len(plans), len(plans), "done")
    return [p.result if isinstance(p, Plan) else p for p in planned]
