"""Bad input: a clear error naming the file (and line) with a remedy, or a result marked partial
with its problems listed when the rest is usable."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from mysql2ddb.tools.core.errors import ConfigError, DatabaseUnavailable, InputError, NotFoundError
from mysql2ddb.tools.analysis.logs.analyze import analyze_digest_table, analyze_logs
from mysql2ddb.tools.core.db import Dsn
from tests.conftest import dsn_for
from tests.test_log_formats import MYSQL8_GENERAL, MYSQL8_HEADER, SLOW_MYSQL8, write


def test_truncated_gzip_is_partial_with_the_line(capture_dir, tmp_path):
    data = (capture_dir / "general.log.gz").read_bytes()
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(data[: len(data) // 2])
    analysis = analyze_logs([cut])
    assert analysis.partial and analysis.problems_total == 1
    problem = analysis.problems[0]
    assert problem.file == str(cut) and problem.line > 1000 and "gzip -t" in problem.reason
    assert analysis.patterns and analysis.statements < 21632
    assert "PARTIAL" in analysis.summary()


def test_gzip_cut_in_its_header_is_an_error(tmp_path):
    bad = tmp_path / "tiny.log.gz"
    bad.write_bytes(gzip.compress(b"x" * 1000)[:12])
    with pytest.raises(InputError) as err:
        analyze_logs([bad])
    assert str(bad) in err.value.where and "gzip -t" in err.value.remedy


def test_binary_file(tmp_path):
    binary = tmp_path / "ibdata1"
    binary.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(InputError) as err:
        analyze_logs([binary])
    assert err.value.where == f"{binary}:1" and "mysqlbinlog" in err.value.remedy


def test_unknown_format(tmp_path):
    text = write(tmp_path, "notes.txt", "hello\nthis is not a log\n")
    with pytest.raises(InputError) as err:
        analyze_logs([text])
    assert "unknown log format" in err.value.why and err.value.where == f"{text}:1"
    assert "--format" in err.value.remedy
    with pytest.raises(InputError) as err:
        analyze_logs([text], "general")  # forced: every line is unreadable
    assert "unreadable" in err.value.why and err.value.where == f"{text}:1"
    with pytest.raises(InputError):
        analyze_logs([text], "csv")


def test_malformed_lines_in_the_middle_are_reported_by_line(tmp_path):
    lines = MYSQL8_GENERAL.splitlines(keepends=True)
    lines.insert(8, "\x01\x02garbage\x7f from a bad copy\n")  # control characters: not SQL
    lines.insert(18, "this line is not SQL at all\n")  # after a complete statement
    path = write(tmp_path, "damaged.log", "".join(lines))
    analysis = analyze_logs([path])
    assert analysis.partial and [p.line for p in analysis.problems] == [9, 19]
    assert all(p.file == str(path) for p in analysis.problems)
    assert {p.tables[0]: p.count for p in analysis.patterns} == {"product": 3, "cart_item": 2}


def test_slow_log_with_an_unreadable_header(tmp_path):
    path = write(tmp_path, "slow.log", SLOW_MYSQL8.replace("Query_time: 0.004000", "Query_time: 0.00x4", 1))
    analysis = analyze_logs([path])
    assert analysis.partial and analysis.problems[0].line == 12 and "measurements" in analysis.problems[0].reason
    product = analysis.patterns[0]
    assert product.count == 2 and product.latency.samples == 1


def test_empty_and_header_only_and_missing_files(tmp_path):
    with pytest.raises(InputError) as err:
        analyze_logs([write(tmp_path, "empty.log", "")])
    assert "empty" in err.value.why
    with pytest.raises(InputError) as err:
        analyze_logs([write(tmp_path, "header.log", MYSQL8_HEADER)])
    assert "no statements" in err.value.why and "general_log" in err.value.remedy
    with pytest.raises(NotFoundError) as err:
        analyze_logs([tmp_path / "nope.log"])
    assert "nope.log" in err.value.where
    with pytest.raises(InputError):
        analyze_logs([])


def test_mixed_formats_are_refused(tmp_path):
    with pytest.raises(InputError) as err:
        analyze_logs([write(tmp_path, "g.log", MYSQL8_GENERAL), write(tmp_path, "s.log", SLOW_MYSQL8)])
    assert "different formats" in err.value.why and "twice" in err.value.remedy


def test_wrong_explicit_format(tmp_path):
    with pytest.raises(InputError) as err:
        analyze_logs([write(tmp_path, "g.log", MYSQL8_GENERAL)], "slow")
    assert "--format general" in err.value.remedy


async def test_live_digest_table_errors():
    """The local MariaDB runs with performance_schema off: a clear error says how to turn it on."""
    try:
        analysis = await analyze_digest_table(dsn_for("mysql"))
    except ConfigError as exc:
        assert "performance_schema" in exc.why and "restart" in exc.remedy and "127.0.0.1" in exc.where
    except NotFoundError as exc:
        assert "empty" in exc.why
    else:
        assert analysis.format == "digest"
    with pytest.raises(DatabaseUnavailable) as err:
        await analyze_digest_table(Dsn(host="127.0.0.1", port=1, database="x"))
    assert "127.0.0.1:1" in err.value.where


def test_path_is_a_directory(tmp_path: Path):
    with pytest.raises(InputError) as err:
        analyze_logs([tmp_path])
    assert "directory" in err.value.why


def test_lines_are_quoted_only_when_asked(tmp_path):
    """The CLI quotes the offending line (the user's own file); by default (MCP) nothing of it is shown."""
    text = write(tmp_path, "notes.txt", "token=hunter2\nthis is not a log\n")
    for fmt in ("auto", "general", "slow"):
        with pytest.raises(InputError) as err:
            analyze_logs([text], fmt)
        assert "hunter2" not in str(err.value) and err.value.where == f"{text}:1"
    with pytest.raises(InputError) as err:
        analyze_logs([text], quote_lines=True)
    assert "token=hunter2" in err.value.why
