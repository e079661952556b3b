"""The user chooses the key of a table that has none usable (no primary key, no UNIQUE key free of
NULLs): columns, or a synthetic key (a SHA-256 hash of the whole row). With a database, the choice
is checked against the data first (one read-only query): chosen columns must hold no NULL and no
repeated value, since each row becomes one item; identical rows under a hash become one item (said
so). The choice is kept in table_keys.json, which the schema patterns and the recommender read
(through design_io.load_schema)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mysql2ddb.tools.analysis.schema_model import SchemaAnalysis, TableInfo
from mysql2ddb.tools.core.db import Dsn, async_connection, fetch_all
from mysql2ddb.tools.core.errors import InputError, NotFoundError
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.core.sql import driver_sql
from mysql2ddb.tools.modeling.table_keys import (
    ARTIFACT, SYNTHETIC_ATTRIBUTE, TableKeyChoice, key_check_query, keyless_tables, load_table_keys, table_key,
)

NEXT = ("rebuild the schema's default patterns if they came from the schema (build_access_patterns(source='schema'); "
        "CLI: mysql2ddb model patterns build --from-schema), then recommend_design (CLI: mysql2ddb model recommend)")


class KeyChosen(BaseModel):
    path: str = ARTIFACT
    choice: TableKeyChoice
    checked: bool = Field(description="false: no database to check the choice against")
    still_keyless: list[str] = Field(default_factory=list, description="other tables still without a usable key")

    def summary(self) -> str:
        c = self.choice
        how = f"a hash of every column ({SYNTHETIC_ATTRIBUTE})" if c.synthetic else f"({', '.join(c.columns)})"
        text = f"{c.table} is keyed by {how}, saved in `{self.path}`."
        if self.checked:
            text += f" Checked against the data: {c.rows:,} rows, {c.distinct:,} distinct key values."
        text += "".join(f" Warning: {w}" for w in c.warnings)
        if self.still_keyless:
            text += f" Still without a usable key: {', '.join(self.still_keyless)}."
        return f"{text} Next: {NEXT}."

    def tables(self) -> list[Table]:
        c = self.choice
        return [Table("Table key", ["table", "key", "rows", "distinct", "rows with NULL", "warnings"],
                      [[c.table, "row hash" if c.synthetic else ", ".join(c.columns), _n(c.rows), _n(c.distinct),
                        _n(c.null_rows), "; ".join(c.warnings)]])]


def _n(value: int | None) -> str:
    return "not checked" if value is None else f"{value:,}"


def _table(analysis: SchemaAnalysis, name: str) -> TableInfo:
    info = analysis.table(name)
    if info is None:
        keyless = [k.table for k in keyless_tables(analysis)]
        raise NotFoundError(f"no table {name!r} in the schema analysis", where="choose_table_key: table",
                            remedy="name an analysed table" + (f"; without a usable key: {', '.join(keyless)}"
                                                               if keyless else ""))
    return info


def _columns(info: TableInfo, columns: list[str] | None, synthetic: bool) -> list[str] | None:
    if bool(columns) == synthetic:
        raise InputError("give the key columns or ask for a synthetic key, one of the two",
                         where="choose_table_key: columns", remedy="columns=['a', 'b'] (CLI --columns a,b), or "
                         "synthetic=true (CLI --synthetic) for a hash of the whole row")
    if synthetic:
        return None
    out: list[str] = []
    for name in columns or []:
        col = info.column(name.strip())
        if col is None:
            raise InputError(f"{info.name} has no column {name!r}", where="choose_table_key: columns",
                             remedy="its columns: " + ", ".join(c.name for c in info.columns))
        if col.name not in out:
            out.append(col.name)
    return out


async def _check(dsn: Dsn, info: TableInfo, choice: TableKeyChoice, columns: list[str] | None) -> None:
    async with async_connection(dsn, where=f"choose_table_key: {info.name}") as conn:
        row = (await fetch_all(conn, driver_sql(key_check_query(info, columns)), where=f"check the key of {info.name}",
                               dsn=dsn))[0]
    choice.rows, choice.distinct, choice.null_rows = int(row["n"]), int(row["d"]), int(row["z"] or 0)
    repeated = choice.rows - choice.null_rows - choice.distinct
    if columns is None:
        if repeated:
            choice.warnings.append(f"{repeated:,} row(s) repeat another row exactly: each set of identical rows "
                                   "becomes one item (the copy reports the repeats as duplicate keys)")
        return
    if choice.null_rows or repeated:
        problems = ([f"{choice.null_rows:,} row(s) hold NULL in {', '.join(columns)}"] if choice.null_rows else []) + \
                   ([f"{repeated:,} row(s) repeat a key value"] if repeated else [])
        raise InputError(f"({', '.join(columns)}) cannot key {info.name}: " + " and ".join(problems),
                         where="choose_table_key: columns", details={"rows": choice.rows, "distinct": choice.distinct,
                                                                     "null_rows": choice.null_rows},
                         remedy="add columns until every row has its own non-NULL value, or choose a synthetic key "
                                "(a hash of the whole row)")


async def choose_key(workspace: Any, analysis: SchemaAnalysis, table: str, columns: list[str] | None = None,
                     synthetic: bool = False, dsn: Dsn | None = None) -> KeyChosen:
    info = _table(analysis, table)
    if info.primary_key:
        raise InputError(f"{info.name} has a primary key ({', '.join(info.primary_key)}): its items are keyed by it",
                         where="choose_table_key: table", remedy="choose keys only for tables without a primary key; "
                         "to key a table differently, edit the design (submit_design)")
    cols = _columns(info, columns, synthetic)
    choice = TableKeyChoice(table=info.name, columns=cols or [], synthetic="hash" if cols is None else None)
    if dsn is not None:
        await _check(dsn, info, choice, cols)
    else:
        choice.warnings.append("not checked against the data (no database configured): a NULL or repeated key "
                               "value would make the copy reject rows")
    keys = load_table_keys(workspace)
    keys.put(choice)
    workspace.write_json(ARTIFACT, keys)
    left = [k.table for k in keyless_tables(analysis) if k.table.lower() != info.name.lower()
            and not keys.get(k.table)]
    current = table_key(analysis, info)
    if current.origin in ("unique", "unique_no_nulls"):
        choice.warnings.append(f"it had a usable UNIQUE key already ({', '.join(current.columns)}); your choice wins")
    return KeyChosen(choice=choice, checked=dsn is not None, still_keyless=left)
