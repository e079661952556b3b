"""Which binlog statements change the schema, which tables they change, and how far.

A ROW binlog carries row changes as row events; what it still logs as statements (QueryEvent) is
transaction control (BEGIN, COMMIT, SAVEPOINT, XA) and DDL. A DDL is read with sqlglot, the way
every SQL text in this project is; a statement sqlglot cannot parse (or keeps as a raw Command:
`RENAME TABLE`, `ALTER ONLINE TABLE`, `ALTER TABLE ... CONVERT TO`) falls back to its keywords, read
off sqlglot's MySQL tokens (comments, quoting and executable `/*!...*/` comments as MySQL reads
them), and then always counts as changing the rows' values (nothing smaller can be proven).

`columns` says how far a change reaches into existing rows: None, any value may differ (TRUNCATE,
DROP, RENAME, CREATE OR REPLACE, an unknown ALTER); a set, only those columns' values (empty: none
at all: new columns, indexes, keys, comments). The sync compares it with the columns the contract
reads to decide whether the items must be re-built (tools/cdc/schema_change.py).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

DdlKind = Literal["alter", "truncate", "drop", "rename", "create", "index", "view", "database"]
TableName = tuple[str | None, str]  # (database named in the statement, else None: the session's; table)

_DDL_WORDS = {"CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE"}
_TOKENIZER = sqlglot.Dialect.get_or_raise("mysql").tokenizer_class
_NOT_NAMES = {TokenType.DOT, TokenType.COMMA, TokenType.L_PAREN, TokenType.R_PAREN, TokenType.SEMICOLON, TokenType.EQ,
              TokenType.STRING, TokenType.NUMBER, TokenType.PARAMETER}
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
    words = _Words.of(statement)
    if words is None or words.at(0) not in _DDL_WORDS:
        return None  # not DDL, or text MySQL itself could not have run (it is in the binlog: it ran)
    if words.at(0) in ("CREATE", "DROP") and words.at(words.after(1, "OR", "REPLACE")) == "TEMPORARY":
        return None  # a temporary table is the session's own: no view reads it
    _QUIET.local.active = True  # sqlglot's "falling back to Command" warning: the fallback is ours
    try:
        node = sqlglot.parse_one(statement, read="mysql")
    except SqlglotError:
        node = None
    finally:
        _QUIET.local.active = False
    if node is None or isinstance(node, exp.Command):
        return _by_keywords(words)
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
        if kind in ("DATABASE", "SCHEMA"):  # a quoted name comes back as the Table's db: `shop`
            return Ddl("database", [(None, t.name or t.db) for t in listed if isinstance(t, exp.Table)])
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

class _Words:
    """A statement's tokens, as MySQL reads them: comments dropped, an executable comment's text
    (`/*!32312 TEMPORARY */`) and a command's raw rest (`RENAME TABLE ...`) read as tokens too."""

    def __init__(self, tokens: list[Token]):
        self.tokens = tokens

    @classmethod
    def of(cls, statement: str) -> "_Words | None":
        tokens = cls._read(statement)
        return cls(tokens) if tokens else None

    @staticmethod
    def _read(text: str) -> list[Token] | None:
        try:
            tokens = _TOKENIZER().tokenize(text)
        except SqlglotError:
            return None
        out: list[Token] = []
        for i, token in enumerate(tokens):
            if token.token_type == TokenType.STRING and i and tokens[i - 1].token_type in _TOKENIZER.COMMANDS:
                out += _Words._read(token.text) or []  # the tokenizer keeps a command's rest as one string
                continue
            out.append(token)
            for comment in token.comments:
                if comment.startswith("!"):  # MySQL runs it: /*!NNNNN text */
                    out += _Words._read(comment[1:].lstrip("0123456789")) or []
        return out

    def at(self, i: int) -> str:
        """The word at i in upper case ("" past the end, for a quoted name or a string)."""
        if i >= len(self.tokens) or self.tokens[i].token_type in (TokenType.IDENTIFIER, TokenType.STRING):
            return ""
        return self.tokens[i].text.upper()

    def after(self, i: int, *optional: str) -> int:
        """i, moved past `optional` when the words there are exactly those."""
        return i + len(optional) if all(self.at(i + k) == w for k, w in enumerate(optional)) else i

    def find(self, start: int, words: set[str], stop: set[str]) -> int | None:
        """The first of `words` from `start`, unless one of `stop` comes first."""
        for i in range(start, len(self.tokens)):
            if self.at(i) in words:
                return i
            if self.at(i) in stop:
                return None
        return None

    def name(self, i: int) -> tuple[TableName, int] | None:
        """A table name at i (`db`.`t`, t), and the index after it."""
        if not self._is_name(i):
            return None
        if self.at(i + 1) == "." and self._is_name(i + 2):
            return (self.tokens[i].text, self.tokens[i + 2].text), i + 3
        return (None, self.tokens[i].text), i + 1

    def names(self, i: int) -> list[TableName]:
        """A comma-separated list of table names from i."""
        out: list[TableName] = []
        while (found := self.name(i)) is not None:
            out.append(found[0])
            if self.at(found[1]) != ",":
                break
            i = found[1] + 1
        return out

    def _is_name(self, i: int) -> bool:
        return i < len(self.tokens) and self.tokens[i].token_type not in _NOT_NAMES

    def past_if_exists(self, i: int) -> int:
        return self.after(self.after(i, "IF", "NOT", "EXISTS"), "IF", "EXISTS")


def _by_keywords(words: _Words) -> Ddl | None:
    first = words.at(0)
    if first == "ALTER":
        i = 1
        while words.at(i) in ("ONLINE", "IGNORE"):
            i += 1
        if words.at(i) == "TABLE" and (found := words.name(words.past_if_exists(i + 1))):
            return Ddl("alter", [found[0]])
    if first == "RENAME" and words.at(1) in ("TABLE", "TABLES"):
        renamed, i = [], 2
        while (old := words.name(i)) and words.at(old[1]) == "TO" and (new := words.name(old[1] + 1)):
            renamed += [old[0], new[0]]
            i = new[1] + 1 if words.at(new[1]) == "," else len(words.tokens)
        return Ddl("rename", renamed)
    if first == "TRUNCATE" and (found := words.name(words.after(1, "TABLE"))):
        return Ddl("truncate", [found[0]])
    if first in ("CREATE", "ALTER", "DROP") and (view := words.find(1, {"VIEW"}, {";"})) is not None:
        return Ddl("view", words.names(words.past_if_exists(view + 1)))
    if first in ("CREATE", "DROP") and (index := words.find(1, {"INDEX"}, {";", "("})) is not None:
        if words.name(index + 1) and words.at(index + 2) == "ON" and (found := words.name(index + 3)):
            return Ddl("index", [found[0]], frozenset())
    if first == "DROP" and words.at(1) in ("DATABASE", "SCHEMA") and (found := words.name(words.past_if_exists(2))):
        return Ddl("database", [found[0]])
    if first in ("CREATE", "DROP") and (table := words.find(1, {"TABLE", "TABLES"}, {";", "("})) is not None:
        listed = words.names(words.past_if_exists(table + 1))
        if listed:
            return Ddl("create" if first == "CREATE" else "drop", listed)
    return None  # routines, triggers, events, users, ALTER DATABASE: no table's rows change
