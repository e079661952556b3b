"""Which columns key each MySQL table's items in DynamoDB, decided once for all of modeling (the
schema patterns, the recommender, the unique-key decisions):

- `primary`: the table's primary key;
- `unique_pair`: a junction whose primary key is a lone surrogate nobody references, but whose
  UNIQUE key is the pair of foreign keys: keyed by the pair (the pair stays unique for free);
- `unique`: no primary key, a UNIQUE key of NOT NULL columns;
- `unique_no_nulls`: no primary key, a UNIQUE key whose columns allow NULL but hold none in the
  measured data (with a warning: a NULL written later has no item key);
- `chosen` / `synthetic`: the user's choice in `table_keys.json` (`choose_table_key`), columns or a
  hash of the whole row;
- none: the table is named with the reason, and the user is asked to choose.

The user's choices reach modeling through `KeyedSchema`: the schema analysis plus the choices, as
tools/modeling/design_io.py `load_schema` returns it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlglot import exp

from mysql2ddb.tools.analysis.schema_model import SchemaAnalysis, TableInfo
from mysql2ddb.tools.contract.model import Attribute, CaseCalculation, CaseWhen
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.core.errors import InputError

ARTIFACT = "table_keys.json"
SYNTHETIC_ATTRIBUTE = "row_hash"
KeyOrigin = Literal["primary", "unique_pair", "unique", "unique_no_nulls", "chosen", "synthetic"]
CHOOSE_HINT = ("choose its key: choose_table_key(table='{t}', columns=[...]) or synthetic=true "
               "(CLI: mysql2ddb model key {t} --columns a,b | --synthetic)")


class TableKeyChoice(BaseModel):
    """The user's key for a table without a usable one: columns, or a hash of every column."""

    model_config = ConfigDict(extra="forbid")

    table: str
    columns: list[str] = Field(default_factory=list, description="the key columns (empty: synthetic)")
    synthetic: Literal["hash"] | None = Field(None, description="hash: SHA-256 of every column's quoted value")
    rows: int | None = Field(None, description="rows when checked against the data")
    distinct: int | None = Field(None, description="distinct key values when checked")
    null_rows: int | None = Field(None, description="rows with a NULL in a key column when checked")
    warnings: list[str] = Field(default_factory=list)


class TableKeys(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choices: list[TableKeyChoice] = Field(default_factory=list)

    def get(self, table: str) -> TableKeyChoice | None:
        return next((c for c in self.choices if c.table.lower() == table.lower()), None)

    def put(self, choice: TableKeyChoice) -> None:
        self.choices = [c for c in self.choices if c.table.lower() != choice.table.lower()] + [choice]


class KeyedSchema(SchemaAnalysis):
    """The schema analysis as modeling reads it: with the user's table-key choices."""

    table_keys: list[TableKeyChoice] = Field(default_factory=list)


def load_table_keys(workspace: Any) -> TableKeys:
    if not workspace.exists(ARTIFACT):
        return TableKeys()
    try:
        return TableKeys.model_validate(workspace.read_json(ARTIFACT))
    except (ValidationError, ValueError) as exc:
        raise InputError(f"{ARTIFACT} is not a list of table-key choices: {str(exc).splitlines()[0]}", where=ARTIFACT,
                         remedy="delete it and choose the keys again (choose_table_key)") from None


def with_choices(analysis: SchemaAnalysis, keys: TableKeys) -> SchemaAnalysis:
    if not keys.choices:
        return analysis
    return KeyedSchema.model_validate({**analysis.model_dump(), "table_keys": [c.model_dump() for c in keys.choices]})


@dataclass
class TableKey:
    table: str
    columns: list[str] = field(default_factory=list)  # synthetic: [SYNTHETIC_ATTRIBUTE]
    origin: KeyOrigin | None = None
    warning: str | None = None  # a key that holds today but that the schema does not guarantee
    reason: str | None = None  # no usable key: why

    @property
    def usable(self) -> bool:
        return bool(self.columns)


def _choice(analysis: Any, table: str) -> TableKeyChoice | None:
    for raw in getattr(analysis, "table_keys", None) or []:
        choice = raw if isinstance(raw, TableKeyChoice) else TableKeyChoice.model_validate(raw)
        if choice.table.lower() == table.lower():
            return choice
    return None


def _nulls(analysis: SchemaAnalysis, info: TableInfo, columns: list[str]) -> int | None:
    """Rows with a NULL in any of `columns`, measured (0 when the columns are NOT NULL)."""
    if all(c is not None and not c.nullable for c in (info.column(n) for n in columns)):
        return 0
    wanted = [c.lower() for c in columns]
    for stats in analysis.key_stats:
        if stats.table.lower() == info.name.lower() and [c.lower() for c in stats.columns] == wanted \
                and not stats.estimated and stats.nulls is not None:
            return stats.nulls
    return None


def _junction_pair(analysis: SchemaAnalysis, info: TableInfo) -> list[str] | None:
    """The unique FK pair of a junction keyed by a lone surrogate that no foreign key references."""
    if len(info.primary_key) != 1:
        return None
    pk = info.primary_key[0].lower()
    for rel in analysis.relationships:
        if rel.cardinality != "M:N" or (rel.via or "").lower() != info.name.lower():
            continue
        pair = sorted(c.lower() for c in rel.columns + rel.via_columns)
        for key in info.unique_keys:
            if sorted(c.lower() for c in key.columns) == pair and _nulls(analysis, info, key.columns) == 0:
                referenced = any(fk.ref_table.lower() == info.name.lower() and pk in [c.lower() for c in fk.ref_columns]
                                 for t in analysis.tables for fk in t.foreign_keys)
                return None if referenced else list(key.columns)
    return None


def table_key(analysis: SchemaAnalysis, info: TableInfo) -> TableKey:
    choice = _choice(analysis, info.name)
    if choice is not None:
        if choice.synthetic:
            return TableKey(info.name, [SYNTHETIC_ATTRIBUTE], "synthetic",
                            warning="keyed by a hash of the whole row (your choice): identical rows share one item")
        return TableKey(info.name, list(choice.columns), "chosen")
    if info.primary_key:
        pair = _junction_pair(analysis, info)
        if pair:
            return TableKey(info.name, pair, "unique_pair")
        return TableKey(info.name, list(info.primary_key), "primary")
    unknown: list[str] = []
    for key in info.unique_keys:
        nulls = _nulls(analysis, info, key.columns)
        nullable = [c for c in key.columns if (col := info.column(c)) is None or col.nullable]
        if nulls == 0 and not nullable:
            return TableKey(info.name, list(key.columns), "unique")
        if nulls == 0:
            return TableKey(info.name, list(key.columns), "unique_no_nulls",
                            warning=f"{info.name} has no primary key and its UNIQUE key ({', '.join(key.columns)}) "
                                    f"allows NULL in {', '.join(nullable)}: the data holds none today, but a row "
                                    "written later with a NULL there has no item key; make the columns NOT NULL")
        unknown.append(f"({', '.join(key.columns)}) allows NULL and " +
                       ("the data holds some" if nulls else "its NULLs were not counted (table above the threshold)"))
    reason = "no primary key and " + ("no UNIQUE key" if not info.unique_keys else
                                      "no UNIQUE key without NULLs: " + "; ".join(unknown))
    return TableKey(info.name, [], None, reason=reason)


def keyless_tables(analysis: SchemaAnalysis) -> list[TableKey]:
    """Tables without a usable key, each with its reason."""
    return [key for info in analysis.tables if not (key := table_key(analysis, info)).usable]


def keyless_note(key: TableKey) -> str:
    return f"{key.table} has {key.reason}: DynamoDB items need a unique key; " + CHOOSE_HINT.format(t=key.table)


def row_hash(info: TableInfo) -> exp.Expression:
    """SHA2(CONCAT_WS(',', QUOTE(t.a), QUOTE(t.b), ...), 256): QUOTE writes NULL as the word NULL
    and quotes everything else, so two different rows never join to the same text."""
    parts = [exp.Anonymous(this="QUOTE", expressions=[exp.column(c.name, table=info.name)]) for c in info.columns]
    joined = exp.Anonymous(this="CONCAT_WS", expressions=[exp.Literal.string(","), *parts])
    return exp.Anonymous(this="SHA2", expressions=[joined, exp.Literal.number(256)])


def synthetic_attribute(info: TableInfo) -> Attribute:
    """The synthetic key attribute: the row hash, as a case calculation (a contract computes values
    with calculations; TRUE makes the one case always apply)."""
    then = row_hash(info).sql(dialect="mysql")
    return Attribute(name=SYNTHETIC_ATTRIBUTE, type="S", source_table=info.name,
                     source_column=[c.name for c in info.columns],
                     calculation=CaseCalculation(type="case", cases=[CaseWhen(when="TRUE", then=then)]),
                     justification=f"{info.name} has no key of its own: its items are keyed by a hash of the row")


def key_check_query(info: TableInfo, columns: list[str] | None) -> exp.Select:
    """Rows, distinct key values and rows with a NULL key column: for `columns`, or (None) for the
    row hash."""
    if columns is None:
        distinct = exp.Count(this=exp.Distinct(expressions=[row_hash(info)]))
        nulls: exp.Expression = exp.Literal.number(0)
    else:
        distinct = exp.Count(this=exp.Distinct(expressions=[sql.col(c) for c in columns]))
        any_null = exp.or_(*[exp.Is(this=sql.col(c), expression=exp.Null()) for c in columns])
        nulls = exp.Sum(this=exp.If(this=any_null, true=exp.Literal.number(1), false=exp.Literal.number(0)))
    return exp.select(exp.alias_(exp.Count(this=exp.Star()), "n"), exp.alias_(distinct, "d"),
                      exp.alias_(nulls, "z")).from_(sql.table(info.name))
