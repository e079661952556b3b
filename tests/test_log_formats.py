"""Log formats beyond the shared capture, each a small realistic file written here: MySQL 8 and
5.7 general logs (ISO timestamps, Prepare/Execute, SQL-level PREPARE/EXECUTE, multi-line
statements, comments), a MariaDB log with interleaved connections and explicit transactions
(a loop over order lines, a ROLLBACK, a disconnect), a MySQL 8 slow log and a CSV digest export."""

from __future__ import annotations

from pathlib import Path

import pytest

from mysql2ddb.tools.analysis.logs.analyze import analyze_logs
from mysql2ddb.tools.analysis.logs.model import LogAnalysis

MYSQL8_HEADER = ("/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:\n"
                 "Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\n"
                 "Time                 Id Command    Argument\n")

MYSQL8_GENERAL = MYSQL8_HEADER + """\
2024-03-05T10:00:00.100000Z\t   12 Connect\tapp@10.0.0.5 on shop using TCP/IP
2024-03-05T10:00:00.100200Z\t   12 Query\tSET NAMES utf8mb4
2024-03-05T10:00:00.100300Z\t   12 Query\tSET autocommit=1
2024-03-05T10:00:00.100400Z\t   12 Query\tSELECT @@session.transaction_isolation
2024-03-05T10:00:00.200000Z\t   12 Prepare\tSELECT id, name, price FROM product WHERE id = ?
2024-03-05T10:00:00.200100Z\t   12 Execute\tSELECT id, name, price FROM product WHERE id = 17
2024-03-05T10:00:00.300100Z\t   12 Execute\tSELECT id, name, price FROM product WHERE id = 18
2024-03-05T10:00:01.000100Z\t   12 Execute\tSELECT id, name, price FROM product WHERE id = 19
2024-03-05T10:00:01.000200Z\t   12 Close stmt\t
2024-03-05T10:00:01.100000Z\t   12 Query\t/* app:cart */ SELECT c.id, c.qty
FROM cart_item c
WHERE c.customer_id = 5
  AND c.status IN ('open', 'saved')
2024-03-05T10:00:01.200000Z\t   12 Query\tselect c.id, c.qty from cart_item c where c.customer_id = 77 and c.status in ('open') -- hot
2024-03-05T10:00:02.200000Z\t   12 Quit\t
"""

MYSQL57_GENERAL = """\
/usr/sbin/mysqld, Version: 5.7.44-log (MySQL Community Server (GPL)). started with:
Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock
Time                 Id Command    Argument
2023-06-01T08:15:30.412345Z\t    3 Connect\troot@localhost on  using Socket
2023-06-01T08:15:30.412600Z\t    3 Init DB\tshop
2023-06-01T08:15:30.413000Z\t    3 Query\tPREPARE s1 FROM 'SELECT name FROM customer WHERE email = ?'
2023-06-01T08:15:30.413050Z\t    3 Prepare\tSELECT name FROM customer WHERE email = ?
2023-06-01T08:15:30.413100Z\t    3 Query\tSET @e = 'a@x.org'
2023-06-01T08:15:30.413200Z\t    3 Query\tEXECUTE s1 USING @e
2023-06-01T08:15:30.413300Z\t    3 Execute\tSELECT name FROM customer WHERE email = 'a@x.org'
2023-06-01T08:15:31.000000Z\t    3 Query\tEXECUTE s1 USING @e
2023-06-01T08:15:31.100000Z\t    3 Query\tDEALLOCATE PREPARE s1
2023-06-01T08:15:31.200000Z\t    3 Query\tUPDATE customer SET last_seen = NOW() WHERE id = 3
2023-06-01T08:15:31.300000Z\t    3 Quit\t
"""

MARIADB_TX = """\
/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-log (Debian 12). started with:
Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock
Time\t\t    Id Command\tArgument
240305 10:00:00\t    5 Connect\tapp@localhost on shop using TCP/IP
\t\t    6 Connect\tapp@localhost on shop using TCP/IP
\t\t    5 Query\tSTART TRANSACTION
\t\t    5 Query\tINSERT INTO orders (customer_id, total) VALUES (1, 30.00)
\t\t    6 Query\tSELECT * FROM product WHERE id = 4
\t\t    5 Query\tINSERT INTO order_line (order_id, product_id, qty) VALUES (100, 1, 1)
\t\t    5 Query\tUPDATE stock SET qty = qty - 1 WHERE product_id = 1
\t\t    5 Query\tINSERT INTO order_line (order_id, product_id, qty) VALUES (100, 2, 3)
\t\t    5 Query\tUPDATE stock SET qty = qty - 3 WHERE product_id = 2
\t\t    5 Query\tCOMMIT
240305 10:00:01\t    5 Query\tBEGIN
\t\t    5 Query\tINSERT INTO orders (customer_id, total) VALUES (2, 5.50)
\t\t    5 Query\tINSERT INTO order_line (order_id, product_id, qty) VALUES (101, 7, 1)
\t\t    5 Query\tUPDATE stock SET qty = qty - 1 WHERE product_id = 7
\t\t    5 Query\tCOMMIT
\t\t    6 Query\tBEGIN
\t\t    6 Query\tINSERT INTO orders (customer_id, total) VALUES (3, 9.00)
\t\t    6 Query\tINSERT INTO order_line (order_id, product_id, qty) VALUES (102, 1, 1)
\t\t    6 Query\tUPDATE stock SET qty = qty - 1 WHERE product_id = 1
\t\t    6 Query\tINSERT INTO order_line (order_id, product_id, qty) VALUES (102, 2, 1)
\t\t    6 Query\tUPDATE stock SET qty = qty - 1 WHERE product_id = 2
\t\t    6 Query\tINSERT INTO order_line (order_id, product_id, qty) VALUES (102, 3, 1)
\t\t    6 Query\tUPDATE stock SET qty = qty - 1 WHERE product_id = 3
\t\t    6 Query\tROLLBACK
\t\t    5 Query\tBEGIN
\t\t    5 Query\tCOMMIT
\t\t    5 Query\tSELECT * FROM product WHERE id = 9
\t\t    5 Quit\t
240305 10:00:02\t    6 Query\tBEGIN
\t\t    6 Query\tUPDATE stock SET qty = 0 WHERE product_id = 5
\t\t    6 Quit\t
"""

SLOW_MYSQL8 = MYSQL8_HEADER + """\
# Time: 2024-03-05T10:00:00.123456Z
# User@Host: app[app] @  [10.0.0.5]  Id:    12
# Query_time: 0.002000  Lock_time: 0.000010 Rows_sent: 1  Rows_examined: 1
use shop;
SET timestamp=1709632800;
SELECT id, name FROM product WHERE id = 5;
# Time: 2024-03-05T10:00:00.523456Z
# User@Host: app[app] @  [10.0.0.5]  Id:    12
# Query_time: 0.004000  Lock_time: 0.000020 Rows_sent: 1  Rows_examined: 3
SET timestamp=1709632800;
SELECT id, name
  FROM product
 WHERE id = 6;
# Time: 2024-03-05T10:00:01.000001Z
# User@Host: app[app] @  [10.0.0.5]  Id:    13
# Query_time: 0.000100  Lock_time: 0.000000 Rows_sent: 0  Rows_examined: 0
SET timestamp=1709632801;
# administrator command: Quit;
"""

DIGEST_CSV = """\
"SCHEMA_NAME","DIGEST","DIGEST_TEXT","COUNT_STAR","SUM_TIMER_WAIT","MAX_TIMER_WAIT","SUM_LOCK_TIME","SUM_ROWS_EXAMINED","SUM_ROWS_SENT","FIRST_SEEN","LAST_SEEN","QUANTILE_95","QUERY_SAMPLE_TEXT"
"shop","a1","SELECT `id` , `name` FROM `product` WHERE `id` IN (...)","1200","2400000000000","9000000000","1200000000","1200","1200","2024-03-05 10:00:00.000000","2024-03-05 10:59:59.500000","3019951720","SELECT id, name FROM product WHERE id IN (1,2,3)"
"shop","b2","INSERT INTO `orders` ( `customer_id` , `total` ) VALUES (...)","300","600000000000","5000000000","30000000","0","0","2024-03-05 10:00:01.000000","2024-03-05 10:59:00.000000","2089296130",""
"shop","c3","COMMIT","500","1000000","10000","0","0","0","2024-03-05 10:00:00.000000","2024-03-05 10:59:00.000000","1000",""
"shop","d4","SELECT * FROM `orders` WHERE `note` = ? AND `x` =","2","2000000","1000000","0","4","0","2024-03-05 10:10:00.000000","2024-03-05 10:20:00.000000","1000000",""
,,,"7","0","0","0","0","0","2024-03-05 10:00:00.000000","2024-03-05 10:00:00.000000","",""
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def by_table(analysis: LogAnalysis, table: str, transaction: bool = False):
    found = [p for p in analysis.patterns if p.tables and p.tables[0] == table and p.transaction == transaction]
    assert len(found) == 1, [(p.id, p.fingerprint) for p in analysis.patterns]
    return found[0]


def test_mysql8_general_log_prepared_statements_and_multiline(tmp_path):
    analysis = analyze_logs([write(tmp_path, "mysql8.log", MYSQL8_GENERAL)])
    assert analysis.format == "general" and len(analysis.patterns) == 2 and not analysis.partial
    product = by_table(analysis, "product")
    assert product.count == 3 and product.fingerprint == "SELECT id, name, price FROM product WHERE id = ?"
    assert "EXECUTE" not in product.fingerprint.upper() and product.example.endswith("id = 17")
    assert product.rps_peak == 2  # two executions in 10:00:00
    cart = by_table(analysis, "cart_item")
    assert cart.count == 2  # multi-line with a comment, and one line lower case with a shorter IN list
    assert cart.fingerprint == "SELECT c.id, c.qty FROM cart_item AS c WHERE c.customer_id = ? AND c.status IN (?)"
    assert analysis.noise == {"Connect": 1, "SET": 2, "SELECT @@": 1, "Prepare": 1, "Close stmt": 1, "Quit": 1}
    w = analysis.window
    assert (w.start, w.end, w.seconds, w.timezone) == ("2024-03-05T10:00:00Z", "2024-03-05T10:00:03Z", 3, "UTC")
    assert product.rps_avg == 1.0


def test_mysql57_sql_level_prepare_execute_is_counted_once(tmp_path):
    analysis = analyze_logs([write(tmp_path, "mysql57.log", MYSQL57_GENERAL)])
    customer = [p for p in analysis.patterns if p.kind == "read"]
    assert len(customer) == 1 and customer[0].count == 2  # once with the Execute line, once resolved by name
    assert customer[0].fingerprint == "SELECT name FROM customer WHERE email = ?"
    update = next(p for p in analysis.patterns if p.kind == "write")
    assert update.count == 1 and update.fingerprint == "UPDATE customer SET last_seen = NOW() WHERE id = ?"
    assert analysis.noise["PREPARE/EXECUTE"] == 4 and analysis.noise["USE"] == 1
    assert all("EXECUTE" not in p.fingerprint for p in analysis.patterns)


def test_explicit_transactions_loop_rollback_and_disconnect(tmp_path):
    analysis = analyze_logs([write(tmp_path, "mariadb.log", MARIADB_TX)])
    order = by_table(analysis, "orders", transaction=True)
    assert order.count == 2 and order.rolled_back == 1 and order.kind == "write"
    assert order.tables == ["orders", "order_line", "stock"]
    head, line, stock = order.statements
    assert (head.count, head.repeats.min, head.repeats.max) == (2, 1, 1)
    assert (line.count, line.repeats.min, line.repeats.avg, line.repeats.max) == (3, 1, 1.5, 2)
    assert (stock.count, stock.rolled_back) == (3, 3) and line.rolled_back == 3 and head.rolled_back == 1
    assert order.rps_peak == 1 and order.example.count(";\n") == 2
    product = by_table(analysis, "product")
    assert product.count == 2 and not product.transaction
    reset = by_table(analysis, "stock")  # BEGIN; UPDATE; Quit: the server rolled it back
    assert (reset.count, reset.rolled_back) == (0, 1)
    assert analysis.noise["BEGIN"] == 5 and analysis.noise["COMMIT"] == 3 and analysis.noise["ROLLBACK"] == 1
    assert len(analysis.patterns) == 3 and analysis.transactions == 3
    assert any("disconnect" in n for n in analysis.notes)
    assert analysis.window.timezone == "server local" and analysis.window.seconds == 3


def test_connection_first_seen_mid_log(tmp_path):
    """No Connect line: statements are held until COMMIT (autocommit off), or, with no COMMIT,
    counted one by one (autocommit on)."""
    text = ("2024-03-05T10:00:00.000000Z\t   40 Query\tSELECT qty FROM stock WHERE product_id = 1\n"
            "2024-03-05T10:00:00.100000Z\t   40 Query\tUPDATE stock SET qty = 2 WHERE product_id = 1\n"
            "2024-03-05T10:00:00.200000Z\t   40 Query\tCOMMIT\n"
            "2024-03-05T10:00:00.300000Z\t   41 Query\tSELECT name FROM product WHERE id = 1\n"
            "2024-03-05T10:00:00.400000Z\t   41 Query\tSELECT name FROM product WHERE id = 2\n"
            "2024-03-05T10:00:00.500000Z\t   41 Quit\t\n")
    analysis = analyze_logs([write(tmp_path, "mid.log", text)])
    rmw = by_table(analysis, "stock", transaction=True)
    assert rmw.count == 1 and [s.kind for s in rmw.statements] == ["read", "write"]
    assert by_table(analysis, "product").count == 2


def test_mysql8_slow_log(tmp_path):
    analysis = analyze_logs([write(tmp_path, "slow.log", SLOW_MYSQL8)])
    assert analysis.format == "slow" and len(analysis.patterns) == 1
    product = analysis.patterns[0]
    assert product.count == 2 and product.fingerprint == "SELECT id, name FROM product WHERE id = ?"
    lat = product.latency
    assert lat.query_time_avg_ms == pytest.approx(3.0) and lat.query_time_max_ms == pytest.approx(4.0)
    assert lat.rows_examined_avg == 2 and lat.rows_examined_max == 3 and lat.lock_time_max_ms == pytest.approx(0.02)
    assert product.rps_peak == 2 and analysis.noise == {"USE": 1, "Quit": 1}
    assert analysis.window.seconds == 2 and analysis.window.timezone == "UTC"


def test_csv_digest_export(tmp_path):
    analysis = analyze_logs([write(tmp_path, "digest.csv", DIGEST_CSV)])
    assert analysis.format == "digest" and analysis.window.seconds == 3600
    product = by_table(analysis, "product")
    assert product.count == 1200 and product.rps_avg == pytest.approx(1200 / 3600, abs=1e-4)
    assert product.fingerprint == "SELECT id, name FROM product WHERE id IN (?)"
    assert product.example == "SELECT id, name FROM product WHERE id IN (1,2,3)"  # QUERY_SAMPLE_TEXT
    assert product.latency.query_time_avg_ms == 2.0 and product.latency.query_time_p95_ms == pytest.approx(3.02, 0.01)
    insert = next(p for p in analysis.patterns if p.kind == "write")
    assert insert.count == 300 and insert.fingerprint == "INSERT INTO orders (customer_id, total) VALUES (?)"
    truncated = next(p for p in analysis.patterns if not p.statements[0].parsed)  # counted, never dropped
    assert truncated.count == 2 and truncated.tables == ["orders"]
    assert analysis.noise == {"COMMIT": 500}
    assert analysis.unparsed.count == 9 and analysis.partial  # 2 truncated + 7 without a digest
    assert "digests_size" in analysis.problems[0].reason


def test_several_files_and_gzip(tmp_path):
    import gzip

    plain = write(tmp_path, "a.log", MYSQL8_GENERAL)
    packed = tmp_path / "b.log.gz"
    with gzip.open(packed, "wt") as fh:
        fh.write(MYSQL8_GENERAL.replace("2024-03-05T10:00:0", "2024-03-05T11:00:0"))
    analysis = analyze_logs([plain, packed])
    assert by_table(analysis, "product").count == 6 and len(analysis.sources) == 2
    assert analysis.window.seconds == 3603 and by_table(analysis, "product").rps_peak == 2
