"""A batch of source transactions becomes DynamoDB puts and deletes, through the contract.

Record-copy-replay: the position is recorded before the copy reads, and every change after it is
applied once the copy is done, in commit order, by one applier. A change is never applied from the
binlog's values alone: the items it feeds are read again through the compiled view, filtered to
the rows it touched (links.py), so what is written is the source's state now, with every join,
calculation, json-construction and multi-entity collection exactly as the copy makes it. The state
now is never older than the change, so replays after a crash and overlap with the copy converge.

A row whose key changes, or that is deleted, leaves items under its old keys: those keys are
computed by running the same SELECT over the row's before image (a one-row derived table as
`src`), and deleted unless the new state produced them again. A joined row whose change alters a
column the item key is built from (a film title in CategoryFilms' sort key) moves items too: the
old keys come from the SELECT over that table as it was (`_as_it_was`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

import pymysql
from sqlglot import exp

from mysql2ddb.tools.cdc.links import Link, Via, link, source_of, top_selects
from mysql2ddb.tools.cdc.stream import RowChange, Transaction
from mysql2ddb.tools.contract.catalog import Catalog
from mysql2ddb.tools.contract.model import Contract
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.execution.convert import RowRejected, build_converter
from mysql2ddb.tools.execution.item_keys import key_text
from mysql2ddb.tools.execution.spec import table_spec
from mysql2ddb.tools.execution.views import compile_query
from mysql2ddb.tools.execution.views_exprs import SRC

SCHEMA_GONE = {1054, 1146}  # MySQL's unknown column, unknown table
Op = tuple[str, dict]  # ("put", item) or ("delete", key attributes)
Ops = dict[tuple[str, str], Op]  # (table, key text) -> the last operation for that item


@dataclass
class TableIndex:
    name: str
    spec: dict[str, Any]
    selects: list[exp.Select]
    convert: Any

    def key(self, item: dict) -> str:
        return key_text(item, self.spec["pk"], self.spec.get("sk"))

    def key_attributes(self, item: dict) -> dict:
        return {k: item[k] for k in (self.spec["pk"], self.spec.get("sk")) if k}


@dataclass
class ContractIndex:
    """The compiled contract, and each source table's row key (primary or NOT NULL unique)."""

    tables: list[TableIndex]
    row_keys: dict[str, list[str]]
    _links: dict[str, list[tuple[TableIndex, int, Link]]] = field(default_factory=dict)
    _key_columns: dict[tuple[str, int, str], frozenset[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, contract: Contract, catalog: Catalog, row_keys: dict[str, list[str]]) -> "ContractIndex":
        tables = []
        for table in contract.tables:
            spec = table_spec(table, catalog)
            tables.append(TableIndex(table.table, spec, top_selects(compile_query(table, catalog)),
                                     build_converter(spec)))
        return cls(tables, row_keys)

    def links(self, source: str) -> list[tuple[TableIndex, int, Link]]:
        if source not in self._links:
            self._links[source] = [(t, i, found) for t in self.tables for i, s in enumerate(t.selects)
                                   if (found := link(s, source)) is not None]
        return self._links[source]

    def key_columns(self, table: TableIndex, i: int, source: str) -> frozenset[str]:
        """Columns of `source` that the item's key (pk, sk) of SELECT i is built from."""
        cache_key = (table.name, i, source)
        if cache_key not in self._key_columns:
            select = table.selects[i]
            aliases = {t.alias_or_name for t in select.find_all(exp.Table) if t.name == source}
            keys = {table.spec["pk"], table.spec.get("sk")} - {None}
            self._key_columns[cache_key] = frozenset(
                c.name for projection in select.expressions if projection.alias_or_name in keys
                for c in projection.find_all(exp.Column) if c.table in aliases)
        return self._key_columns[cache_key]

    def sources(self) -> set[str]:
        return {source_of(s) for t in self.tables for s in t.selects}


def _param(value: Any) -> Any:
    """A binlog value as a driver parameter (SET members and JSON documents arrive parsed)."""
    if isinstance(value, (set, frozenset)):
        return ",".join(sorted(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


@dataclass
class _Wanted:
    """What to read again for one SELECT: rows by key, rows by joined values, or all of them."""

    keys: set[tuple] = field(default_factory=set)
    values: dict[str, set] = field(default_factory=dict)
    via: dict[Via, set] = field(default_factory=dict)  # through a middle table: T's values
    everything: bool = False
    before: list[dict[str, Any]] = field(default_factory=list)  # base rows' old images (old keys)
    # joined rows (by table) whose change moves items to another key: (before, after) images
    moved: dict[str, list[tuple[dict[str, Any], dict[str, Any] | None]]] = field(default_factory=dict)


def _collect(index: ContractIndex, changes: Iterable[RowChange]) -> dict[tuple[str, int], _Wanted]:
    wanted: dict[tuple[str, int], _Wanted] = {}
    for change in changes:
        for table, i, found in index.links(change.table):
            want = wanted.setdefault((table.name, i), _Wanted())
            images = [img for img in (change.before, change.after) if img is not None]
            if found.kind != "base" and change.before is not None:
                feeds = index.key_columns(table, i, change.table)
                if feeds and (change.after is None or any(change.before.get(c) != change.after.get(c) for c in feeds)):
                    want.moved.setdefault(change.table, []).append((change.before, change.after))
            if found.kind == "full":
                want.everything = True
            elif found.kind == "via" and found.via is not None:
                want.via.setdefault(found.via, set()).update(
                    _param(img.get(found.via.t_column)) for img in images if img.get(found.via.t_column) is not None)
            elif found.kind == "join":
                for t_col, src_col in found.pairs:
                    want.values.setdefault(src_col, set()).update(
                        _param(img.get(t_col)) for img in images if img.get(t_col) is not None)
            else:
                key = index.row_keys.get(change.table)
                if key:
                    want.keys.update(tuple(_param(img.get(c)) for c in key) for img in images)
                else:  # its key was dropped meanwhile (that DDL, ahead, stops the sync): all of the view
                    want.everything = True
                if change.before is not None:
                    want.before.append(change.before)
    return wanted


def _reread(select: exp.Select, want: _Wanted, key_columns: list[str]) -> tuple[str, list[Any]] | None:
    """The SELECT filtered to the rows a batch touched (driver text, parameters); None: nothing."""
    found = _filter(select, want, key_columns)
    if found is None:
        return None
    shape, params, build = found
    return _rendered(select, shape, build), params


def _filter(select: exp.Select, want: _Wanted, key_columns: list[str]) -> tuple[tuple, list[Any], Any] | None:
    """(shape, parameters, a builder of the filtered SELECT with `?` placeholders); None: nothing."""
    if want.everything:
        return ("all",), [], lambda: select
    shape: list[tuple] = []
    params: list[Any] = []
    if want.keys:
        shape.append(("keys", tuple(key_columns), len(want.keys)))
        params.extend(v for values in sorted(want.keys, key=repr) for v in values)
    for column, values in sorted(want.values.items()):
        if values:
            shape.append(("in", column, len(values)))
            params.extend(sorted(values, key=repr))
    for via, values in sorted(want.via.items(), key=lambda kv: repr(kv[0])):
        if values:
            shape.append(("via", via, len(values)))
            params.extend(sorted(values, key=repr))
    if not shape:
        return None

    def build() -> exp.Select:
        terms: list[exp.Expression] = []
        for part in shape:
            if part[0] == "keys" and len(key_columns) == 1:
                terms.append(sql.in_params(sql.col(key_columns[0], SRC), part[2]))
            elif part[0] == "keys":
                row = exp.and_(*[exp.EQ(this=sql.col(c, SRC), expression=sql.param()) for c in key_columns])
                terms.extend(row.copy() for _ in range(part[2]))
            elif part[0] == "via":
                terms.append(_through(part[1], part[2]))
            else:
                terms.append(sql.in_params(sql.col(part[1], SRC), part[2]))
        return select.copy().where(exp.or_(*terms) if len(terms) > 1 else terms[0])

    return tuple(shape), params, build


def _as_it_was(select: exp.Select, want: _Wanted, key_columns: list[str], table: str,
               moved: list[tuple[dict[str, Any], dict[str, Any] | None]],
               table_key: list[str]) -> tuple[str, list[Any]] | None:
    """The filtered SELECT over `table` as it was before these changes: its changed rows' before
    images, and its other rows as they are (a derived table in each place the SELECT reads it).
    The items it makes are the ones the changes moved away from (a renamed title in a sort key)."""
    found = _filter(select, want, key_columns)
    if found is None:  # the link's columns were NULL on both sides: no item was reached through it
        return None
    _shape, params, build = found
    query = build().copy()
    named: dict[str, Any] = {}

    def bind(value: Any) -> exp.Placeholder:
        name = f"m2d_p{len(named)}"
        named[name] = _param(value)
        return exp.Placeholder(this=name)

    columns = list(moved[0][0])
    derived = _image_rows(columns, [before for before, _after in moved], lambda image, c: bind(image.get(c)))
    rest = exp.select(*[sql.col(c) for c in columns]).from_(sql.table(table))
    changed = {tuple(image.get(k) for k in table_key) for pair in moved for image in pair if image is not None}
    if table_key and changed:
        rest = rest.where(exp.not_(exp.or_(*[exp.and_(*[exp.EQ(this=sql.col(k), expression=bind(v))
                                                          for k, v in zip(table_key, key)]) for key in changed])))
    derived = exp.Union(this=derived, expression=rest, distinct=False)
    for node in list(query.find_all(exp.Table)):
        if node.name == table:
            alias = exp.TableAlias(this=sql.ident(node.alias_or_name))
            node.replace(exp.Subquery(this=derived.copy(), alias=alias))
    return sql.driver_sql_ordered(query, params, named)


def _through(via: Via, count: int) -> exp.In:
    """`src.w IN (SELECT m.z FROM middle AS m WHERE m.y IN (?, ...))`: the items a changed row
    reaches through the middle table, as the middle table is now."""
    middle = exp.select(sql.col(via.to_src, _MIDDLE)).from_(sql.table(via.middle, alias=_MIDDLE)).where(
        sql.in_params(sql.col(via.middle_column, _MIDDLE), count))
    return exp.In(this=sql.col(via.src_column, SRC), query=exp.Subquery(this=middle))


_MIDDLE = "__m2d_via"
_RENDERED: dict[tuple[int, tuple], str] = {}


def _rendered(select: exp.Select, shape: tuple, build: Any) -> str:
    """Driver text per SELECT and parameter shape, built once: a batch differs only in its values."""
    key = (id(select), shape)
    if key not in _RENDERED:
        if len(_RENDERED) > 4096:
            _RENDERED.clear()
        _RENDERED[key] = sql.driver_sql(build())
    return _RENDERED[key]


def _over_images(select: exp.Select, images: list[dict[str, Any]]) -> tuple[str, list[Any]]:
    """The SELECT with `src` replaced by the given row images (a derived table of parameters)."""
    columns = list(images[0])

    def build() -> exp.Select:
        derived = _image_rows(columns, images, lambda _image, _c: sql.param())
        query = select.copy()
        query.set("from_", exp.From(this=exp.Subquery(this=derived, alias=exp.TableAlias(this=sql.ident(SRC)))))
        return query

    text = _rendered(select, ("images", tuple(columns), len(images)), build)
    return text, [_param(img.get(c)) for img in images for c in columns]


def _image_rows(columns: list[str], images: list[dict[str, Any]], value: Any) -> exp.Expression:
    """`SELECT v AS c, ... UNION ALL SELECT ...`, one row per image; value(image, column) gives
    each cell's placeholder."""
    derived: exp.Expression | None = None
    for image in images:  # nested by hand: exp.union would copy the growing tree each time
        row = exp.select(*[exp.alias_(value(image, c), sql.ident(c)) for c in columns])
        derived = row if derived is None else exp.Union(this=derived, expression=row, distinct=False)
    assert derived is not None
    return derived


def _items(conn: Any, table: TableIndex, text: str, params: list[Any]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    with conn.cursor() as cur:
        cur.execute(text, params)
        for row in cur.fetchall():
            try:
                item = table.convert(row)
            except RowRejected:
                continue  # the copy rejects it too (its reason is in the copy's reject file)
            out[table.key(item)] = item
    return out


def derive(conn: Any, index: ContractIndex, transactions: list[Transaction], skipped: set[str] | None = None) -> Ops:
    """The puts and deletes that bring DynamoDB to the source's state for these transactions.
    With `skipped`, a SELECT whose re-read fails on a column or table the source no longer has
    (a DDL ahead in the binlog removed it) adds its contract table there instead of raising."""
    by_name = {t.name: t for t in index.tables}
    ops: Ops = {}
    wanted = _collect(index, (c for tx in transactions for c in tx.changes))
    for (name, i), want in wanted.items():
        table, select = by_name[name], by_name[name].selects[i]
        try:
            old, now = _old_and_now(conn, index, table, select, want)
        except pymysql.err.MySQLError as exc:
            if skipped is None or not exc.args or exc.args[0] not in SCHEMA_GONE:
                raise
            skipped.add(name)
            continue
        for key in set(old) - set(now):
            ops[(name, key)] = ("delete", table.key_attributes(old[key]))
        for key, item in now.items():
            ops[(name, key)] = ("put", item)
    return ops


def _old_and_now(conn: Any, index: ContractIndex, table: TableIndex, select: exp.Select,
                 want: _Wanted) -> tuple[dict[str, dict], dict[str, dict]]:
    """The items under the rows' old images, and the items the source produces now."""
    old: dict[str, dict] = {}
    if want.before:
        groups: dict[tuple, list] = {}
        for image in want.before:  # one derived table per column layout
            groups.setdefault(tuple(image), []).append(image)
        for images in groups.values():
            for at in range(0, len(images), 100):  # bounded statements (and nesting) per query
                old.update(_items(conn, table, *_over_images(select, images[at:at + 100])))
    key_columns = index.row_keys.get(source_of(select), [])
    for joined, moved in want.moved.items():  # joined rows that moved items to other keys: where from
        before = _as_it_was(select, want, key_columns, joined, moved, index.row_keys.get(joined, []))
        if before is not None:
            old.update(_items(conn, table, *before))
    reread = _reread(select, want, key_columns)
    return old, _items(conn, table, *reread) if reread else {}
