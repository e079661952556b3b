"""performance_schema.events_statements_summary_by_digest: exported (TSV from `mysql --batch`,
or CSV) or read live.

Each row is already aggregated per normalized statement (DIGEST_TEXT, values as `?`), so there
are no connections and no transactions: every statement is its own pattern (two INSERTs of one
transaction come out as two patterns). Timers are picoseconds. The window runs from the
earliest FIRST_SEEN to the latest LAST_SEEN; a peak per second cannot be known.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Iterable

from mysql2ddb.tools.analysis.logs.aggregate import MAX_EXAMPLE
from mysql2ddb.tools.analysis.logs.fingerprint import NOISE, CONTROL, WRITE, Fingerprinter
from mysql2ddb.tools.analysis.logs.model import (
    LatencyStats, LogPattern, LogStatement, LogWindow, Unparsed,
)
from mysql2ddb.tools.analysis.logs.readers import LineReader, Problems

PS_PER_MS = 1e9
_ELLIPSIS_LIST = re.compile(r"\?(?:\s*,\s*\?)*\s*,\s*\.\.\.")  # `?, ...` (a value list)
_ELLIPSIS_ONLY = re.compile(r"\(\s*\.\.\.\s*\)")  # `IN (...)` (MySQL 8)
REQUIRED = ("DIGEST_TEXT", "COUNT_STAR")


def clean_digest_text(text: str) -> str:
    """Digest text made parseable: `?, ...` and `(...)` lists become one `?`."""
    text = _ELLIPSIS_LIST.sub("?", text)
    return _ELLIPSIS_ONLY.sub("(?)", text)


def _num(row: dict, name: str) -> float | None:
    value = row.get(name)
    if value is None or value == "" or value == "NULL":
        return None
    return float(value)


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value or value == "NULL":
        return None
    try:
        return datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None


class DigestBuilder:
    """Rows (dicts keyed by upper-case column names) -> patterns, merged by our fingerprint."""

    def __init__(self, problems: Problems, source: str) -> None:
        self.fp = Fingerprinter()
        self.problems, self.source = problems, source
        self.rows: dict[str, dict[str, Any]] = {}
        self.noise: Counter = Counter()
        self.unparsed = Unparsed()
        self.first: datetime | None = None
        self.last: datetime | None = None
        self.statements = 0

    def add(self, row: dict[str, Any], line: int | None = None) -> None:
        count = int(_num(row, "COUNT_STAR") or 0)
        text = row.get("DIGEST_TEXT")
        self.statements += count
        for name, pick in (("FIRST_SEEN", min), ("LAST_SEEN", max)):
            seen = _time(row.get(name))
            if seen is not None:
                attr = "first" if name == "FIRST_SEEN" else "last"
                current = getattr(self, attr)
                setattr(self, attr, seen if current is None else pick(current, seen))
        if not text or text == "NULL":
            self.unparsed.count += count  # statements the server could not digest (digest table full)
            if count:
                self.problems.add(self.source, line, f"{count} statement(s) without a digest (the server's digest "
                                                     "table was full: raise performance_schema_digests_size)")
            return
        shape = self.fp.shape(clean_digest_text(str(text)))
        if shape.kind == NOISE or shape.kind == CONTROL:
            self.noise[shape.noise] += count
            return
        if not shape.parsed:
            self.unparsed.count += count
            if len(self.unparsed.examples) < 10:
                self.unparsed.examples.append(str(text)[:MAX_EXAMPLE])
        acc = self.rows.setdefault(shape.fingerprint, {"shape": shape, "count": 0, "timer": 0.0, "max": 0.0,
                                                       "lock": 0.0, "rows": 0.0, "sent": 0.0, "p95": None,
                                                       "timed": False, "example": None})
        acc["count"] += count
        sample = row.get("QUERY_SAMPLE_TEXT")
        if acc["example"] is None:
            acc["example"] = str(sample if sample and sample != "NULL" else text).strip()[:MAX_EXAMPLE]
        timer = _num(row, "SUM_TIMER_WAIT")
        if timer is not None:
            acc["timed"] = True
            acc["timer"] += timer
            acc["max"] = max(acc["max"], _num(row, "MAX_TIMER_WAIT") or 0.0)
            acc["lock"] += _num(row, "SUM_LOCK_TIME") or 0.0
            acc["rows"] += _num(row, "SUM_ROWS_EXAMINED") or 0.0
            acc["sent"] += _num(row, "SUM_ROWS_SENT") or 0.0
            p95 = _num(row, "QUANTILE_95")
            if p95 is not None:
                acc["p95"] = max(acc["p95"] or 0.0, p95)

    def window(self) -> LogWindow:
        if self.first is None or self.last is None:
            return LogWindow()
        start = self.first.replace(microsecond=0)
        end = self.last.replace(microsecond=0) + timedelta(seconds=1)  # the end of the last second, as for logs
        seconds = (end - start).total_seconds()
        return LogWindow(start=start.isoformat(), end=end.isoformat(), seconds=seconds, timezone="server local")

    def patterns(self, seconds: float | None) -> list[LogPattern]:
        out = []
        for acc in self.rows.values():
            shape, count = acc["shape"], acc["count"]
            latency = None
            if acc["timed"] and count:
                latency = LatencyStats(
                    samples=count, query_time_avg_ms=round(acc["timer"] / count / PS_PER_MS, 4),
                    query_time_p95_ms=round(acc["p95"] / PS_PER_MS, 4) if acc["p95"] is not None else None,
                    query_time_max_ms=round(acc["max"] / PS_PER_MS, 4) if acc["max"] else None,
                    lock_time_avg_ms=round(acc["lock"] / count / PS_PER_MS, 4),
                    rows_examined_avg=round(acc["rows"] / count, 2), rows_sent_avg=round(acc["sent"] / count, 2))
            kind = "write" if shape.kind == WRITE else "read"
            stmt = LogStatement(fingerprint=shape.fingerprint, kind=kind, tables=list(shape.tables), count=count,
                                example=acc["example"], parsed=shape.parsed, latency=latency)
            out.append(LogPattern(id="", fingerprint=shape.fingerprint, kind=kind, count=count,
                                  tables=list(shape.tables),
                                  rps_avg=round(count / seconds, 4) if seconds else None, rps_peak=None,
                                  latency=latency, example=acc["example"], statements=[stmt]))
        out.sort(key=lambda p: (-p.count, p.fingerprint))
        for i, p in enumerate(out, 1):
            p.id = f"AP{i}"
        return out


def read_digest_file(reader: LineReader, builder: DigestBuilder, problems: Problems) -> None:
    """TSV (mysql --batch: tab separated, NULL as `NULL`, `\\t`/`\\n` escaped) or CSV."""
    lines = (line for _, line in reader)
    header_line = next(lines, None)
    if header_line is None:
        return
    tab = "\t" in header_line
    header = [h.strip().strip('"').upper() for h in (header_line.split("\t") if tab else next(csv.reader([header_line])))]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.add(reader.name, 1, f"no column {', '.join(missing)} in the header")
        return
    rows: Iterable[list[str]] = (_tsv(line) for line in lines) if tab else csv.reader(lines)
    for n, values in enumerate(rows, start=2):
        if not values or values == [""]:
            continue
        if len(values) != len(header):
            problems.bad_lines += 1
            problems.add(reader.name, n, f"{len(values)} fields where the header has {len(header)}; skipped")
            continue
        try:
            builder.add(dict(zip(header, values)), n)
        except ValueError as exc:
            problems.bad_lines += 1
            why = str(exc) if problems.quote_lines else "a number column holds something else"  # exc quotes it
            problems.add(reader.name, n, f"unreadable row ({why}); skipped")


def _tsv(line: str) -> list[str]:
    fields = line.split("\t")
    if "\\" in line:
        fields = [f.replace("\\t", "\t").replace("\\n", "\n").replace("\\\\", "\\") for f in fields]
    return fields
