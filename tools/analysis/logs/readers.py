"""Reading log files: plain or gzip, line by line (never the whole file), with the format
detected from the first lines, and every unreadable part recorded as a problem (file, line,
reason) instead of being skipped silently.

Quoting policy: errors and problems name the file and line and say what is wrong; they quote the
offending line (its first 60-80 characters) only when `quote_lines` is set (off by default),
which the use case does for the CLI (the user's own files). Over MCP a "log" may be any file the
assistant points at (a copy of /etc/passwd in an allowed directory), so nothing of its content
goes into an error: the file name, line number and remedy are enough to look it up."""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path
from typing import Any, Iterator

from mysql2ddb.tools.core.errors import InputError, NotFoundError
from mysql2ddb.tools.analysis.logs.model import MAX_PROBLEMS, Problem

FORMATS = ("general", "slow", "digest")
SNIFF_LINES = 400
BLOCK = 1 << 18  # bytes read and decoded at once
FORMAT_REMEDY = ("pass --format general|slow|digest, or give a MySQL/MariaDB general query log, a slow query "
                 "log, or a performance_schema.events_statements_summary_by_digest export (TSV/CSV with a header)")

_COMMANDS = (r"(?:Query|Connect|Quit|Init DB|Prepare|Execute|Close stmt|Reset stmt|Field List|Ping|Statistics|"
             r"Change user|Fetch|Long Data|Set option|Daemon|Processlist|Refresh|Kill|Binlog Dump|Shutdown|Debug)")
_GENERAL_ENTRY = re.compile(
    r"^(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?\s+|(?:\d{6}\s+\d{1,2}:\d\d:\d\d)?\t+\s*)"
    r"\d+\s" + _COMMANDS + r"(?:\t|$)")
_GENERAL_HEADER = re.compile(r"^Time\s+Id\s+Command\s+Argument")
_SLOW_MARK = re.compile(r"^# (?:Time|User@Host|Query_time|Thread_id):")


class Problems:
    """Problems of one analysis: the first MAX_PROBLEMS kept, all counted."""

    def __init__(self, quote_lines: bool = False) -> None:
        self.items: list[Problem] = []
        self.total = 0
        self.bad_lines = 0
        self.quote_lines = quote_lines

    def quoted(self, text: str, limit: int = 60) -> str:
        """`: 'the text'` for a reason when lines may be quoted, else nothing (see the module doc)."""
        return f": {text[:limit]!r}" if self.quote_lines else ""

    def add(self, file: str, line: int | None, reason: str) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(file=file, line=line, reason=reason))


def _open_binary(path: Path) -> tuple[Any, Any]:
    """(raw file, decompressed stream) for a plain or a gzip file; raw.tell() measures progress."""
    if not path.exists():
        raise NotFoundError(f"no such file: {path}", where=str(path),
                            remedy="check the path (relative paths are read from the current directory)")
    if path.is_dir():
        raise InputError(f"{path} is a directory", where=str(path), remedy="name the log files inside it")
    raw = open(path, "rb")
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        return raw, gzip.GzipFile(fileobj=raw, mode="rb")
    return raw, raw


def _check_text(path: Path, head: bytes) -> None:
    if b"\x00" in head:
        raise InputError("binary data (NUL bytes) in the first block: this is not a text log", where=f"{path}:1",
                         remedy="give the MySQL log file itself (plain text or .gz), not a binary log, "
                                "a table file or an archive; decode binary logs with mysqlbinlog first")


def sniff(path: Path, lines: int = SNIFF_LINES) -> list[str]:
    """The first lines of a file, decompressed; raises InputError for a binary or broken file."""
    raw, stream = _open_binary(path)
    try:
        try:
            head = stream.read(1 << 16)
        except (EOFError, OSError, zlib.error) as exc:
            raise InputError(f"cannot decompress: {exc}", where=f"{path}:1",
                             remedy="the .gz file is damaged or truncated; copy it again (gzip -t checks it)") from None
        _check_text(path, head)
        return head.decode("utf-8", errors="replace").splitlines()[:lines]
    finally:
        raw.close()


def detect_format(path: Path, quote_lines: bool = False) -> str:
    """general | slow | digest, from the first lines; InputError when none fits (quoting the first
    line only with `quote_lines`)."""
    head = sniff(path)
    if not any(line.strip() for line in head):
        raise InputError("the file is empty", where=str(path),
                         remedy="give a log with statements (enable general_log or the slow log while the "
                                "application runs)")
    first = next(line for line in head if line.strip())
    upper = first.upper()
    if "DIGEST_TEXT" in upper and "COUNT_STAR" in upper:
        return "digest"
    if any(_SLOW_MARK.match(line) for line in head):
        return "slow"
    if any(_GENERAL_ENTRY.match(line) or _GENERAL_HEADER.match(line) for line in head):
        return "general"
    shown = f"first line: {first[:80]!r}" if quote_lines else ("the first lines hold no general-log entry, "
                                                               "slow-log header or digest export header")
    raise InputError(f"unknown log format ({shown})", where=f"{path}:1", remedy=FORMAT_REMEDY)


class LineReader:
    """Lines of one file without their newline, numbered from 1. A truncated or corrupt gzip
    stream ends the iteration with a problem recorded (the lines before it are kept); lines with
    NUL bytes are reported and skipped."""

    def __init__(self, path: Path, problems: Problems, progress: Any = None, task: str = "query log") -> None:
        self.path, self.problems, self.progress, self.task = path, problems, progress, task
        self.name = str(path)
        self.lines = 0
        self.size = path.stat().st_size if path.exists() else 0

    def __iter__(self) -> Iterator[tuple[int, str]]:
        for base, lines in self.batches():
            yield from enumerate(lines, base)

    def batches(self) -> Iterator[tuple[int, list[str]]]:
        """(number of the first line, lines): blocks of about BLOCK bytes decoded at once, which
        costs far less per line than a text file's line iterator."""
        raw, stream = _open_binary(self.path)
        n, rest = 0, b""
        try:
            while True:
                block = stream.read(BLOCK)
                if not block:
                    break
                cut = block.rfind(b"\n")
                if cut < 0:
                    rest += block
                    continue
                data, rest = rest + block[:cut], block[cut + 1:]
                lines = data.decode("utf-8", "replace").split("\n")
                if b"\r" in data:
                    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
                if b"\x00" in data:
                    lines = self._without_nul(lines, n)
                yield n + 1, lines
                n += len(lines)
                if self.progress is not None:
                    self.progress.update(self.task, raw.tell(), self.size, f"{self.path.name}: {n:,} lines")
            if rest:
                tail = rest.decode("utf-8", "replace").rstrip("\r")
                lines = self._without_nul([tail], n) if "\x00" in tail else [tail]
                yield n + 1, lines
                n += 1
        except (EOFError, OSError, zlib.error) as exc:
            self.problems.add(self.name, n + 1, f"the file ends early or is corrupt ({exc}); lines after {n:,} "
                                                "are missing: copy the file again (gzip -t checks a .gz)")
        finally:
            self.lines = n
            raw.close()

    def _without_nul(self, lines: list[str], before: int) -> list[str]:
        """Lines with NUL bytes are reported and blanked (kept, so line numbers stay right)."""
        out = []
        for i, line in enumerate(lines, before + 1):
            if "\x00" in line:
                self.problems.bad_lines += 1
                self.problems.add(self.name, i, "binary data (NUL bytes) in the line; skipped")
                line = ""
            out.append(line)
        return out
