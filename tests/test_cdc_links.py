"""A change to a table reached through one middle table (an actor, reached by a film through
film_actor) re-reads only the items it reaches, not the whole view (tools/cdc/links.py `via`),
and those items are exactly what reading them by their own key gives. Read-only, on Sakila."""

from __future__ import annotations

from mysql2ddb.tools.cdc.apply import ContractIndex, derive
from mysql2ddb.tools.cdc.links import Via
from mysql2ddb.tools.cdc.preflight import row_keys
from mysql2ddb.tools.cdc.stream import RowChange, Transaction
from mysql2ddb.tools.contract.catalog import read_catalog_sync
from mysql2ddb.tools.contract.load import load_contract
from mysql2ddb.tools.core.db import sync_connection


def _films(ops) -> dict[str, dict]:
    return {item["film_id"]["N"]: item for (_table, _key), (kind, item) in ops.items() if kind == "put"}


def test_an_actor_change_reads_only_that_actors_films(sakila_dsn, contract):
    model = load_contract(contract)
    films = model.model_copy(update={"tables": [t for t in model.tables if t.table == "Films"]})
    catalog = read_catalog_sync(sakila_dsn)
    with sync_connection(sakila_dsn) as conn:
        with conn.cursor() as cur:
            keys = row_keys(cur, sakila_dsn.database, ["film", "actor", "film_actor", "language"])
            cur.execute("SELECT film_id FROM film_actor WHERE actor_id IN (1, 2)")
            expected = {str(row[0]) for row in cur.fetchall()}
        index = ContractIndex.build(films, catalog, keys)
        [(_table, _i, found)] = index.links("actor")
        assert found.kind == "via" and found.via == Via("film_actor", "actor_id", "actor_id", "film_id", "film_id")
        assert [f.kind for _t, _i, f in index.links("film_actor")] == ["join"]

        renamed = [RowChange("actor", "update", {"actor_id": a, "first_name": "X"}, {"actor_id": a, "first_name": "Y"})
                   for a in (1, 2)]
        through_actor = _films(derive(conn, index, [Transaction(renamed)]))
        assert set(through_actor) == expected and 0 < len(expected) < 1000  # not every film

        by_key = [RowChange("film", "insert", None, {"film_id": int(f)}) for f in expected]
        assert _films(derive(conn, index, [Transaction(by_key)])) == through_actor


def test_a_joined_key_column_change_deletes_the_item_under_the_old_key(mp_dsn, contract):
    """CategoryFilms is keyed by category name and film title, both joined: renaming a film moves its
    item to another sort key, so the item under the old title must go (the change is made in a
    transaction that is rolled back: the re-read sees it, nobody else does)."""
    model = load_contract(contract)
    category_films = model.model_copy(update={"tables": [t for t in model.tables if t.table == "CategoryFilms"]})
    catalog = read_catalog_sync(mp_dsn)
    with sync_connection(mp_dsn) as conn:
        try:
            with conn.cursor() as cur:
                keys = row_keys(cur, mp_dsn.database, ["film", "film_category", "category"])
                cur.execute("START TRANSACTION")
                cur.execute("SELECT * FROM film WHERE film_id = 1")  # a full row image, as the binlog has it
                before = dict(zip([d[0] for d in cur.description], cur.fetchone()))
                cur.execute("UPDATE film SET title = 'ZZZ RENAMED', rental_rate = 1.99 WHERE film_id = 1")
            index = ContractIndex.build(category_films, catalog, keys)
            renamed = RowChange("film", "update", before, {**before, "title": "ZZZ RENAMED", "rental_rate": 1.99})
            ops = derive(conn, index, [Transaction([renamed])])
            repriced = RowChange("film", "update", before, {**before, "rental_rate": 1.99})  # no key column
            same_key = derive(conn, index, [Transaction([repriced])])
        finally:
            conn.rollback()
    deletes = [key for (_t, key), (kind, _item) in ops.items() if kind == "delete"]
    puts = [key for (_t, key), (kind, _item) in ops.items() if kind == "put"]
    assert len(deletes) == 1 and deletes[0].endswith(before["title"]), ops
    assert len(puts) == 1 and puts[0].endswith("ZZZ RENAMED")
    assert [kind for kind, _item in same_key.values()] == ["put"]  # a price change keeps the key
