"""SQL fragments checked against the tables they may see: a fragment parses as one read-only
expression within the fragment policy (fragments.py, fragment_policy.py; every policy problem is
reported), every qualified name is a table or alias in scope, every table is a base table (not a
view), every column exists, and an unqualified name resolves against the source table first, then
the other tables in scope, where finding it in two is an error (contract-semantics.md §12).

Also here: what kind of value a column or fragment yields (numeric, string, temporal, ...) and how
many bytes it may take, for the key-type and item-size checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlglot import exp

from mysql2ddb.tools.core.errors import ContractError
from mysql2ddb.tools.contract.catalog import Catalog, ColumnInfo
from mysql2ddb.tools.contract.fragments import ColumnRef, FragmentKind, parse_fragment, references

if TYPE_CHECKING:
    from mysql2ddb.tools.contract.findings import Findings

_NUMERIC = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "float",
            "double", "real", "year", "bit"}
_STRING = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum"}
_TEMPORAL = {"date", "datetime", "timestamp", "time"}
_BINARY = {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"}
_SPATIAL = {"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
            "geometrycollection", "geomcollection"}

# Value classes: numeric, bool, string, temporal, binary, spatial, set, json, or None (unknown).


def column_class(column: ColumnInfo) -> str | None:
    kind = column.data_type
    if kind in ("tinyint", "bit") and column.column_type.lower().startswith(("tinyint(1)", "bit(1)")):
        return "bool"
    if kind in _NUMERIC:
        return "numeric"
    if kind == "json" or column.is_json:  # MariaDB: LONGTEXT with a json_valid() CHECK
        return "json"
    if kind == "set":
        return "set"
    if kind in _STRING:
        return "string"
    if kind in _TEMPORAL:
        return "temporal"
    if kind in _BINARY:
        return "binary"
    if kind in _SPATIAL:
        return "spatial"
    return None


def column_bytes(column: ColumnInfo, avg_row_length: int | None) -> tuple[int, int]:
    """(typical, worst) size of one value in a DynamoDB item."""
    kind = column_class(column)
    if kind in ("numeric", "bool"):
        return (min(21, (column.numeric_precision or 10) // 2 + 2), 21)
    if kind == "temporal":
        return (19, 19)
    if kind == "spatial":
        worst = 65535
    else:
        worst = column.octet_length or (column.max_length * 4 if column.max_length else 255)
    typical = worst // 2 if worst <= 1024 else min(worst, 1024)
    if avg_row_length:
        typical = min(typical, avg_row_length)
    return (max(typical, 1), worst)


_NUMERIC_NODES = tuple(getattr(exp, n) for n in (
    "Count", "Sum", "Avg", "Add", "Sub", "Mul", "Div", "IntDiv", "Mod", "Abs", "Round", "Floor", "Ceil",
    "Length", "Sign", "Sqrt", "Pow", "Ln", "Log", "Exp", "Year", "Month", "Day", "DayOfMonth", "DayOfWeek",
    "DayOfYear", "Quarter", "Week", "StrPosition", "DatetimeDiff", "DateDiff", "BitwiseAnd", "BitwiseOr",
) if hasattr(exp, n))
_STRING_NODES = tuple(getattr(exp, n) for n in (
    "Concat", "ConcatWs", "Upper", "Lower", "Substring", "Left", "Right", "Trim", "Replace", "TimeToStr",
    "DateToDi", "GroupConcat", "Initcap", "Pad", "Repeat", "Reverse", "Hex", "MD5", "SHA", "SHA2",
    "JSONExtractScalar", "Chr",
) if hasattr(exp, n))
_PASSTHROUGH = tuple(getattr(exp, n) for n in ("Min", "Max", "Paren", "Coalesce", "Neg", "AnyValue") if hasattr(exp, n))


@dataclass
class Resolver:
    """Names visible to a fragment: `scope` maps table names and aliases to real tables; `home`
    is the source table (unqualified names try it first)."""

    catalog: Catalog | None
    scope: dict[str, str]
    home: str | None
    out: "Findings"

    def known(self) -> str:
        return ", ".join(f"`{n}`" for n in self.scope) or "(none)"

    def _columns(self, table: str) -> dict[str, ColumnInfo] | None:
        if self.catalog is None or not self.catalog.has_table(table):
            return None  # unknown tables are reported where they are named
        return self.catalog.columns(table)

    def _qualified(self, ref: ColumnRef, path: str) -> ColumnInfo | None:
        q = ref.qualifier or ""
        table = ref.scope.get(q) or self.scope.get(q)
        if table is None:
            joined = self.catalog is not None and self.catalog.has_table(q)
            why = (f"`{ref.text}`: table `{q}` is not joined here" if joined
                   else f"`{ref.text}`: unknown table or alias `{q}`")
            self.out.error(path, why, f"qualify the column with a table or alias in scope: {self.known()}"
                           + ("" if joined else ", or declare the alias (join_alias) / join the table"))
            return None
        columns = self._columns(table)
        if columns is None:
            return None
        column = self.catalog.column(table, ref.name) if self.catalog else None
        if column is None:
            self.out.error(path, f"`{ref.text}`: unknown column `{ref.name}` in table `{table}`",
                           f"use a column of `{table}`: {_column_list(columns, ref.name)}")
        return column

    def _unqualified(self, ref: ColumnRef, path: str) -> ColumnInfo | None:
        if self.catalog is None:
            return None
        inner = list(dict.fromkeys(ref.scope.values()))
        outer = list(dict.fromkeys(t for t in self.scope.values() if t != self.home))
        layers = [inner] if inner else []
        layers += [[self.home]] if self.home else []
        layers.append(outer)
        for tables in layers:
            found = [(t, c) for t in tables if self._columns(t) is not None
                     for c in [self.catalog.column(t, ref.name)] if c is not None]
            if len(found) == 1:
                return found[0][1]
            if len(found) > 1:
                names = ", ".join(f"`{t}.{ref.name}`" for t, _ in found)
                self.out.error(path, f"`{ref.name}` is ambiguous: it could be {names}",
                               f"qualify it, e.g. `{found[0][0]}.{ref.name}` (§12: unqualified names are not guessed)")
                return None
        if any(self._columns(t) is None for t in inner + outer + [self.home or ""]):
            return None  # a table in scope is unknown: already reported, do not pile on
        self.out.error(path, f"unknown column `{ref.name}`: no table in scope ({self.known()}) has it",
                       "qualify it with the table that has this column, and join that table")
        return None

    def column(self, ref: ColumnRef, path: str) -> ColumnInfo | None:
        return self._qualified(ref, path) if ref.qualifier else self._unqualified(ref, path)

    def fragment(self, text: object, path: str, kind: FragmentKind = "expression") -> "Checked | None":
        """Parse and resolve one fragment; report problems; return what it yields."""
        if not isinstance(text, str):
            return None  # a wrong type is a schema error, already reported
        try:
            node = parse_fragment(text, path, kind)
        except ContractError as exc:
            for error in exc.details.get("errors") or [{"path": path, "message": exc.why, "remedy": exc.remedy}]:
                self.out.error(error["path"], error["message"], error["remedy"])
            return None
        refs = references(node)
        if self.catalog is not None:
            for table in refs.tables:
                if not self.catalog.has_table(table):
                    self.out.error(path, f"the subquery reads unknown table `{table}`",
                                   _table_remedy(self.catalog, table))
                elif is_view(self.catalog, table):
                    self.out.error(path, *_view_problem(table))
        resolved: dict[int, ColumnInfo] = {}
        for ref in refs.columns:
            info = self.column(ref, path)
            if info is not None:
                resolved[id(ref.node)] = info
        return Checked(node=node, columns=resolved, catalog=self.catalog)


@dataclass
class Checked:
    """A fragment that parsed, with its resolved columns (by node id)."""

    node: exp.Expression
    columns: dict[int, ColumnInfo]
    catalog: Catalog | None

    def value_class(self, node: exp.Expression | None = None) -> str | None:
        node = self.node if node is None else node
        if isinstance(node, exp.Column):
            info = self.columns.get(id(node))
            return column_class(info) if info else None
        if isinstance(node, exp.Literal):
            return "string" if node.is_string else "numeric"
        if isinstance(node, exp.Cast):
            target = node.to.this.name.lower() if node.to is not None else ""
            if any(w in target for w in ("int", "decimal", "double", "float", "numeric")):
                return "numeric"
            return "string" if "char" in target or "text" in target else None
        if isinstance(node, _NUMERIC_NODES):
            return "numeric"
        if isinstance(node, _STRING_NODES):
            return "string"
        if isinstance(node, _PASSTHROUGH):
            return self.value_class(node.this)
        return None

    def single_column(self) -> ColumnInfo | None:
        return self.columns.get(id(self.node)) if isinstance(self.node, exp.Column) else None

    def nbytes(self, avg_row_length: int | None = None) -> tuple[int, int]:
        """(typical, worst) bytes of the value: a column's size, or the sum over its columns and literals."""
        single = self.single_column()
        if single is not None:
            return column_bytes(single, avg_row_length)
        typical, worst = 8, 32
        for column in self.columns.values():
            t, w = column_bytes(column, avg_row_length)
            typical, worst = typical + t, worst + w
        for literal in self.node.find_all(exp.Literal):
            typical, worst = typical + len(literal.name), worst + len(literal.name)
        return (typical, worst)


def _column_list(columns: dict[str, ColumnInfo], wanted: str) -> str:
    close = [n for n in columns if wanted.lower() in n.lower() or n.lower() in wanted.lower()]
    names = close + [n for n in columns if n not in close]
    shown = ", ".join(f"`{n}`" for n in names[:12])
    return shown + (", ..." if len(names) > 12 else "")


def _table_remedy(catalog: Catalog, table: str) -> str:
    similar = catalog.similar_table(table)
    if similar:
        return f"table names are case-sensitive here: did you mean `{similar}`?"
    names = ", ".join(f"`{t}`" for t in list(catalog.tables)[:15])
    return f"name a table of database `{catalog.database}`: {names}{', ...' if len(catalog.tables) > 15 else ''}"


def check_table_name(catalog: Catalog | None, table: object, path: str, out: "Findings") -> bool:
    """True when the table exists (or cannot be checked)."""
    if not isinstance(table, str) or catalog is None:
        return isinstance(table, str)
    if catalog.has_table(table):
        if is_view(catalog, table):
            out.error(path, *_view_problem(table))
            return False
        return True
    out.error(path, f"unknown table `{table}` in database `{catalog.database}`", _table_remedy(catalog, table))
    return False


def is_view(catalog: Catalog, table: str) -> bool:
    stats = catalog.stats.get(table)
    return stats is not None and stats.table_type.upper() == "VIEW"


def _view_problem(table: str) -> tuple[str, str]:
    return (f"`{table}` is a view, not a table: a contract reads base tables only (a view runs its own SQL, "
            "with its definer's rights, outside the fragment policy)",
            f"name the base tables `{table}` reads, joined through the contract")


def table_columns_remedy(columns: dict[str, ColumnInfo], wanted: str, table: str) -> str:
    return f"use a column of `{table}`: {_column_list(columns, wanted)}"
