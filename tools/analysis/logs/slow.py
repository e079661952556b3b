"""Slow query logs (MySQL 5.x-9.x, MariaDB): one entry per statement with its measurements.

    # Time: 2024-01-15T10:23:45.123456Z          (MariaDB: `# Time: 261122 17:30:39`, when it changes)
    # User@Host: app[app] @ host [10.0.0.5]  Id:    12
    # Thread_id: 18  Schema: sakila  QC_hit: No  (MariaDB)
    # Query_time: 0.000465  Lock_time: 0.000087  Rows_sent: 20  Rows_examined: 214
    use `sakila`;
    SET timestamp=1795368638;
    SELECT ... (possibly over several lines);

`SET timestamp=` gives the entry's time (epoch seconds); `use db;` lines are noise. A header
line that cannot be read is reported (file, line) and its entry counted without measurements; a
file without any entry header is not a slow log and all its lines are reported unreadable.
"""

from __future__ import annotations

from mysql2ddb.tools.analysis.logs.general import is_header
from mysql2ddb.tools.analysis.logs.readers import LineReader, Problems
from mysql2ddb.tools.analysis.logs.times import Clock
from mysql2ddb.tools.analysis.logs.transactions import Tracker

_FIELDS = {"Query_time:": 0, "Lock_time:": 1, "Rows_examined:": 2, "Rows_sent:": 3}


class _Entry:
    __slots__ = ("conn", "ts", "metrics", "lines")

    def __init__(self, conn: int | None, ts: int | None) -> None:
        self.conn, self.ts = conn, ts
        self.metrics: tuple | None = None
        self.lines: list[str] = []


def _metrics(line: str) -> tuple:
    values: list = [None, None, None, None]
    tokens = line.split()
    for i in range(1, len(tokens) - 1):
        slot = _FIELDS.get(tokens[i])
        if slot is not None:
            text = tokens[i + 1]
            values[slot] = float(text) if slot < 2 else int(text)
    if values[0] is None:
        raise ValueError("no Query_time")
    return tuple(values)


def _thread_id(line: str) -> int | None:
    tokens = line.split()
    for key in ("Thread_id:", "Id:"):
        if key in tokens:
            i = tokens.index(key)
            if i + 1 < len(tokens) and tokens[i + 1].isdigit():
                return int(tokens[i + 1])
    return None


def parse_slow(reader: LineReader, tracker: Tracker, clock: Clock, problems: Problems) -> None:
    noise = tracker.agg.noise
    ts: int | None = None
    conn: int | None = None
    entry = _Entry(conn, ts)

    def finish(e: _Entry) -> None:
        if not e.lines:
            return
        sql = "\n".join(e.lines).strip()
        if sql.endswith(";"):
            sql = sql[:-1].rstrip()
        if sql:
            tracker.statement(e.conn, e.ts, sql, e.metrics)

    marks = 0  # entry headers seen: a file with none is not a slow log (forced with format=slow)
    for base, lines in reader.batches():
        for n, line in enumerate(lines, base):
            if line[:1] == "#":
                marks += line.startswith(("# Time:", "# User@Host:", "# Query_time:", "# Thread_id:"))
                if line.startswith("# Time:"):
                    finish(entry)
                    ts = clock.parse(line[7:].strip()) or ts
                    entry = _Entry(conn, ts)
                elif line.startswith("# User@Host:"):
                    if entry.lines:
                        finish(entry)
                        entry = _Entry(conn, ts)
                    found = _thread_id(line)
                    if found is not None:
                        conn = entry.conn = found
                elif entry.lines:
                    if line.startswith("# administrator command:"):
                        noise[line[24:].strip().rstrip(";") or "administrator command"] += 1
                    else:
                        entry.lines.append(line)  # a comment line inside a multi-line statement
                elif line.startswith("# Query_time:"):
                    try:
                        entry.metrics = _metrics(line)
                    except (ValueError, IndexError):
                        problems.bad_lines += 1
                        problems.add(reader.name, n, f"unreadable measurements{problems.quoted(line, 70)}; the entry "
                                                     "is counted without them")
                elif line.startswith("# Thread_id:"):
                    found = _thread_id(line)
                    if found is not None:
                        conn = entry.conn = found
                elif line.startswith("# administrator command:"):
                    noise[line[24:].strip().rstrip(";") or "administrator command"] += 1
                    tracker.agg.see(entry.ts)
                continue
            if not entry.lines:
                if line.startswith("SET timestamp="):
                    try:
                        ts = entry.ts = int(line[14:].rstrip(";").strip())
                    except ValueError:
                        problems.bad_lines += 1
                        problems.add(reader.name, n, f"unreadable timestamp{problems.quoted(line)}")
                    continue
                if line.startswith(("use ", "USE ")) and line.rstrip().endswith(";") and "\t" not in line:
                    noise["USE"] += 1
                    continue
                if not line.strip() or is_header(line):
                    continue
            elif is_header(line):
                continue
            entry.lines.append(line)
    if not marks and entry.lines:  # its text would all be one "statement": refuse the file instead
        problems.bad_lines += reader.lines
        problems.add(reader.name, 1, "no slow-log entry header ('# Query_time:' line) anywhere: this is not a slow "
                                     "query log")
        return
    finish(entry)
