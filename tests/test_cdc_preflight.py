"""Live-migration preflight against private MariaDB servers: a well-configured source passes and
gives its position; each failed precondition is named with its remedy, all at once, and the
check itself writes nothing."""

from __future__ import annotations

import pytest

from mysql2ddb.tools.cdc.preflight import check_source
from mysql2ddb.tools.core.db import Dsn
from mysql2ddb.tools.core.errors import WorkflowError
from tests.binlog_server import available, private_mariadb

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))

SCHEMA = (
    "CREATE DATABASE shop",
    "CREATE TABLE shop.customer (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL)",
    "CREATE TABLE shop.tag (code VARCHAR(10) NOT NULL, UNIQUE KEY code_u (code))",
    "CREATE TABLE shop.note (body TEXT, ref VARCHAR(10), UNIQUE KEY ref_u (ref))",
)


def _load(server) -> None:
    conn = server.connect()
    with conn.cursor() as cur:
        for statement in SCHEMA:
            cur.execute(statement)
    conn.close()


def _by_name(result):
    return {c.name: c for c in result.checks}


@pytest.fixture(scope="module")
def good():
    with private_mariadb() as server:
        _load(server)
        yield server


def test_a_row_binlog_source_passes_and_gives_its_position(good):
    dsn = Dsn.parse(f"{good.url}/shop")
    result = check_source(dsn, ["customer", "tag"], planned_copy_s=600)
    assert result.ok, result.checks
    assert result.position is not None and result.position.file.startswith("binlog.")
    assert result.position.pos > 0 and result.position.flavor == "mariadb"
    result.raise_if_failed()


def test_a_table_without_a_usable_key_is_named(good):
    result = check_source(Dsn.parse(f"{good.url}/shop"), ["customer", "note"])
    keys = _by_name(result)["row keys"]
    assert not result.ok and not keys.ok and "note" in keys.detail and "customer" not in keys.detail
    with pytest.raises(WorkflowError) as info:
        result.raise_if_failed()
    assert "primary key" in info.value.remedy


def test_short_retention_and_missing_privileges_are_named_with_remedies(good):
    conn = good.connect()
    with conn.cursor() as cur:
        cur.execute("SET GLOBAL binlog_expire_logs_seconds = 7200")
        cur.execute("CREATE USER 'reader'@'127.0.0.1' IDENTIFIED BY 'pw'")
        cur.execute("GRANT SELECT ON shop.* TO 'reader'@'127.0.0.1'")
    try:
        result = check_source(Dsn.parse(f"mysql://reader:pw@127.0.0.1:{good.port}/shop"), ["customer"],
                              planned_copy_s=4 * 3600)
    finally:
        with conn.cursor() as cur:
            cur.execute("SET GLOBAL binlog_expire_logs_seconds = 0")
        conn.close()
    checks = _by_name(result)
    assert not checks["binlog retention"].ok and "18000" in checks["binlog retention"].remedy
    assert not checks["replication privileges"].ok
    assert "REPLICATION SLAVE" in checks["replication privileges"].remedy
    assert checks["binary log"].ok and checks["row format"].ok


def test_a_statement_binlog_without_full_images_fails_every_format_check():
    binlog = ("--log-bin={d}/binlog", "--binlog-format=STATEMENT", "--binlog-row-image=MINIMAL",
              "--binlog-row-metadata=NO_LOG", "--server-id=8")
    with private_mariadb(binlog=binlog) as server:
        _load(server)
        checks = _by_name(check_source(Dsn.parse(f"{server.url}/shop"), ["customer"]))
    assert not checks["row format"].ok and "binlog_format=ROW" in checks["row format"].remedy
    assert not checks["full row images"].ok and "binlog_row_image=FULL" in checks["full row images"].remedy
    assert checks["row metadata"].warning and "from the schema" in checks["row metadata"].detail


def test_no_binlog_at_all_is_named_first():
    with private_mariadb(binlog=("--server-id=9",)) as server:
        _load(server)
        result = check_source(Dsn.parse(f"{server.url}/shop"), ["customer"])
    checks = _by_name(result)
    assert not checks["binary log"].ok and "log-bin" in checks["binary log"].remedy
    assert result.position is None
