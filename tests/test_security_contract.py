"""A contract from a confused or steered assistant: every hostile SQL fragment is refused with its
JSON path, all of them in one report, before any view exists; binary, Latin-1 and table-less
contract files are clear errors; view reads run under a server-side time limit."""

from __future__ import annotations

import copy
import json
import re
import time

import pytest
from sqlglot import exp

from mysql2ddb.tools.contract import fragment_policy
from mysql2ddb.tools.contract.catalog import read_catalog_sync
from mysql2ddb.tools.contract.fragments import fragment_errors, parse_fragment
from mysql2ddb.tools.contract.load import load_contract
from mysql2ddb.tools.contract.validate import check_contract, validate_contract
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.core.db import map_db_error, sync_connection, time_limited
from mysql2ddb.tools.core.errors import ContractError, DatabaseError
from mysql2ddb.tools.execution.views import apply_views, views_sql

FK_JOIN = "/tables/0/attributes/4/join"  # Films.language: foreign-key
JSON_JOIN = "/tables/0/attributes/12/join"  # Films.actors: json-construction
CASE = "/tables/2/entities/0/attributes/6/calculation"  # CUSTOMER.status: case
CHAIN = "/tables/2/entities/0/attributes/15/join/joins"  # CUSTOMER.full_address: chain
AGGREGATE = "/tables/2/entities/0/attributes/16/calculation"  # CUSTOMER.total_paid: SUM
MULTI = "/tables/2/entities/1/attributes/8/join/join_conditions"  # RENTAL.amount: multi-column
CONDITIONAL = "/tables/3/attributes/3/join"  # Inventory.held_by: conditional
INITIAL = "/tables/5/attributes/3/calculation"  # Actors.last_name_initial: case

# (JSON path, hostile fragment, a word the refusal must carry)
HOSTILE = [
    (f"{FK_JOIN}/join_condition", "language.language_id = other_db.film.language_id", "database `other_db`"),
    (f"{CONDITIONAL}/condition", "EXISTS (SELECT 1 FROM mysql.user WHERE mysql.user.User = 'root')", "system schema"),
    (f"{FK_JOIN}/select_column", "(SELECT TABLE_NAME FROM information_schema.TABLES LIMIT 1)", "subquery"),
    (f"{INITIAL}/cases/0/then", "(SELECT MAX(film.title) FROM film)", "subquery"),
    (f"{CONDITIONAL}/condition", "EXISTS (SELECT 1 FROM rental, payment, film)", "JOINS"),
    (f"{CONDITIONAL}/condition", "EXISTS (SELECT 1 FROM rental JOIN payment ON 1 = 1)", "JOINS"),
    (f"{JSON_JOIN}/join_condition",
     ("actor.actor_id IN (SELECT film_actor.actor_id FROM film_actor WHERE film_actor.film_id IN "
      "(SELECT film.film_id FROM film))"), "inside a subquery"),
    (f"{CONDITIONAL}/condition", "rental.rental_id = ANY (SELECT payment.rental_id FROM payment)", "not an EXISTS or IN"),
    (f"{CASE}/cases/0/when", "EXISTS (SELECT 1 FROM rental GROUP BY rental.customer_id)", "GROUP"),
    (f"{INITIAL}/cases/0/then", "get_customer_balance(actor.actor_id, '2005-01-01')", "allow-list"),
    (f"{INITIAL}/cases/0/then", "m2d_sakila.inventory_in_stock(actor.actor_id)", "stored function"),
    (f"{INITIAL}/else", "`inventory_in_stock`(1)", "quoted function name"),
    (f"{INITIAL}/cases/0/when", "SLEEP(10) = 0", "SLEEP() waits"),
    (f"{INITIAL}/cases/0/when", "BENCHMARK(100000000, MD5('x')) = 0", "BENCHMARK() waits"),
    (f"{INITIAL}/cases/0/when", "GET_LOCK('m2d', 60) = 1", "GET_LOCK() waits"),
    (f"{INITIAL}/cases/0/when", "RELEASE_LOCK('m2d') = 1", "RELEASE_LOCK() waits"),
    (f"{CHAIN}/1/join_condition", "city.city_id = address.city_id AND MASTER_POS_WAIT('log.1', 4, 60) >= 0", "replication"),
    (f"{CHAIN}/1/join_condition", "city.city_id = address.city_id AND MASTER_GTID_WAIT('0-1-1', 60) = 0", "replication"),
    (f"{CHAIN}/1/join_condition", "city.city_id = address.city_id AND WAIT_FOR_EXECUTED_GTID_SET('x', 9) = 0",
     "replication"),
    (f"{AGGREGATE}/select_column", "LENGTH(LOAD_FILE('/etc/passwd'))", "reads a file"),
    (f"{CASE}/cases/0/then", "CONCAT('ACTIVE@', NOW())", "different value on every read"),
    (f"{CASE}/cases/0/then", "SYSDATE()", "different value on every read"),
    (f"{CASE}/else", "CURRENT_TIMESTAMP", "different value on every read"),
    (f"{CASE}/else", "UNIX_TIMESTAMP()", "reads the clock"),
    (f"{CASE}/else", "UUID()", "different value on every read"),
    (f"{CASE}/else", "USER()", "session or server state"),
    (f"{MULTI}/1", "payment.customer_id = rental.customer_id + RAND()", "different value on every read"),
    (f"{CONDITIONAL}/select_column", "CONCAT('CUSTOMER#', SUM(rental.customer_id))", "aggregate"),
    (f"{CONDITIONAL}/select_column", "ROW_NUMBER() OVER (ORDER BY rental.rental_id)", "window"),
    (f"{JSON_JOIN}/construction/select_columns/actor_id", "JSON_ARRAYAGG(actor.actor_id)", "aggregate"),
    (f"{JSON_JOIN}/construction/order_by", "(SELECT 1 FROM film), actor.last_name", "subquery"),
    (f"{CONDITIONAL}/condition", "rental.rental_id = @target", "variable"),
    (f"{CONDITIONAL}/condition", "@@global.read_only = 0", "variable"),
    (f"{FK_JOIN}/join_condition", "language.language_id = film.language_id; DROP TABLE film", "semicolon"),
    (f"{FK_JOIN}/join_condition", "language.language_id = film.language_id /* hidden */", "comment"),
    (f"{FK_JOIN}/join_condition", "language.language_id = film.language_id AND (@x := 1) = 1", "variable"),
]


def _set(data: dict, pointer: str, value: str) -> None:
    *parents, last = pointer.lstrip("/").split("/")
    node = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value


@pytest.fixture(scope="module")
def base(sakila_dir) -> dict:
    return json.loads((sakila_dir / "contract.json").read_text())


@pytest.fixture(scope="module")
def catalog(sakila_dsn):
    return read_catalog_sync(sakila_dsn)


def _hostile(base: dict, cases: list[tuple[str, str, str]]) -> dict:
    data = copy.deepcopy(base)
    for path, fragment, _ in cases:
        _set(data, path, fragment)
    return data


async def test_the_shared_contract_still_validates_clean(base, sakila_dsn, catalog):
    outcome = await validate_contract(base, sakila_dsn)
    assert outcome.valid, [(e.path, e.message) for e in outcome.errors]
    assert fragment_errors(base) == []
    assert len(views_sql(load_contract(base), catalog)) == 7


@pytest.mark.parametrize("path, fragment, word", HOSTILE, ids=[f"{i}:{c[1][:40]}" for i, c in enumerate(HOSTILE)])
def test_each_hostile_fragment_is_refused_at_its_path(base, catalog, path, fragment, word):
    outcome = check_contract(_hostile(base, [(path, fragment, word)]), catalog)
    assert not outcome.valid
    mine = [e for e in outcome.errors if e.path == path]
    assert mine and any(word in e.message + e.remedy for e in mine), [(e.path, e.message) for e in outcome.errors]
    assert all(e.remedy for e in mine)
    with pytest.raises(ContractError) as caught:  # the view compiler refuses it too, before compiling
        views_sql(load_contract(_hostile(base, [(path, fragment, word)])), catalog)
    assert path in {e["path"] for e in caught.value.details["errors"]}


def _unique_hostile() -> list[tuple[str, str, str]]:
    """One hostile fragment per path (a path can hold one text at a time)."""
    return list({path: (path, fragment, word) for path, fragment, word in HOSTILE}.values())


def test_every_refusal_is_reported_in_one_run(base, catalog):
    cases = _unique_hostile()
    outcome = check_contract(_hostile(base, cases), catalog)
    assert {path for path, _, _ in cases} <= {e.path for e in outcome.errors}


def _views(dsn, names: list[str]) -> list[str]:
    query = (exp.select(sql.col("TABLE_NAME")).from_(sql.table("VIEWS", db="information_schema"))
             .where(exp.and_(exp.EQ(this=sql.col("TABLE_SCHEMA"), expression=sql.param()),
                             sql.in_params(sql.col("TABLE_NAME"), len(names)))))
    with sync_connection(dsn, where="list views") as conn, conn.cursor() as cur:
        cur.execute(sql.driver_sql(query), [dsn.database, *names])
        return [row[0] for row in cur.fetchall()]


async def test_nothing_is_created_when_any_fragment_is_refused(base, mp_dsn):
    data = _hostile(base, _unique_hostile()[:6])
    for table in data["tables"]:
        table["table"] = "SecGuard" + table["table"]
    contract = load_contract(data)
    names = [t.view_name for t in contract.tables]
    try:
        with pytest.raises(ContractError) as caught:
            await apply_views(contract, mp_dsn)
        paths = [e["path"] for e in caught.value.details["errors"]]
        assert set(paths) >= {path for path, _, _ in _unique_hostile()[:6]} and caught.value.where == paths[0]
        assert _views(mp_dsn, names) == []
    finally:  # should the guard fail, leave the shared database as it was
        with sync_connection(mp_dsn, where="drop test views") as conn, conn.cursor() as cur:
            for name in _views(mp_dsn, names):
                cur.execute(sql.render(exp.Drop(this=sql.table(name), kind="VIEW", exists=True)))


def test_a_cartesian_join_condition_is_refused(base, catalog):
    cases = [(f"{CHAIN}/1/join_condition", "1 = 1", "cartesian"),
             (f"{AGGREGATE}/join_condition", "payment.amount > 0", "cartesian"),
             (f"{FK_JOIN}/join_condition", "film.language_id = 1", "cartesian")]
    outcome = check_contract(_hostile(base, cases), catalog)
    for path, _, word in cases:
        assert any(e.path == path and word in e.message for e in outcome.errors), path


def test_a_view_is_not_a_source(base, catalog):
    data = copy.deepcopy(base)
    data["tables"][0]["attributes"][4]["join"]["target_table"] = "film_list"
    outcome = check_contract(data, catalog)
    assert any(e.path == f"{FK_JOIN}/target_table" and "is a view" in e.message for e in outcome.errors)


@pytest.mark.parametrize("text", [
    # what the recommender writes: junction tables and "open child row" tests
    "actor.actor_id IN (SELECT film_actor.actor_id FROM film_actor WHERE film_actor.film_id = film.film_id)",
    "(a.x, a.y) IN (SELECT l.x, l.y FROM l WHERE l.p = b.p)",
    "NOT EXISTS (SELECT 1 FROM rental AS r WHERE r.inventory_id = inventory.inventory_id AND r.return_date IS NULL)",
])
def test_semi_joins_pass_in_predicates_only(text):
    assert parse_fragment(text, "/p", "predicate") is not None
    with pytest.raises(ContractError, match="subquery"):
        parse_fragment(text, "/v", "expression")


def test_the_allow_list_is_documented_and_every_name_is_judged():
    doc = fragment_policy.__doc__.split("The allowed functions")[1].split("`ALLOWED_FUNCTIONS`")[0]
    doc = re.sub(r"\([^)]*\)", "", doc)  # the parenthesised operators are not names
    doc = re.sub(r"(?m)^\s*[A-Za-z ]+:", "", doc.split(":", 1)[1])  # nor the category headings
    listed = set(re.findall(r"\b[A-Z][A-Z0-9_]+\b", doc))
    assert listed == set(fragment_policy.ALLOWED_FUNCTIONS)
    for name, sample in fragment_policy.ALLOWED_FUNCTIONS.items():
        parse_fragment(sample, f"/{name}")
    for name in fragment_policy.REFUSED_FUNCTIONS:
        for text in (f"{name}()", f"{name}(t.a)"):
            with pytest.raises(ContractError):
                parse_fragment(text, f"/{name}")


def test_binary_latin1_and_utf16_files_are_clear_errors(base, tmp_path):
    good = json.dumps(base, ensure_ascii=False)
    cases = {
        "binary.json": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        "latin1.json": (good.replace('"Films"', '"Filmé"').encode("latin-1"), "not UTF-8"),
        "utf16.json": (good.encode("utf-16"), "UTF-16"),
    }
    for name, (data, word) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ContractError) as caught:
            load_contract(path)
        assert word in caught.value.why and str(path) in caught.value.where and "UTF-8" in caught.value.remedy
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + good.encode())
    assert len(load_contract(bom).tables) == 7


async def test_a_contract_without_tables_is_invalid(tmp_path):
    with pytest.raises(ContractError) as caught:
        load_contract({"tables": []})
    assert caught.value.details["errors"][0]["path"] == "/tables"
    path = tmp_path / "empty.json"
    path.write_text('{"tables": []}')
    outcome = await validate_contract(path, None)
    assert not outcome.valid and outcome.errors[0].path == "/tables" and "no tables" in outcome.errors[0].message
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\x00\x01\x02")
    outcome = await validate_contract(binary, None)
    assert not outcome.valid and "binary" in outcome.errors[0].message


def test_view_reads_carry_a_time_limit_for_each_flavor(sakila_dsn):
    query = exp.select(exp.Star()).from_(sql.table("film")).where(exp.GT(this=sql.col("film_id"), expression=sql.param()))
    assert time_limited(query, 60, "mariadb").startswith("SET STATEMENT max_statement_time=60 FOR SELECT")
    assert "SELECT /*+ MAX_EXECUTION_TIME(60000) */ *" in time_limited(query, 60, "mysql")
    both = time_limited(query, 60)
    assert both.startswith("/*M! SET STATEMENT max_statement_time=60 FOR */ SELECT /*+ MAX_EXECUTION_TIME(60000) */")
    slow = exp.select(exp.Anonymous(this="SLEEP", expressions=[exp.Literal.number(5)]))
    with sync_connection(sakila_dsn, where="time limit") as conn, conn.cursor() as cur:
        cur.execute(both, (995,))
        assert len(cur.fetchall()) == 5
        started = time.monotonic()
        with pytest.raises(Exception) as caught:
            cur.execute(time_limited(slow, 1))
            cur.fetchall()
        assert time.monotonic() - started < 4
    mapped = map_db_error(caught.value, "stream ddb_x_view")
    assert isinstance(mapped, DatabaseError) and "time limit" in mapped.why
