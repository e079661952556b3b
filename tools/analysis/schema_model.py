"""The schema analysis result (`analysis/schema.json`): what the live database holds, as read from
information_schema, plus what was measured from the data (row counts, relationship cardinality,
orphans, key skew, row sizes). The modeling stage reads this model or its JSON.

Conventions
- `type` is the full COLUMN_TYPE as the server reports it (`decimal(5,2) unsigned`,
  `enum('G','PG')`); `data_type` is the bare lowercase type. On MariaDB a JSON column is
  `longtext` with a `json_valid()` check: `is_json` says so.
- `rows` is exact unless `rows_estimated` (the table's estimate was above the threshold).
- A relationship's `cardinality` is measured from the data when `measured`; otherwise it is the
  declared one (a unique FK is 1:1, any other 1:N). M:N relationships go through a junction
  table (`via`): a table whose primary key is made of exactly two foreign keys.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mysql2ddb.tools.core.render import Table

Cardinality = Literal["1:1", "1:N", "M:N"]
RelationSource = Literal["foreign_key", "inferred", "junction"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Column(_Model):
    name: str
    type: str = Field(description="full COLUMN_TYPE, e.g. 'decimal(5,2) unsigned'")
    data_type: str = Field(description="bare lowercase DATA_TYPE, e.g. 'decimal'")
    nullable: bool
    default: str | None = Field(None, description="default value (unquoted literal) or expression text")
    default_is_expression: bool = False
    precision: int | None = Field(None, description="NUMERIC_PRECISION (or DATETIME_PRECISION for temporal types)")
    scale: int | None = None
    max_length: int | None = Field(None, description="CHARACTER_MAXIMUM_LENGTH")
    unsigned: bool = False
    values: list[str] | None = Field(None, description="ENUM/SET members in declaration order")
    charset: str | None = None
    collation: str | None = None
    generated: str | None = Field(None, description="generation expression of a generated column")
    generated_stored: bool | None = Field(None, description="True STORED, False VIRTUAL, None not generated")
    auto_increment: bool = False
    is_json: bool = False
    is_spatial: bool = False
    comment: str | None = None


class KeyRef(_Model):
    name: str
    columns: list[str]


class ForeignKey(_Model):
    name: str
    columns: list[str]
    ref_table: str
    ref_columns: list[str]
    ref_schema: str | None = Field(None, description="set only when the parent lives in another database")
    on_delete: str = "RESTRICT"
    on_update: str = "RESTRICT"


class Index(_Model):
    name: str
    columns: list[str]
    unique: bool
    primary: bool = False
    kind: str = Field("BTREE", description="INDEX_TYPE: BTREE, HASH, FULLTEXT, SPATIAL")
    prefix_lengths: list[int | None] = Field(default_factory=list, description="SUB_PART per column")
    cardinality: int | None = Field(None, description="server's distinct-value estimate for the whole index")
    prefix_cardinality: list[int | None] = Field(
        default_factory=list, description="server's distinct-value estimate of each leading prefix (1..n columns)")


class TableInfo(_Model):
    name: str
    engine: str | None = None
    rows: int
    rows_estimated: bool = Field(False, description="True: `rows` is the server's estimate, not COUNT(*)")
    avg_row_length: int | None = Field(None, description="information_schema AVG_ROW_LENGTH (storage estimate)")
    avg_row_bytes: float | None = Field(None, description="measured mean of the column values' byte lengths")
    data_length: int | None = None
    collation: str | None = None
    comment: str | None = None
    columns: list[Column] = Field(default_factory=list)
    primary_key: list[str] = Field(default_factory=list)
    unique_keys: list[KeyRef] = Field(default_factory=list)
    foreign_keys: list[ForeignKey] = Field(default_factory=list)
    indexes: list[Index] = Field(default_factory=list)

    def column(self, name: str) -> Column | None:
        lowered = name.lower()
        return next((c for c in self.columns if c.name.lower() == lowered), None)


class View(_Model):
    name: str
    definition: str | None = Field(None, description="empty when the user lacks SHOW VIEW")
    updatable: bool = False
    columns: list[Column] = Field(default_factory=list)


class Trigger(_Model):
    name: str
    table: str
    timing: str = Field(description="BEFORE or AFTER")
    event: str = Field(description="INSERT, UPDATE or DELETE")
    statement: str


class Relationship(_Model):
    parent: str = Field(description="the referenced table (for M:N: one side)")
    child: str = Field(description="the referencing table (for M:N: the other side)")
    columns: list[str] = Field(description="child columns (for M:N: the junction's columns to `parent`)")
    ref_columns: list[str] = Field(default_factory=list, description="parent columns referenced")
    cardinality: Cardinality
    declared_cardinality: Cardinality | None = Field(None, description="from the constraints alone")
    source: RelationSource = "foreign_key"
    name: str | None = Field(None, description="constraint name")
    via: str | None = Field(None, description="junction table of an M:N relationship")
    via_columns: list[str] = Field(default_factory=list, description="M:N: the junction's columns to `child`")
    via_ref_columns: list[str] = Field(default_factory=list, description="M:N: `child` columns referenced")
    measured: bool = Field(False, description="False: the child was above the row threshold; stats left out")
    parents_with_children: int | None = None
    max_children: int | None = Field(None, description="most child rows for one parent (M:N: children per parent)")
    avg_children: float | None = Field(None, description="mean child rows per parent that has any")
    max_parents: int | None = Field(None, description="M:N only: most parents for one child")
    avg_parents: float | None = None
    orphans: int | None = Field(None, description="child rows whose key matches no parent row")


class TopValue(_Model):
    value: Any = None
    count: int
    share: float


class KeyStats(_Model):
    table: str
    columns: list[str]
    unique: bool = False
    distinct: int | None = Field(None, description="distinct non-NULL values (estimated when `estimated`)")
    nulls: int | None = None
    top_values: list[TopValue] = Field(default_factory=list)
    top_share: float | None = Field(None, description="share of rows holding the single most frequent value")
    avg_row_bytes: float | None = Field(None, description="measured average row size of the table")
    estimated: bool = Field(False, description="True: from index statistics, the table was above the threshold")


class QueryStats(_Model):
    information_schema: int = Field(0, description="metadata queries (a fixed number, whatever the table count)")
    data: int = Field(0, description="queries on the data: counts, relationship and key statistics")
    seconds: float = 0.0


class SchemaAnalysis(_Model):
    database: str
    server: str | None = None
    exact_count_threshold: int = 1_000_000
    tables: list[TableInfo] = Field(default_factory=list)
    views: list[View] = Field(default_factory=list)
    triggers: list[Trigger] = Field(default_factory=list)
    relationships: list[Relationship] = Field(default_factory=list)
    key_stats: list[KeyStats] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    queries: QueryStats = Field(default_factory=QueryStats)

    def __repr__(self) -> str:
        # Short on purpose: asyncio.run() reprs its main task's result on the way out (a CPython
        # quirk in signal handling), and a full repr of a thousand tables costs seconds.
        return (f"SchemaAnalysis(database={self.database!r}, tables={len(self.tables)}, "
                f"relationships={len(self.relationships)})")

    def table(self, name: str) -> TableInfo | None:
        lowered = name.lower()
        return next((t for t in self.tables if t.name.lower() == lowered), None)

    def relationship(self, parent: str, child: str) -> Relationship | None:
        """The first relationship between the two tables, in either direction for M:N."""
        for rel in self.relationships:
            if (rel.parent, rel.child) == (parent, child):
                return rel
            if rel.cardinality == "M:N" and (rel.child, rel.parent) == (parent, child):
                return rel
        return None

    def summary(self) -> str:
        kinds = {k: sum(1 for r in self.relationships if r.cardinality == k) for k in ("1:1", "1:N", "M:N")}
        estimated = sum(1 for t in self.tables if t.rows_estimated)
        lines = [
            f"Database `{self.database}`: {len(self.tables)} tables, {len(self.views)} views, "
            f"{len(self.triggers)} triggers; {len(self.relationships)} relationships "
            f"({kinds['1:1']} 1:1, {kinds['1:N']} 1:N, {kinds['M:N']} M:N).",
            f"Metadata read in {self.queries.information_schema} information_schema queries; "
            f"{self.queries.data} data queries; {self.queries.seconds:.2f} s.",
        ]
        if estimated:
            lines.append(f"{estimated} table(s) above {self.exact_count_threshold:,} rows: counts are estimates.")
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n\n".join(lines)

    def report(self) -> "SchemaReport":
        """The renderable view (`tables()`/`summary()`): `tables` is the data field here."""
        return SchemaReport(self)


class SchemaReport:
    """Rendering of a SchemaAnalysis for tools/core/render.py (JSON comes from the model itself)."""

    def __init__(self, analysis: SchemaAnalysis):
        self.analysis = analysis

    def summary(self) -> str:
        return self.analysis.summary()

    def tables(self) -> list[Table]:
        a = self.analysis
        return [
            Table("Tables", ["table", "rows", "estimated", "engine", "columns", "primary key", "foreign keys",
                             "indexes", "avg row bytes"],
                  [[t.name, t.rows, "yes" if t.rows_estimated else "", t.engine, len(t.columns),
                    ", ".join(t.primary_key), len(t.foreign_keys), len(t.indexes), t.avg_row_bytes]
                   for t in a.tables]),
            Table("Relationships", ["parent", "child", "columns", "cardinality", "via", "max children",
                                    "avg children", "orphans"],
                  [[r.parent, r.child, ", ".join(r.columns), r.cardinality, r.via, r.max_children,
                    r.avg_children, r.orphans] for r in a.relationships]),
            Table("Key distribution (non-unique candidate keys)",
                  ["table", "columns", "distinct", "top share", "estimated"],
                  [[k.table, ", ".join(k.columns), k.distinct, k.top_share, "yes" if k.estimated else ""]
                   for k in a.key_stats if not k.unique]),
        ]
