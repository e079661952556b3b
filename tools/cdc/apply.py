"""A batch of source transactions becomes DynamoDB puts and deletes, through the contract.

Record-copy-replay: the position is recorded before the copy reads, and every change after it is
applied once the copy is done, in commit order, by one applier. A change is never applied from the
binlog's values alone: the items it feeds are read again through the compiled view, filtered to
the rows it touched (links.py), so what is written is the source's state now, with every join,
calculation, json-construction and multi-entity collection exactly as the copy makes it. The state
now is never older than the change, so replays after a crash and overlap with the copy converge.

A row whose key changes, or that is deleted, leaves items under its old keys: those keys are
computed by running the same SELECT over the row's before image (a one-row derived table as
`src`), and deleted unless the new state produced them again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlglot import exp

from mysql2ddb.tools.cdc.links import Link, link, source_of, top_selects
from mysql2ddb.tools.cdc.stream import RowChange, Transaction
from mysql2ddb.tools.contract.catalog import Catalog
from mysql2ddb.tools.contract.model import Contract
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.execution.convert import RowRejected, build_converter, key_text
from mysql2ddb.tools.execution.spec import table_spec
from mysql2ddb.tools.execution.views import compile_query
from mysql2ddb.tools.execution.views_exprs import SRC

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
    everything: bool = False
    before: list[dict[str, Any]] = field(default_factory=list)  # base rows' old images (old keys)


def _collect(index: ContractIndex, changes: Iterable[RowChange]) -> dict[tuple[str, int], _Wanted]:
    wanted: dict[tuple[str, int], _Wanted] = {}
    for change in changes:
        for table, i, found in index.links(change.table):
            want = wanted.setdefault((table.name, i), _Wanted())
            images = [img for img in (change.before, change.after) if img is not None]
            if found.kind == "full":
                want.everything = True
            elif found.kind == "join":
                for t_col, src_col in found.pairs:
                    want.values.setdefault(src_col, set()).update(
                        _param(img.get(t_col)) for img in images if img.get(t_col) is not None)
            else:
                key = index.row_keys[change.table]
                want.keys.update(tuple(_param(img.get(c)) for c in key) for img in images)
                if change.before is not None:
                    want.before.append(change.before)
    return wanted


def _reread(select: exp.Select, want: _Wanted, key_columns: list[str]) -> tuple[exp.Select, list[Any]] | None:
    if want.everything:
        return select, []
    terms: list[exp.Expression] = []
    params: list[Any] = []
    for values in want.keys:
        terms.append(exp.and_(*[exp.EQ(this=sql.col(c, SRC), expression=sql.param()) for c in key_columns]))
        params.extend(values)
    for column, values in want.values.items():
        if values:
            terms.append(sql.in_params(sql.col(column, SRC), len(values)))
            params.extend(sorted(values, key=repr))
    if not terms:
        return None
    return select.copy().where(exp.or_(*terms) if len(terms) > 1 else terms[0]), params


def _over_images(select: exp.Select, images: list[dict[str, Any]]) -> tuple[exp.Select, list[Any]]:
    """The SELECT with `src` replaced by the given row images (a derived table of literals-as-params)."""
    columns = list(images[0])
    rows = [exp.select(*[exp.alias_(sql.param(), sql.ident(c)) for c in columns]) for _ in images]
    derived: exp.Expression = rows[0]
    for other in rows[1:]:
        derived = exp.union(derived, other, distinct=False)
    query = select.copy()
    query.set("from_", exp.From(this=exp.Subquery(this=derived, alias=exp.TableAlias(this=sql.ident(SRC)))))
    return query, [_param(img.get(c)) for img in images for c in columns]


def _items(conn: Any, table: TableIndex, query: exp.Select, params: list[Any]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    with conn.cursor() as cur:
        cur.execute(sql.driver_sql(query), params)
        for row in cur.fetchall():
            try:
                item = table.convert(row)
            except RowRejected:
                continue  # the copy rejects it too (its reason is in the copy's reject file)
            out[table.key(item)] = item
    return out


def derive(conn: Any, index: ContractIndex, transactions: list[Transaction]) -> Ops:
    """The puts and deletes that bring DynamoDB to the source's state for these transactions."""
    by_name = {t.name: t for t in index.tables}
    ops: Ops = {}
    wanted = _collect(index, (c for tx in transactions for c in tx.changes))
    for (name, i), want in wanted.items():
        table, select = by_name[name], by_name[name].selects[i]
        old: dict[str, dict] = {}
        if want.before:
            groups: dict[tuple, list] = {}
            for image in want.before:  # one derived table per column layout
                groups.setdefault(tuple(image), []).append(image)
            for images in groups.values():
                old.update(_items(conn, table, *_over_images(select, images)))
        reread = _reread(select, want, index.row_keys.get(source_of(select), []))
        now = _items(conn, table, *reread) if reread else {}
        for key in set(old) - set(now):
            ops[(name, key)] = ("delete", table.key_attributes(old[key]))
        for key, item in now.items():
            ops[(name, key)] = ("put", item)
    return ops
