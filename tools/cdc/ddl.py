"""Which binlog statements change the schema, which tables they change, and how far.

A ROW binlog carries row changes as row events; what it still logs as statements (QueryEvent) is
transaction control (BEGIN, COMMIT, SAVEPOINT, XA) and DDL. A DDL is read with sqlglot, the way
every SQL text in this project is; a statement sqlglot cannot parse (or keeps as a raw Command:
`RENAME TABLE`, `ALTER ONLINE TABLE`, `ALTER TABLE ... CONVERT TO`) falls back to keywords, and
then always counts as changing the rows' values (nothing smaller can be proven).

`columns` says how far a change reaches into existing rows: None, any value may differ (TRUNCATE,
DROP, RENAME, CREATE OR REPLACE, an unknown ALTER); a set, only those columns' values (empty: none
at all: new columns, indexes, keys, comments). The sync compares it with the columns the contract
reads to decide whether the items must be re-built (tools/cdc/schema_change.py).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

DdlKind = Literal["alter", "truncate", "drop", "rename", "create", "index", "view", "database"]
TableName = tuple[str | None, str]  # (database named in the statement, else None: the session's; table)

_DDL_WORDS = {"CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE"}
_LEADING = re.compile(r"^(?:\s+|/\*(?!!).*?\*/|--[^\n]*(?:\n|$)|#[^\n]*(?:\n|$))*", re.S)
_NAME = r"(?:`(?:[^`]|``)+`|[\w$]+)"
_QUALIFIED = rf"{_NAME}(?:\s*\.\s*{_NAME})?"
_IF = r"(?:IF\s+(?:NOT\s+)?EXISTS\s+)?"
_TEMPORARY = re.compile(r"(?:CREATE|DROP)\s+(?:OR\s+REPLACE\s+)?(?:/\*!\d*\s*)?TEMPORARY\b", re.I)
_ENGINES_THAT_DROP_ROWS = {"BLACKHOLE"}  # ENGINE=BLACKHOLE keeps no rows: as good as a truncate
_HARMLESS_OPTIONS = (exp.AutoIncrementProperty, exp.SchemaCommentProperty, exp.AlgorithmProperty, exp.LockProperty,
                     exp.Order)


class _QuietWhileReading(logging.Filter):
    """Drops sqlglot's warnings while (and only while) this thread reads a statement."""

    local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(self.local, "active", False)


_QUIET = _QuietWhileReading()
logging.getLogger("sqlglot").addFilter(_QUIET)


@dataclass
class Ddl:
    kind: DdlKind
    tables: list[TableName] = field(default_factory=list)
    columns: frozenset[str] | None = None  # see the module docstring


def read_ddl(statement: str) -> Ddl | None:
    """The schema change a logged statement makes; None for anything else (transaction control,
    grants, routines, triggers, temporary tables: none changes a table's rows)."""
    text = _LEADING.sub("", statement, count=1)
    word = re.match(r"[A-Za-z]+", text)
    if word is None or word.group(0).upper() not in _DDL_WORDS:
        return None
    if _TEMPORARY.match(text):
        return None  # a temporary table is the session's own: no view reads it
    _QUIET.local.active = True  # sqlglot's "falling back to Command" warning: the fallback is ours
    try:
        node = sqlglot.parse_one(text, read="mysql")
    except SqlglotError:
        node = None
    finally:
        _QUIET.local.active = False
    if node is None or isinstance(node, exp.Command):
        return _by_keywords(text)
    return _by_tree(node)


def _name(table: exp.Expression | None) -> TableName | None:
    if not isinstance(table, exp.Table) or not table.name:
        return None
    return (table.db or None, table.name)


def _names(tables: list) -> list[TableName]:
    return [n for n in (_name(t) for t in tables) if n is not None]


def _by_tree(node: exp.Expression) -> Ddl | None:
    kind = str(node.args.get("kind") or "").upper()
    if isinstance(node, exp.TruncateTable):
        return Ddl("truncate", _names(node.expressions))
    if isinstance(node, exp.Drop):
        listed = node.args.get("tables") or [node.this]
        if kind == "TABLE":
            return Ddl("drop", _names(listed))
        if kind == "VIEW":
            return Ddl("view", _names(listed))
        if kind == "INDEX":
            on = node.args.get("cluster")
            return Ddl("index", _names([on.this] if on is not None else []), frozenset())
        if kind in ("DATABASE", "SCHEMA"):
            return Ddl("database", [(None, t.name) for t in listed if isinstance(t, exp.Table)])
        return None
    if isinstance(node, exp.Create):
        target = node.this.this if isinstance(node.this, exp.Schema) else node.this
        if kind == "TABLE":
            return Ddl("create", _names([target]))
        if kind == "VIEW":
            return Ddl("view", _names([target]))
        if kind == "INDEX" and isinstance(node.this, exp.Index):
            return Ddl("index", _names([node.this.args.get("table")]), frozenset())
        if kind in ("DATABASE", "SCHEMA") and node.args.get("replace"):
            return Ddl("database", [(None, target.name)])  # CREATE OR REPLACE DATABASE drops it first
        return None
    if isinstance(node, exp.Alter):
        if kind == "VIEW":
            return Ddl("view", _names([node.this]))
        if kind != "TABLE":
            return None
        actions = node.args.get("actions") or []
        renamed = _names([a.this for a in actions if isinstance(a, exp.AlterRename)])
        if renamed:
            return Ddl("rename", _names([node.this]) + renamed)
        return Ddl("alter", _names([node.this]), _changed_columns(actions, node.args.get("options") or []))
    return None


def _changed_columns(actions: list, options: list) -> frozenset[str] | None:
    """The existing columns whose values an ALTER TABLE may change; None: it may change any."""
    changed: set[str] = set()
    for action in actions:
        drop_kind = str(action.args.get("kind") or "").upper() if isinstance(action, exp.Drop) else ""
        if isinstance(action, (exp.ColumnDef, exp.AddConstraint, exp.RenameIndex, exp.DropPrimaryKey, exp.ForceProperty)):
            continue  # a new column, a key, a rebuild in place: no value changes (row keys are checked on accept)
        if isinstance(action, exp.Drop) and drop_kind in ("INDEX", "KEY", "FOREIGN KEY", "CONSTRAINT", "CHECK"):
            continue
        if isinstance(action, exp.AlterColumn) and (action.args.get("default") is not None or action.args.get("drop")):
            continue  # a default applies to later inserts, which arrive as row events
        if isinstance(action, exp.Drop) and drop_kind == "COLUMN":
            changed.update(c.name.lower() for c in action.args.get("tables") or [action.this])
        elif isinstance(action, exp.ModifyColumn):
            changed.update(n.name.lower() for n in (action.this, action.args.get("rename_from")) if n is not None)
        elif isinstance(action, (exp.RenameColumn, exp.AlterColumn)):
            changed.add(action.this.name.lower())
        else:
            return None
    for option in options:
        if isinstance(option, exp.EngineProperty):
            if option.name.upper() in _ENGINES_THAT_DROP_ROWS:
                return None
        elif not isinstance(option, _HARMLESS_OPTIONS):
            return None
    return frozenset(changed)


# ---- the keyword fallback: names only, and always "any value may differ" -------------------------

def _split_name(text: str) -> TableName:
    parts = [p.strip() for p in re.findall(_NAME, text)]
    unquoted = [p[1:-1].replace("``", "`") if p.startswith("`") else p for p in parts]
    return (unquoted[0], unquoted[1]) if len(unquoted) == 2 else (None, unquoted[0])


def _listed(text: str) -> list[TableName]:
    return [_split_name(m) for m in re.findall(_QUALIFIED, text)]


def _by_keywords(text: str) -> Ddl | None:
    flags = re.I | re.S
    if m := re.match(rf"ALTER\s+(?:ONLINE\s+|IGNORE\s+)*TABLE\s+{_IF}({_QUALIFIED})", text, flags):
        return Ddl("alter", [_split_name(m.group(1))])
    if m := re.match(r"RENAME\s+TABLES?\s+(.*)", text, flags):
        pairs = re.findall(rf"({_QUALIFIED})\s+TO\s+({_QUALIFIED})", m.group(1), flags)
        return Ddl("rename", [_split_name(n) for pair in pairs for n in pair])
    if m := re.match(rf"TRUNCATE\s+(?:TABLE\s+)?({_QUALIFIED})", text, flags):
        return Ddl("truncate", [_split_name(m.group(1))])
    if m := re.match(rf"(?:CREATE|ALTER|DROP)\b[^;]*?\bVIEW\s+{_IF}({_QUALIFIED}(?:\s*,\s*{_QUALIFIED})*)", text, flags):
        return Ddl("view", _listed(m.group(1)))
    if m := re.match(rf"(?:CREATE|DROP)\b[^;(]*?\bINDEX\s+{_NAME}\s+ON\s+({_QUALIFIED})", text, flags):
        return Ddl("index", [_split_name(m.group(1))], frozenset())
    if m := re.match(rf"DROP\s+(?:DATABASE|SCHEMA)\s+{_IF}({_NAME})", text, flags):
        return Ddl("database", [_split_name(m.group(1))])
    if m := re.match(rf"(CREATE|DROP)\b[^;(]*?\bTABLES?\s+{_IF}({_QUALIFIED}(?:\s*,\s*{_QUALIFIED})*)", text, flags):
        return Ddl("create" if m.group(1).upper() == "CREATE" else "drop", _listed(m.group(2)))
    return None  # routines, triggers, events, users, ALTER DATABASE: no table's rows change
