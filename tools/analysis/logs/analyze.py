"""Stage 1, query-log analysis: the core entry points.

`analyze_logs` streams one or more logs of one format (general, slow, or digest exports; plain
or .gz) into per-pattern aggregates with bounded memory; `analyze_digest_table` reads the live
performance_schema digest table; `write_log_artifacts` writes `analysis/query_log.json` and
`01_2_mysql_log_analysis.md`.

Bad input is an InputError naming the file and line with a remedy (a missing, empty, binary or
unrecognisable file, a file that is mostly unreadable, logs without a statement); when most of
it is readable the result is returned with `partial` set and the problems listed. Errors and
problems quote the offending line only with `quote_lines` (the CLI; readers.py says why).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from mysql2ddb.tools.core.errors import ConfigError, InputError, NotFoundError
from mysql2ddb.tools.analysis.logs.aggregate import MAX_PATTERNS, Aggregator
from mysql2ddb.tools.analysis.logs.digest import DigestBuilder, read_digest_file
from mysql2ddb.tools.analysis.logs.general import parse_general
from mysql2ddb.tools.analysis.logs.model import LogAnalysis, LogSource
from mysql2ddb.tools.analysis.logs.readers import FORMAT_REMEDY, FORMATS, LineReader, Problems, detect_format
from mysql2ddb.tools.analysis.logs.report import write_log_artifacts
from mysql2ddb.tools.analysis.logs.slow import parse_slow
from mysql2ddb.tools.analysis.logs.times import Clock
from mysql2ddb.tools.analysis.logs.transactions import Tracker

__all__ = ["analyze_logs", "analyze_digest_table", "write_log_artifacts"]

MAX_BAD_SHARE = 0.5  # more unreadable lines than this share: not this kind of log at all
_PARSERS = {"general": parse_general, "slow": parse_slow}


def _formats(paths: list[Path], fmt: str, quote_lines: bool) -> str:
    if fmt not in ("auto", *FORMATS):
        raise InputError(f"unknown format {fmt!r}", where="--format", remedy="use auto, general, slow or digest")
    found: dict[str, list[str]] = {}
    for path in paths:
        try:
            kind = detect_format(path, quote_lines)
        except InputError:
            if fmt == "auto":
                raise
            kind = fmt  # the user says what it is; the parser reports what it cannot read
        if fmt != "auto" and kind != fmt:
            raise InputError(f"this looks like a {kind} log, not a {fmt} log", where=str(path),
                             remedy=f"pass --format {kind} (or auto), or give the {fmt} log")
        found.setdefault(kind, []).append(path.name)
    if len(found) > 1:
        listing = "; ".join(f"{k}: {', '.join(v)}" for k, v in found.items())
        raise InputError(f"the files are of different formats ({listing})", where="analyze log",
                         remedy="analyse one format at a time: a general and a slow log (or a digest export) "
                                "of the same workload would count every statement twice")
    return next(iter(found))


def _check(analysis: LogAnalysis, problems: Problems, lines: int, seen: int) -> None:
    first = problems.items[0] if problems.items else None
    where = f"{first.file}:{first.line}" if first and first.line else (first.file if first else "query log")
    if lines and problems.bad_lines > MAX_BAD_SHARE * lines:
        raise InputError(f"{problems.bad_lines:,} of {lines:,} lines are unreadable (first: {first.reason})"
                         if first else "the file is unreadable", where=where, remedy=FORMAT_REMEDY)
    if not seen:
        why = f"no statements could be read ({first.reason})" if first else "the log holds no statements"
        raise InputError(why, where=where,
                         remedy="give a log written while the application ran (general_log=ON or the slow log "
                                "with long_query_time=0), or fix the file named above")


def _finish(analysis: LogAnalysis, problems: Problems) -> LogAnalysis:
    analysis.problems = problems.items
    analysis.problems_total = problems.total
    analysis.partial = problems.total > 0
    analysis.statements = sum(p.count + p.rolled_back for p in analysis.patterns if not p.transaction) + sum(
        s.count + s.rolled_back for p in analysis.patterns if p.transaction for s in p.statements)
    analysis.transactions = sum(p.count + p.rolled_back for p in analysis.patterns if p.transaction)
    return analysis


def analyze_logs(paths: Sequence[Path | str], fmt: str = "auto", *, progress: Any = None,
                 quote_lines: bool = False) -> LogAnalysis:
    """Access patterns of the given logs (one format; plain or .gz), streamed. `quote_lines`: errors
    and problems may quote the offending line (only for files the caller may show, the CLI's)."""
    files = [Path(p) for p in paths]
    if not files:
        raise InputError("no log file given", where="analyze log", remedy="name one or more log files")
    kind = _formats(files, fmt, quote_lines)
    problems = Problems(quote_lines)
    if kind == "digest":
        return _digest_files(files, problems, progress)
    agg = Aggregator()
    tracker = Tracker(agg, unknown_autocommit=True if kind == "slow" else None)
    clock = Clock()
    sources, lines = [], 0
    for path in files:
        before = tracker.statements
        reader = LineReader(path, problems, progress)
        _PARSERS[kind](reader, tracker, clock, problems)
        lines += reader.lines
        sources.append(LogSource(file=str(path), format=kind, lines=reader.lines,
                                 statements=tracker.statements - before))
    tracker.finish()
    agg.local_time = clock.local
    analysis = LogAnalysis(format=kind, sources=sources, patterns=agg.build(), noise=dict(agg.noise),
                           unparsed=agg.unparsed, window=agg.window(), notes=tracker.notes())
    if agg.overflow:
        analysis.notes.append(f"{agg.overflow:,} execution(s) beyond {MAX_PATTERNS:,} distinct patterns were not "
                              "kept as patterns")
        problems.add(str(files[0]), None, f"more than {MAX_PATTERNS:,} distinct patterns")
    if agg.min_ts is None and analysis.patterns:
        analysis.notes.append("the log has no timestamps: rates (rps) are unknown and must be given")
    _check(analysis, problems, lines, tracker.statements)
    return _finish(analysis, problems)


def _digest_files(files: list[Path], problems: Problems, progress: Any) -> LogAnalysis:
    builder = DigestBuilder(problems, str(files[0]))
    sources, lines = [], 0
    for path in files:
        before = builder.statements
        builder.source = str(path)
        reader = LineReader(path, problems, progress)
        read_digest_file(reader, builder, problems)
        lines += reader.lines
        sources.append(LogSource(file=str(path), format="digest", lines=reader.lines,
                                 statements=builder.statements - before))
    return _digest_result(builder, sources, problems, lines)


def _digest_result(builder: DigestBuilder, sources: list[LogSource], problems: Problems, lines: int) -> LogAnalysis:
    window = builder.window()
    analysis = LogAnalysis(format="digest", sources=sources, patterns=builder.patterns(window.seconds),
                           noise=dict(builder.noise), unparsed=builder.unparsed, window=window,
                           notes=["aggregated per statement by the server: no transactions and no per-second "
                                  "peak (rps_peak unknown)"])
    _check(analysis, problems, lines, builder.statements)
    return _finish(analysis, problems)


async def analyze_digest_table(dsn: Any, *, progress: Any = None) -> LogAnalysis:
    """The live performance_schema.events_statements_summary_by_digest (read-only)."""
    import sqlglot
    from sqlglot import exp

    from mysql2ddb.tools.core.db import async_connection, fetch_all
    from mysql2ddb.tools.core.sql import driver_sql, table

    where = f"analyze_query_log digest table @ {dsn.redacted()}"
    enabled_sql = driver_sql(sqlglot.parse_one("SELECT @@performance_schema AS enabled", read="mysql"))
    rows_sql = driver_sql(exp.select(exp.Star()).from_(table("events_statements_summary_by_digest",
                                                               db="performance_schema")))
    async with async_connection(dsn, where) as conn:
        enabled = await fetch_all(conn, enabled_sql, where=where, dsn=dsn)
        if not enabled or not int(enabled[0].get("enabled") or 0):
            raise ConfigError("performance_schema is OFF on this server, so it keeps no statement digests",
                              where=where,
                              remedy="set performance_schema=ON in the server's configuration ([mysqld] section) "
                                     "and restart it, let the application run, then retry; or analyse a general "
                                     "or slow log instead")
        rows = await fetch_all(conn, rows_sql, where=where, dsn=dsn)
    if progress is not None:
        progress.update("digest table", len(rows), len(rows))
    problems = Problems()
    builder = DigestBuilder(problems, "performance_schema.events_statements_summary_by_digest")
    for row in rows:
        builder.add({str(k).upper(): v for k, v in row.items()})
    if not builder.statements:
        raise NotFoundError("the digest table is empty: no statement has run since it was last reset", where=where,
                            remedy="let the application run for a while (or replay its workload), then retry")
    source = LogSource(file=builder.source, format="digest", lines=len(rows), statements=builder.statements)
    return _digest_result(builder, [source], problems, 0)
