"""The schema facts recommend_design needs, over the stage-1 SchemaAnalysis: column types mapped
to DynamoDB types, foreign keys in both directions, junction tables, measured children per parent,
and resolving a column the SQL left unqualified."""

from __future__ import annotations

from typing import Any

from mysql2ddb.tools.core.errors import InputError
from mysql2ddb.tools.analysis.schema_model import Column, ForeignKey, Relationship, SchemaAnalysis, TableInfo
from mysql2ddb.tools.contract.catalog import ColumnInfo
from mysql2ddb.tools.contract.validate_scope import column_class
from mysql2ddb.tools.modeling.table_keys import TableKey, table_key

# value class (validate_scope.column_class) -> DynamoDB attribute type
DDB_TYPES = {"numeric": "N", "bool": "BOOL", "string": "S", "temporal": "S", "binary": "B", "spatial": "S",
             "set": "SS", "json": "S"}
KEY_TYPES = {"N": "N", "S": "S", "B": "B"}
AUDIT_COLUMNS = {"last_update", "updated_at", "modified_at", "last_modified"}


def as_schema(schema: Any) -> SchemaAnalysis:
    if isinstance(schema, SchemaAnalysis):
        return schema
    try:
        return SchemaAnalysis.model_validate(schema)
    except ValueError as exc:
        raise InputError(f"not a schema analysis: {str(exc).splitlines()[0]}", where="schema",
                         remedy="run analyze_schema first and pass analysis/schema.json") from None


def column_info(column: Column) -> ColumnInfo:
    data_type = "json" if column.is_json else column.data_type.lower()
    return ColumnInfo(name=column.name, data_type=data_type, column_type=column.type, nullable=column.nullable,
                      numeric_precision=column.precision, numeric_scale=column.scale, unsigned=column.unsigned,
                      enum_values=column.values, max_length=column.max_length)


def value_class(column: Column) -> str | None:
    if column.is_spatial:
        return "spatial"
    return column_class(column_info(column))


class SchemaIndex:
    def __init__(self, schema: Any):
        self.analysis = as_schema(schema)
        self.tables: dict[str, TableInfo] = {t.name: t for t in self.analysis.tables}

    # ---- tables and columns ------------------------------------------------------------------

    def table(self, name: str | None) -> TableInfo | None:
        if name is None:
            return None
        return self.tables.get(name) or self.analysis.table(name)

    def name(self, table: str) -> str:
        """The schema's spelling of a table name (SQL may differ in case)."""
        info = self.table(table)
        return info.name if info else table

    def column(self, table: str | None, column: str) -> Column | None:
        info = self.table(table)
        return info.column(column) if info else None

    def ddb_type(self, table: str, column: str) -> str:
        col = self.column(table, column)
        return DDB_TYPES.get(value_class(col) or "", "S") if col else "S"

    def key_type(self, table: str, column: str) -> str | None:
        """S/N/B for a key attribute; None when the column cannot be a key (BOOL, sets...)."""
        return KEY_TYPES.get(self.ddb_type(table, column))

    def sortable_as_text(self, table: str, column: str) -> bool:
        """True when the column's text form sorts like its value (strings, ISO date-times)."""
        col = self.column(table, column)
        return col is not None and value_class(col) in ("string", "temporal")

    def resolve(self, table: str | None, column: str, candidates: list[str]) -> str | None:
        """The table an unqualified column belongs to: `table` if given, else the first candidate having it."""
        if table:
            return self.name(table)
        for name in candidates:
            if self.column(name, column) is not None:
                return self.name(name)
        return None

    def key_of(self, table: str) -> TableKey | None:
        """How the table's items are keyed (tools/modeling/table_keys.py); None for an unknown table."""
        info = self.table(table)
        return table_key(self.analysis, info) if info is not None else None

    def primary_key(self, table: str) -> list[str]:
        """The columns keying the table's items (the primary key, a unique key, the user's choice),
        or [SYNTHETIC_ATTRIBUTE] for a row hash; [] when the table has no usable key."""
        key = self.key_of(table)
        return list(key.columns) if key is not None else []

    # ---- relationships -----------------------------------------------------------------------

    def foreign_key(self, child: str, columns: list[str], parent: str | None = None) -> ForeignKey | None:
        """The child's FK made exactly of `columns` (to `parent` when given)."""
        info = self.table(child)
        wanted = [c.lower() for c in columns]
        for fk in info.foreign_keys if info else []:
            if sorted(c.lower() for c in fk.columns) == sorted(wanted) and \
                    (parent is None or fk.ref_table.lower() == parent.lower()):
                return fk
        return None

    def is_junction(self, table: str) -> bool:
        return any(r.via and r.via.lower() == table.lower() for r in self.analysis.relationships)

    def junction(self, table: str) -> Relationship | None:
        return next((r for r in self.analysis.relationships
                     if r.cardinality == "M:N" and r.via and r.via.lower() == table.lower()), None)

    def children_bound(self, parent: str, child: str, columns: list[str]) -> int | None:
        """Most child rows for one parent, measured; None when not measured."""
        for rel in self.analysis.relationships:
            if rel.cardinality == "M:N" or not rel.measured:
                continue
            if rel.parent.lower() == parent.lower() and rel.child.lower() == child.lower() and \
                    sorted(c.lower() for c in rel.columns) == sorted(c.lower() for c in columns):
                return rel.max_children
        return None

    def junction_bound(self, junction: str, side: str) -> int | None:
        """M:N through `junction`: most rows of the other side for one row of `side`."""
        rel = self.junction(junction)
        if rel is None or not rel.measured:
            return None
        if rel.parent.lower() == side.lower():
            return rel.max_children
        if rel.child.lower() == side.lower():
            return rel.max_parents
        return None

    def rows(self, table: str) -> int | None:
        info = self.table(table)
        return info.rows if info else None

    def distinct(self, table: str, column: str) -> int | None:
        for stats in self.analysis.key_stats:
            if stats.table.lower() == table.lower() and [c.lower() for c in stats.columns] == [column.lower()]:
                return stats.distinct
        pk = self.primary_key(table)
        if [c.lower() for c in pk] == [column.lower()]:
            return self.rows(table)
        fk = self.foreign_key(table, [column])
        return self.rows(fk.ref_table) if fk else None
