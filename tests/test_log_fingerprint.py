"""Fingerprints: literals, IN lists, LIMIT/OFFSET, LIKE patterns, comments, whitespace and case
normalized; each distinct shape parsed by sqlglot once; what does not parse still counted."""

from __future__ import annotations

import pytest

from mysql2ddb.tools.analysis.logs.fingerprint import Fingerprinter, cheap_key


@pytest.fixture
def fp() -> Fingerprinter:
    return Fingerprinter()


@pytest.mark.parametrize("a, b", [
    ("SELECT * FROM t WHERE id = 1", "select *   from T where ID = 12345"),
    ("SELECT * FROM t WHERE name = 'x'", 'SELECT * FROM t WHERE name = "it\'s"'),
    ("SELECT * FROM t WHERE id IN (1, 2, 3)", "SELECT * FROM t WHERE id IN (7)"),
    ("SELECT * FROM t WHERE a IN ('x','y') LIMIT 10", "SELECT * FROM t WHERE a IN ('z') LIMIT 20"),
    ("SELECT * FROM t LIMIT 10 OFFSET 20", "SELECT * FROM t LIMIT 40, 10"),
    ("SELECT * FROM t WHERE n LIKE 'P%'", "SELECT * FROM t WHERE n LIKE 'Sm%'"),
    ("/* c1 */ SELECT a FROM t -- tail", "SELECT a\n  FROM t # other"),
    ("INSERT INTO t (a, b) VALUES (1, 'x')", "INSERT INTO t (a, b) VALUES (2, 'y'), (3, 'z'), (4, NULL)"),
    ("UPDATE t SET a = -1 WHERE id = 5", "UPDATE t SET a = 3.5 WHERE id = 0x1F"),
    ("SELECT `a` FROM `db`.`t`", "SELECT a FROM db.t"),
])
def test_same_shape_same_fingerprint(fp, a, b):
    assert fp.shape(a).fingerprint == fp.shape(b).fingerprint


@pytest.mark.parametrize("a, b", [
    ("SELECT * FROM t1 WHERE id = 1", "SELECT * FROM t2 WHERE id = 1"),
    ("SELECT * FROM t WHERE col1 = 1", "SELECT * FROM t WHERE col2 = 1"),
    ("SELECT * FROM t WHERE id = 1", "SELECT * FROM t WHERE id = 1 AND b = 2"),
    ("SELECT * FROM t WHERE a IS NULL", "SELECT * FROM t WHERE a = 1"),
    ("SELECT COALESCE(a, 1) FROM t", "SELECT COALESCE(a, 1, 2) FROM t"),
])
def test_different_shapes_stay_apart(fp, a, b):
    assert fp.shape(a).fingerprint != fp.shape(b).fingerprint


def test_fingerprint_text_kind_and_tables(fp):
    s = fp.shape("SELECT f.title FROM film f JOIN film_actor fa ON fa.film_id = f.film_id WHERE fa.actor_id = 5")
    assert s.fingerprint == ("SELECT f.title FROM film AS f JOIN film_actor AS fa ON fa.film_id = f.film_id "
                             "WHERE fa.actor_id = ?")
    assert (s.kind, s.tables, s.parsed) == ("read", ("film", "film_actor"), True)
    w = fp.shape("INSERT INTO payment (a) SELECT a FROM rental WHERE id = 3")
    assert (w.kind, w.tables) == ("write", ("payment", "rental"))
    r = fp.shape("REPLACE INTO t (a) VALUES (1)")
    assert (r.fingerprint, r.kind) == ("REPLACE INTO t (a) VALUES (?)", "write")
    assert fp.shape("SELECT * FROM t WHERE id = 1 FOR UPDATE").kind == "read"


@pytest.mark.parametrize("sql, noise, control", [
    ("SET NAMES utf8mb4", "SET", None),
    ("SET autocommit=0", "SET", "autocommit_off"),
    ("set @@session.autocommit = ON", "SET", "autocommit_on"),
    ("SHOW TABLES", "SHOW", None),
    ("SELECT @@version_comment LIMIT 1", "SELECT @@", None),
    ("SELECT 1", "SELECT (no table)", None),
    ("SELECT * FROM information_schema.tables", "metadata", None),
    ("COMMIT", "COMMIT", "commit"),
    ("ROLLBACK", "ROLLBACK", "rollback"),
    ("ROLLBACK TO SAVEPOINT a", "SAVEPOINT", None),
    ("START TRANSACTION", "BEGIN", "begin"),
    ("BEGIN", "BEGIN", "begin"),
    ("CREATE TABLE x (a int)", "DDL", "implicit_commit"),
    ("USE sakila", "USE", None),
    ("/* only a comment */", "comment", None),
])
def test_noise_and_transaction_control(fp, sql, noise, control):
    shape = fp.shape(sql)
    assert (shape.noise, shape.control) == (noise, control)
    assert shape.kind in ("noise", "control")


def test_each_shape_is_parsed_once(fp):
    for i in range(500):
        fp.shape(f"SELECT name FROM customer WHERE id = {i} AND email = 'u{i}@x.org'")
        fp.shape("COMMIT")
    assert fp.parses == 1


def test_unparseable_sql_is_fingerprinted_by_tokens(fp):
    a = fp.shape("SELECT a FROM t WHERE x = 1 AND")
    b = fp.shape("SELECT a FROM t WHERE x = 22 AND")
    assert not a.parsed and a.fingerprint == b.fingerprint == "select a from t where x = ? and"
    assert (a.kind, a.tables) == ("read", ("t",))


def test_cheap_key_drops_literals_and_comments():
    assert cheap_key("SELECT  a FROM t WHERE b = 'x''y' AND c IN (1, 2) /* z */") == \
        "select a from t where b = ? and c in (?+)"
    assert cheap_key("select * from t1 where c2 = 3") == "select * from t1 where c2 = ?"
