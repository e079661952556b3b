"""General query logs: MySQL 5.6/5.7/8.x/9.x and MariaDB.

Line layouts (tab separated: time, `id command`, argument):
    MariaDB, MySQL <= 5.6:  `261122 17:30:39\t    18 Query\tSELECT ...` -- the time only when the
                            second changes, otherwise `\t\t    18 Query\t...` (the last time carries on)
    MySQL 5.7+:             `2024-01-15T10:23:45.123456Z\t   12 Query\tSELECT ...` on every line
A statement spanning lines continues on lines that are not entries. Header blocks (written at
every log open) are skipped.

Prepared statements: `Prepare` carries the text with `?`, `Execute` the executed statement with
its values (MySQL 5.1+ and MariaDB); an empty Execute falls back to the connection's last
Prepare. SQL-level `PREPARE s FROM '...'` / `EXECUTE s` are resolved the same way, and counted
once when the server also logs the Prepare/Execute pair. The executed statement is what counts,
never `EXECUTE`.
"""

from __future__ import annotations

import re

from mysql2ddb.tools.analysis.logs.readers import LineReader, Problems
from mysql2ddb.tools.analysis.logs.times import Clock
from mysql2ddb.tools.analysis.logs.transactions import Tracker

COMMANDS = frozenset({
    "Query", "Connect", "Quit", "Init DB", "Prepare", "Execute", "Close stmt", "Reset stmt", "Field List",
    "Ping", "Statistics", "Change user", "Fetch", "Long Data", "Set option", "Daemon", "Processlist",
    "Refresh", "Kill", "Binlog Dump", "Binlog Dump GTID", "Shutdown", "Debug", "Sleep", "Time", "Table Dump",
    "Register Slave", "Delayed insert", "Error", "Connect Out", "Create DB", "Drop DB", "Reset connection",
    "Clone", "Bulk_execute", "Slave_worker", "Slave_IO", "Slave_SQL",
})
TEXT_COMMANDS = frozenset({"Query", "Prepare", "Execute"})
_STMT_ID = re.compile(r"^\[\d+\]\s*")
_SQL_PREPARE = re.compile(r"^\s*prepare\s+(`[^`]+`|\w+)\s+from\s+(['\"])(.*)\2\s*;?\s*$", re.I | re.S)
_SQL_EXECUTE = re.compile(r"^\s*execute\s+(`[^`]+`|\w+)", re.I)
_CONTROL_CHARS = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f]")


def is_header(line: str) -> bool:
    return ((line.startswith("Time") and "Command" in line) or line.startswith("Tcp port:")
            or (", Version: " in line and "started with" in line))


class _Dispatch:
    """Turns complete entries into tracker calls, keeping per-connection prepared statements."""

    def __init__(self, tracker: Tracker, problems: Problems, name: str) -> None:
        self.t, self.problems, self.name = tracker, problems, name
        self.prepared: dict[str, str] = {}  # COM_PREPARE text, the last one per connection
        self.sql_prepared: dict[str, dict[str, str]] = {}  # PREPARE name FROM '...'
        self.pending: dict[str, str | None] = {}  # EXECUTE name seen; the Execute line may follow
        self.noise = tracker.agg.noise

    def entry(self, conn: str, cmd: str, ts: int | None, text: str, extra: list[tuple[int, str]] | None) -> None:
        if extra:
            text = self._join(text, extra)
        if self.pending and conn in self.pending:
            resolved = self.pending.pop(conn)
            if cmd != "Execute":
                self._resolved(conn, ts, resolved)
        if cmd == "Query":
            head = text.lstrip()[:11].lower()
            if not head.startswith(("prepare", "execute", "deallocate", "drop prepare")):
                self.t.statement(conn, ts, text)
                return
            self._sql_prepared(conn, text)
        elif cmd == "Execute":
            sql = _STMT_ID.sub("", text) if text[:1] == "[" else text
            if not sql.strip():
                sql = self.prepared.get(conn, "")
            if sql.strip():
                self.t.statement(conn, ts, sql)
                return
            self.noise["Execute (statement unknown)"] += 1
        if ts is not None:
            self.t.agg.see(ts)
        if cmd == "Query" or cmd == "Execute":
            return
        if cmd == "Prepare":
            self.prepared[conn] = _STMT_ID.sub("", text) if text[:1] == "[" else text
            self.noise["Prepare"] += 1
        elif cmd == "Connect" or cmd == "Change user":
            self.noise[cmd] += 1
            self._forget(conn)
            self.t.connect(conn)
        elif cmd == "Quit":
            self.noise["Quit"] += 1
            self._forget(conn)
            self.t.quit(conn)
        else:
            self.noise["USE" if cmd == "Init DB" else cmd] += 1

    def _join(self, text: str, extra: list[tuple[int, str]]) -> str:
        """A statement continued on more lines; when the whole does not parse but its first line
        does, the extra lines are stray text, reported and left out."""
        full = "\n".join([text] + [line for _, line in extra])
        if self.t.fp.shape(full).parsed or not self.t.fp.shape(text).parsed:
            return full
        for n, line in extra:
            if line.strip():
                self.problems.bad_lines += 1
                self.problems.add(self.name, n, f"unexpected text, not part of a statement"
                                                   f"{self.problems.quoted(line)}; skipped")
        return text

    def _sql_prepared(self, conn: str, text: str) -> None:
        self.noise["PREPARE/EXECUTE"] += 1
        m = _SQL_PREPARE.match(text)
        if m:
            body = m.group(3).replace(m.group(2) * 2, m.group(2)).replace("\\" + m.group(2), m.group(2))
            self.sql_prepared.setdefault(conn, {})[m.group(1).strip("`").lower()] = body
            return
        m = _SQL_EXECUTE.match(text)
        if m:
            self.pending[conn] = self.sql_prepared.get(conn, {}).get(m.group(1).strip("`").lower())

    def _resolved(self, conn: str, ts: int | None, sql: str | None) -> None:
        if sql:
            self.t.statement(conn, ts, sql)
        else:
            self.noise["EXECUTE (statement unknown)"] += 1

    def _forget(self, conn: str) -> None:
        self.prepared.pop(conn, None)
        self.sql_prepared.pop(conn, None)

    def finish(self) -> None:
        for conn, sql in list(self.pending.items()):
            self._resolved(conn, None, sql)
        self.pending.clear()


_PLAIN_FIRST = frozenset("SsIiUuCcRrBbWw(")  # first letters of statements that need no special handling
MAX_HEADS = 100_000


def _entry_head(head: str) -> tuple[str, str] | None:
    """`    18 Query` -> ('18', 'Query'); None when it is not the head of an entry."""
    words = head.split()
    if len(words) == 2:
        cmd = words[1]
    elif len(words) > 2:
        cmd = " ".join(words[1:])
    else:
        return None
    return (words[0], cmd) if cmd in COMMANDS and words[0].isdigit() else None


def parse_general(reader: LineReader, tracker: Tracker, clock: Clock, problems: Problems) -> None:
    dispatch = _Dispatch(tracker, problems, reader.name)
    statement, entry_of, pending = tracker.statement, dispatch.entry, dispatch.pending
    parse_ts = clock.parse
    heads: dict[str, tuple[str, str] | None] = {}  # `    18 Query` -> its entry head, parsed once
    last_ts: int | None = None
    utc_second, utc_ts = "-", None  # the last ISO `...Z` stamp's whole second, and its time (MySQL 5.7+)
    conn = cmd = text = ""  # the entry being read; dispatched when the next one starts
    ts: int | None = None
    extra: list[tuple[int, str]] | None = None
    for base, lines in reader.batches():
        for n, line in enumerate(lines, base):
            line_ts = last_ts
            if line[:2] == "\t\t":  # no time: the last one carries on (MariaDB, MySQL <= 5.6)
                try:
                    _, _, head, arg = line.split("\t", 3)
                except ValueError:  # no argument
                    parts = line.split("\t", 3)
                    head = parts[2] if len(parts) > 2 else ""
                    arg = ""
            else:
                parts = line.split("\t", 2)
                head = ""
                if len(parts) > 1:
                    stamp = parts[0]
                    if stamp[:19] == utc_second and stamp[-1:] == "Z" and len(stamp) > 19:
                        line_ts = utc_ts  # the second of the line before (Clock keys these by it too)
                    else:
                        line_ts = parse_ts(stamp.rstrip())
                        if line_ts is not None and stamp[-1:] == "Z" and len(stamp) > 19 and stamp[4] == "-" \
                                and stamp[10] in "T ":
                            utc_second, utc_ts = stamp[:19], line_ts
                    if line_ts is not None:
                        head = parts[1]
                        arg = parts[2] if len(parts) > 2 else ""
            found = heads.get(head, False)
            if found is False:
                if len(heads) >= MAX_HEADS:
                    heads.clear()
                found = heads[head] = _entry_head(head)
            if found is None:
                if is_header(line):
                    continue
                if cmd in TEXT_COMMANDS and not _CONTROL_CHARS.search(line):
                    if extra is None:
                        extra = []
                    extra.append((n, line))
                elif line.strip():
                    problems.bad_lines += 1
                    problems.add(reader.name, n, f"not a general-log entry{problems.quoted(line)}; skipped")
                continue
            if cmd:
                if extra is None and cmd == "Query" and not pending and text[:1] in _PLAIN_FIRST:
                    statement(conn, ts, text)  # the common case, without the dispatcher
                else:
                    entry_of(conn, cmd, ts, text, extra)
                    extra = None
            last_ts = ts = line_ts
            conn, cmd = found
            text = arg
    if cmd:
        entry_of(conn, cmd, ts, text, extra)
    dispatch.finish()
