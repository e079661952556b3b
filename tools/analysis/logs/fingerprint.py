"""Statement fingerprints: one normalized text per statement shape, literals as `?`.

Two steps, so that a multi-gigabyte log stays fast: a cheap regex key (strings, numbers and
comments stripped, whitespace collapsed, lower case, IN/VALUES lists collapsed) is computed for
every statement, and each distinct key is classified and fingerprinted once, with sqlglot where
it parses (literals replaced by placeholders on the AST, IN lists and multi-row VALUES
collapsed, identifiers lower-cased, comments dropped). What sqlglot cannot parse keeps the cheap
key as its fingerprint and is marked `parsed=False`: counted, never dropped.

Two statements with the same cheap key always get the same fingerprint; the converse need not
hold (the cache then simply holds a few keys for one shape).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

READ, WRITE, NOISE, CONTROL = "read", "write", "noise", "control"
SYSTEM_SCHEMAS = frozenset({"information_schema", "performance_schema", "mysql", "sys"})
MAX_CACHE = 200_000
MAX_EXACT = 4_096  # statements remembered as written, twice over (see Fingerprinter.unseen)

_NUM = re.compile(r"\b\d+(?:\.\d+)?\b")
_TOKENS = re.compile(
    r"""(?P<s>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")"""
    r"|(?P<q>`(?:[^`]|``)*`)"
    r"|(?P<c>/\*.*?\*/|--(?=\s|$)[^\n]*|\#[^\n]*)"
    r"|(?P<n>\b\d+(?:\.\d+)?\b)",
    re.S,
)
_LISTS = re.compile(r"\b(in|values) ?\(\?(?:, ?\?)*\)(?:, ?\(\?(?:, ?\?)*\))*")
_AUTOCOMMIT = re.compile(
    r"^\s*set\s+(?:session\s+|local\s+|@@session\.|@@local\.|@@)?autocommit\s*(?::=|=)\s*'?(\w+)", re.I)
_TABLE_WORDS = re.compile(r"\b(?:from|join|into|update|table)\s+((?:`[^`]+`|[\w$]+)(?:\s*\.\s*(?:`[^`]+`|[\w$]+))?)")
_SAFE_IDENT = re.compile(r"^[a-z_][a-z0-9_$]*$")

# First word of a statement -> (kind, noise category). None: parse it (a read or a write).
_FIRST_WORD: dict[str, tuple[str, str | None]] = {
    **{w: (NOISE, "SHOW") for w in ("show",)},
    **{w: (NOISE, "EXPLAIN") for w in ("explain", "describe", "desc", "help")},
    "use": (NOISE, "USE"),
    "set": (NOISE, "SET"),
    **{w: (NOISE, "DDL") for w in ("create", "alter", "drop", "truncate", "rename")},
    **{w: (NOISE, "admin") for w in (
        "lock", "unlock", "flush", "grant", "revoke", "kill", "analyze", "optimize", "check", "repair",
        "reset", "purge", "install", "uninstall", "change", "stop", "handler", "do", "xa", "cache",
        "checksum", "binlog", "shutdown", "restart", "signal", "resignal", "get", "clone", "import")},
    **{w: (NOISE, "SAVEPOINT") for w in ("savepoint", "release")},
    **{w: (NOISE, "PREPARE/EXECUTE") for w in ("prepare", "execute", "deallocate")},
}
_IMPLICIT_COMMIT = frozenset({"create", "alter", "drop", "truncate", "rename", "lock", "grant", "revoke"})


@dataclass(frozen=True, slots=True)
class Shape:
    """What one statement is: its fingerprint, read/write/noise/control, and its tables."""

    fingerprint: str
    kind: str  # read | write | noise | control
    tables: tuple[str, ...] = ()
    noise: str | None = None  # noise category (SET, SHOW, COMMIT, ...)
    control: str | None = None  # begin | commit | rollback | autocommit_on | autocommit_off | implicit_commit
    parsed: bool = True  # False: sqlglot could not parse it; the cheap key is the fingerprint


def cheap_key(sql: str) -> str:
    """Strings, numbers and comments out, whitespace collapsed, lower case, lists collapsed.

    The common case (no comments, no backslash escapes, one kind of quote) uses str.split to drop
    string literals: far faster than a regex with a callback. Numbers inside quoted identifiers
    (`a 1`) are replaced too: harmless, the key only has to separate different shapes."""
    s = sql
    if "/*" in s or "#" in s or "--" in s or "\\" in s:
        s = _TOKENS.sub(_token, s)
    else:
        quote = "'" if "'" in s else ('"' if '"' in s else None)
        if quote is not None:
            parts = s.split(quote)
            if len(parts) % 2 == 0 or (quote == "'" and '"' in s):
                s = _TOKENS.sub(_token, s)
            else:
                s = _NUM.sub("?", "?".join(parts[0::2]))
        else:
            s = _NUM.sub("?", s)
    if "  " in s or "\n" in s or "\t" in s or "\r" in s:
        s = " ".join(s.split())
    s = s.lower()
    if "(?" in s or "( ?" in s:
        if "( ?" in s:
            s = s.replace("( ?", "(?").replace("? )", "?)")
        if "in (?" in s or "in(?" in s or "values" in s:
            s = _LISTS.sub(r"\1 (?+)", s)
    return s.rstrip("; ")


_DIGITS = b"0123456789"
_CLASSES = bytes(ord("a") if chr(c).isalpha() or chr(c) in "_$" else (ord("0") if chr(c).isdigit() else c)
                 for c in range(256))


def _fast_key(sql: str) -> bytes | None:
    """A faster, coarser key for the common statement: simple string literals cut out with
    str.split, then every digit deleted with bytes.translate (C speed, no regex). Only safe when
    no digit follows a letter (no `t1`, `col2`, `0x1F`, `1e5`: those take the regex key) and
    there are no comments or escapes; None then. Literal lengths give a few keys per shape, each
    resolved once through the exact key."""
    if "/*" in sql or "#" in sql or "--" in sql or "\\" in sql:
        return None
    s = sql
    if "'" in s:
        if '"' in s:
            return None
        parts = s.split("'")
        if len(parts) % 2 == 0:
            return None
        s = "?".join(parts[0::2])
    elif '"' in s:
        parts = s.split('"')
        if len(parts) % 2 == 0:
            return None
        s = "?".join(parts[0::2])
    b = s.encode()
    if b"a0" in b.translate(_CLASSES):
        return None
    return b.translate(None, _DIGITS)


def _store(cache: dict, key: Any, value: Shape, limit: int) -> None:
    if len(cache) >= limit:
        cache.clear()  # a crude bound: a log with that many shapes pays a few re-parses
    cache[key] = value


def _token(m: re.Match) -> str:
    kind = m.lastgroup
    if kind == "s" or kind == "n":
        return "?"
    if kind == "c":
        return " "
    return m.group(0)


class _QuietCommandFallback(logging.Filter):
    """sqlglot warns when it falls back to a raw Command; we count those statements as unparsed
    instead, so the warning is dropped while (and only while) we are fingerprinting."""

    local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(self.local, "active", False)


_FILTER = _QuietCommandFallback()


def _install_filter() -> None:
    logger = logging.getLogger("sqlglot")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


class Fingerprinter:
    """Statement -> Shape, parsing each distinct cheap key once (a bounded cache)."""

    def __init__(self, max_cache: int = MAX_CACHE):
        self._cache: dict[str, Shape] = {}
        self._exact: dict[str, Shape] = {}  # statements as written (COMMIT; a popular item's lookup)
        self._older: dict[str, Shape] = {}  # the previous _exact, until it fills again
        self._fast: dict[bytes, Shape] = {}  # see _fast_key
        self._max = max_cache
        self._exact_max = min(max_cache, MAX_EXACT)
        self.parses = 0  # sqlglot parses done (one per distinct shape, cache permitting)
        self.seen = self._exact.get  # the Shape of a text cached as written (COMMIT ...), else None
        _install_filter()

    def shape(self, sql: str) -> Shape:
        return self.seen(sql) or self.unseen(sql)

    def unseen(self, sql: str) -> Shape:
        """shape() for a text `seen` did not know (the tracker asks `seen` itself: one call less).
        The text is then remembered as written (short ones): the same statement with the same values
        again (a popular item looked up once more) is one dict lookup. Two generations of MAX_EXACT
        texts: when the young one fills it becomes the older one, and a text found there moves back,
        so what keeps coming stays while memory stays bounded."""
        hit = self._older.get(sql)
        if hit is not None:
            self._remember(sql, hit)
            return hit
        fast = _fast_key(sql)
        hit = self._fast.get(fast) if fast is not None else None
        if hit is None:
            key = cheap_key(sql)
            hit = self._cache.get(key)
            if hit is None:
                if key.startswith("set") and "autocommit" in key:
                    return _autocommit_shape(sql, key)  # the value matters and the key has lost it
                hit = self._build(sql, key)
                _store(self._cache, key, hit, self._max)
            if fast is not None:
                _store(self._fast, fast, hit, self._max)
        if len(sql) < 256:
            self._remember(sql, hit)
        return hit

    def _remember(self, sql: str, hit: Shape) -> None:
        exact = self._exact  # the same dict for ever: `seen` is its get
        if len(exact) >= self._exact_max:
            self._older = dict(exact)
            exact.clear()
        exact[sql] = hit

    def _build(self, sql: str, key: str) -> Shape:
        first = key.split(" ", 1)[0].rstrip(";") if key else ""
        if not first:
            return Shape("", NOISE, noise="comment")
        if first in ("begin", "start"):
            if first == "begin" or key.startswith("start transaction"):
                return Shape(key.upper(), CONTROL, noise="BEGIN", control="begin")
            return Shape(key, NOISE, noise="admin")
        if first == "commit":
            return Shape("COMMIT", CONTROL, noise="COMMIT", control="commit")
        if first == "rollback":
            if key.startswith("rollback to") or key.startswith("rollback work to"):
                return Shape(key, NOISE, noise="SAVEPOINT")
            return Shape("ROLLBACK", CONTROL, noise="ROLLBACK", control="rollback")
        fixed = _FIRST_WORD.get(first)
        if fixed is not None:
            return Shape(key, fixed[0], noise=fixed[1], control="implicit_commit" if first in _IMPLICIT_COMMIT else None)
        if first in ("call", "load"):
            return Shape(key, WRITE, tables=_regex_tables(key), parsed=True)
        if first in ("select", "with", "insert", "update", "delete", "replace") or first.startswith("("):
            return self._parse(sql, key, first)
        return Shape(key, NOISE, noise="other")

    def _parse(self, sql: str, key: str, first: str) -> Shape:
        text = sql.strip().rstrip(";")
        replace = first == "replace"
        if replace:  # sqlglot's MySQL dialect has no REPLACE: parse it as the INSERT it mirrors
            text = "INSERT" + text.lstrip()[7:]
        self.parses += 1
        _FILTER.local.active = True
        try:
            trees = [t for t in sqlglot.parse(text, read="mysql") if t is not None]
        except Exception:  # sqlglot raises several error types; any of them means "did not parse"
            trees = []
        finally:
            _FILTER.local.active = False
        if not trees or any(isinstance(t, exp.Command) for t in trees):
            return _fallback(key, first)
        try:
            prints = [_normalize(t) for t in trees]
        except Exception:
            return _fallback(key, first)
        fingerprint = "; ".join(prints)
        if replace:
            fingerprint = "REPLACE" + fingerprint[6:]
        tables, system = _tables(trees)
        writes = any(isinstance(t, (exp.Insert, exp.Update, exp.Delete)) for t in trees)
        if not writes and (not tables or system):
            return Shape(fingerprint, NOISE, noise="SELECT @@" if "@@" in key else
                         ("metadata" if system else "SELECT (no table)"))
        return Shape(fingerprint, WRITE if writes else READ, tuple(tables))


def _autocommit_shape(sql: str, key: str) -> Shape:
    m = _AUTOCOMMIT.match(sql)
    value = m.group(1).lower() if m else ""
    control = "autocommit_off" if value in ("0", "off", "false") else ("autocommit_on" if value else None)
    return Shape(key, NOISE, noise="SET", control=control)


def _fallback(key: str, first: str) -> Shape:
    kind = READ if first in ("select", "with") or first.startswith("(") else WRITE
    return Shape(key, kind, _regex_tables(key), parsed=False)


def _regex_tables(key: str) -> tuple[str, ...]:
    out: list[str] = []
    for m in _TABLE_WORDS.finditer(key):
        name = m.group(1).replace("`", "").replace(" ", "").split(".")[-1]
        if name and name != "?" and name not in out and name not in ("select", "dual"):
            out.append(name)
    return tuple(out)


def _tables(trees: list[exp.Expression]) -> tuple[list[str], bool]:
    """Real tables in order of appearance (the written table first), and whether every one of
    them lives in a system schema (information_schema, mysql, ...)."""
    out: list[str] = []
    system = []
    for tree in trees:
        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        target = tree.this if isinstance(tree, (exp.Insert, exp.Update, exp.Delete)) else None
        nodes = list(tree.find_all(exp.Table))
        if isinstance(target, exp.Schema):
            target = target.this
        if isinstance(target, exp.Table):
            nodes = [target] + [n for n in nodes if n is not target]
        for node in nodes:
            name = (node.name or "").lower()
            if not name or name in ctes:
                continue
            system.append(node.db.lower() in SYSTEM_SCHEMAS if node.db else False)
            if name not in out:
                out.append(name)
    return out, bool(system) and all(system)


_LITERALS = (exp.Literal, exp.HexString, exp.BitString, exp.ByteString, exp.National, exp.Introducer,
             exp.RawString)


def _placeholder_run(items: list[exp.Expression]) -> list[exp.Expression]:
    """Consecutive placeholders collapsed into one: `(?, ?, NOW(), ?)` -> `(?, NOW(), ?)`."""
    out: list[exp.Expression] = []
    for item in items:
        if isinstance(item, exp.Placeholder) and out and isinstance(out[-1], exp.Placeholder):
            continue
        out.append(item)
    return out


def _replace(node: exp.Expression) -> exp.Expression:
    if isinstance(node, _LITERALS):
        return exp.Placeholder()
    if isinstance(node, exp.Neg) and isinstance(node.this, (exp.Literal, exp.Placeholder)):
        return exp.Placeholder()
    if isinstance(node, exp.Identifier):
        name = node.this.lower() if isinstance(node.this, str) else node.this
        return exp.Identifier(this=name, quoted=not _SAFE_IDENT.match(str(name)))
    return node


def _normalize(tree: exp.Expression) -> str:
    tree = tree.transform(_replace, copy=False)
    for node in list(tree.find_all(exp.In)):
        items = node.expressions
        if items and all(isinstance(i, exp.Placeholder) for i in items):
            node.set("expressions", [exp.Placeholder()])
    for values in list(tree.find_all(exp.Values)):
        rows = values.expressions
        if rows and isinstance(rows[0], exp.Tuple):
            first = rows[0]
            first.set("expressions", _placeholder_run(first.expressions))
            values.set("expressions", [first])
    return tree.sql(dialect="mysql", comments=False)
