"""Schema analysis against the live MariaDB. Every schema fact is checked against
information_schema (or COUNT/GROUP BY) queried here directly, not against our own output."""

from __future__ import annotations

import json
from collections import defaultdict

import pymysql
import pytest
from sqlglot import exp
from typer.testing import CliRunner

from mysql2ddb.server.cli.main import app as cli_app
from mysql2ddb.tools.core.errors import ConfigError, DatabaseUnavailable, NotFoundError, PrivilegeError
from mysql2ddb.tools.analysis.schema import analyze_schema
from mysql2ddb.tools.core.db import Dsn, sync_connection
from mysql2ddb.tools.core.sql import col, driver_sql, table

from tests.conftest import dsn_for

EXTRA_DB = "m2d_schema_extra"
EMPTY_DB = "m2d_empty_schema"
NOPRIVS = "m2d_noprivs"


def rows(dsn: Dsn, sql: str, params: tuple = ()) -> list[dict]:
    with sync_connection(dsn) as conn, conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def run_statements(dsn: Dsn, statements: list[str]) -> None:
    with sync_connection(dsn) as conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)


def group_max_avg(dsn: Dsn, source: str, column: str) -> tuple[int, float]:
    inner = (exp.select(exp.alias_(exp.Count(this=exp.Star()), "n")).from_(table(source))
             .group_by(col(column)).subquery("g"))
    query = exp.select(exp.alias_(exp.Max(this=col("n", "g")), "mx"), exp.alias_(exp.Avg(this=col("n", "g")), "av"))
    row = rows(dsn, driver_sql(query.from_(inner)))[0]
    return int(row["mx"]), float(row["av"])


@pytest.fixture(scope="module")
async def sakila(sakila_dsn):
    return await analyze_schema(sakila_dsn)


@pytest.fixture(scope="module")
async def chinook(chinook_dsn):
    return await analyze_schema(chinook_dsn)


@pytest.fixture(params=["sakila", "chinook"])
def case(request):
    return request.getfixturevalue(f"{request.param}_dsn"), request.getfixturevalue(request.param)


def test_every_column_matches_information_schema(case):
    dsn, analysis = case
    expected = rows(dsn, "SELECT c.TABLE_NAME t, c.COLUMN_NAME c, c.COLUMN_TYPE ty, c.IS_NULLABLE n "
                         "FROM information_schema.COLUMNS c JOIN information_schema.TABLES x "
                         "ON x.TABLE_SCHEMA = c.TABLE_SCHEMA AND x.TABLE_NAME = c.TABLE_NAME "
                         "WHERE c.TABLE_SCHEMA = %s AND x.TABLE_TYPE = 'BASE TABLE' "
                         "ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION", (dsn.database,))
    got = [(t.name, c.name, c.type, "YES" if c.nullable else "NO") for t in analysis.tables for c in t.columns]
    assert got == [(r["t"], r["c"], r["ty"], r["n"]) for r in expected]
    views = rows(dsn, "SELECT TABLE_NAME t FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s ORDER BY 1",
                 (dsn.database,))
    assert [v.name for v in analysis.views] == [r["t"] for r in views]


def test_keys_and_indexes_match_information_schema(case):
    dsn, analysis = case
    fks: dict[tuple, dict] = {}
    for r in rows(dsn, "SELECT TABLE_NAME t, CONSTRAINT_NAME k, COLUMN_NAME c, REFERENCED_TABLE_NAME rt, "
                       "REFERENCED_COLUMN_NAME rc FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = %s "
                       "AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY t, k, ORDINAL_POSITION", (dsn.database,)):
        fk = fks.setdefault((r["t"], r["k"]), {"columns": [], "ref_table": r["rt"], "ref_columns": []})
        fk["columns"].append(r["c"])
        fk["ref_columns"].append(r["rc"])
    got = {(t.name, f.name): {"columns": f.columns, "ref_table": f.ref_table, "ref_columns": f.ref_columns}
           for t in analysis.tables for f in t.foreign_keys}
    assert got == fks and fks
    indexes: dict[tuple, list] = defaultdict(list)
    unique: dict[tuple, bool] = {}
    for r in rows(dsn, "SELECT TABLE_NAME t, INDEX_NAME i, COLUMN_NAME c, NON_UNIQUE nu FROM information_schema.STATISTICS "
                       "WHERE TABLE_SCHEMA = %s ORDER BY t, i, SEQ_IN_INDEX", (dsn.database,)):
        indexes[(r["t"], r["i"])].append(r["c"])
        unique[(r["t"], r["i"])] = int(r["nu"]) == 0
    assert {(t.name, i.name): i.columns for t in analysis.tables for i in t.indexes} == dict(indexes)
    for t in analysis.tables:
        assert t.primary_key == indexes.get((t.name, "PRIMARY"), [])
        assert {u.name for u in t.unique_keys} == {i for (tn, i), u in unique.items() if tn == t.name and u} - {"PRIMARY"}


def test_row_counts_are_exact_counts(case):
    dsn, analysis = case
    with sync_connection(dsn) as conn, conn.cursor() as cur:
        for t in analysis.tables:
            cur.execute(driver_sql(exp.select(exp.Count(this=exp.Star())).from_(table(t.name))))
            assert (t.name, t.rows, t.rows_estimated) == (t.name, cur.fetchone()[0], False)


def test_metadata_is_read_in_a_fixed_number_of_queries(sakila, chinook):
    assert sakila.queries.information_schema == chinook.queries.information_schema == 7  # 6 + MariaDB checks
    assert len(sakila.tables) != len(chinook.tables)


def test_sakila_exact_types(sakila):
    film, address = sakila.table("film"), sakila.table("address")
    rate = film.column("rental_rate")
    assert (rate.type, rate.data_type, rate.precision, rate.scale, rate.default) == ("decimal(4,2)", "decimal", 4, 2, "4.99")
    assert film.column("rating").values == ["G", "PG", "PG-13", "R", "NC-17"]
    assert film.column("rating").default == "G" and not film.column("rating").default_is_expression
    assert film.column("special_features").values == ["Trailers", "Commentaries", "Deleted Scenes", "Behind the Scenes"]
    assert film.column("special_features").data_type == "set"
    location = address.column("location")
    assert location.data_type == "geometry" and location.is_spatial
    assert film.column("film_id").unsigned and film.column("film_id").auto_increment
    assert film.column("title").charset and film.column("title").collation
    assert film.column("last_update").default_is_expression
    assert {(t.name, t.table, t.timing, t.event) for t in sakila.triggers} >= {("ins_film", "film", "AFTER", "INSERT")}
    assert next(v for v in sakila.views if v.name == "film_list").definition


def test_sakila_relationships_measured_from_the_data(sakila, sakila_dsn):
    mn = [r for r in sakila.relationships if r.via == "film_actor"]
    assert len(mn) == 1 and mn[0].cardinality == "M:N" and {mn[0].parent, mn[0].child} == {"film", "actor"}
    per_parent = group_max_avg(sakila_dsn, "film_actor", mn[0].columns[0])
    assert (mn[0].max_children, mn[0].avg_children) == (per_parent[0], pytest.approx(per_parent[1], abs=1e-3))
    rental = sakila.relationship("customer", "rental")
    real_max, real_avg = group_max_avg(sakila_dsn, "rental", "customer_id")
    assert rental.cardinality == "1:N" and rental.columns == ["customer_id"] and rental.measured
    assert rental.max_children == real_max and rental.avg_children == pytest.approx(real_avg, abs=1e-3)
    assert rental.orphans == 0
    assert sakila.relationship("staff", "store").cardinality == "1:1"  # manager_staff_id is unique
    inferred = sakila.relationship("film", "film_text")  # no constraint, same key name
    assert inferred.source == "inferred" and inferred.cardinality == "1:1"


def test_sakila_key_stats_match_group_by(sakila, sakila_dsn):
    stats = next(k for k in sakila.key_stats if k.table == "rental" and k.columns == ["customer_id"])
    real = rows(sakila_dsn, "SELECT COUNT(DISTINCT customer_id) d, COUNT(*) n FROM rental")[0]
    top = rows(sakila_dsn, "SELECT COUNT(*) n FROM rental GROUP BY customer_id ORDER BY n DESC LIMIT 1")[0]["n"]
    assert stats.distinct == real["d"] and stats.top_share == pytest.approx(top / real["n"], abs=1e-6)
    assert stats.avg_row_bytes and not stats.unique
    pk = next(k for k in sakila.key_stats if k.table == "rental" and k.columns == ["rental_id"])
    assert pk.unique and pk.distinct == real["n"]


async def test_threshold_marks_estimates(sakila_dsn):
    analysis = await analyze_schema(sakila_dsn, exact_count_threshold=10_000)
    rental = analysis.table("rental")
    assert rental.rows_estimated and not analysis.table("film").rows_estimated
    rel = analysis.relationship("customer", "rental")
    assert not rel.measured and rel.max_children is None and rel.cardinality == "1:N"
    key = next(k for k in analysis.key_stats if k.table == "rental" and k.columns == ["customer_id"])
    assert key.estimated and key.top_share is None
    assert any("estimate" in w for w in analysis.warnings)


def test_chinook_junction_and_self_reference(chinook):
    mn = next(r for r in chinook.relationships if r.via == "PlaylistTrack")
    assert mn.cardinality == "M:N" and {mn.parent, mn.child} == {"Playlist", "Track"}
    self_ref = chinook.relationship("Employee", "Employee")
    assert self_ref.columns == ["ReportsTo"] and self_ref.cardinality == "1:N"


EXTRA_DDL = [
    "DROP DATABASE IF EXISTS m2d_schema_extra",
    "CREATE DATABASE m2d_schema_extra",
    "USE m2d_schema_extra",
    "CREATE TABLE node (id BIGINT UNSIGNED PRIMARY KEY, parent_id BIGINT UNSIGNED NULL, flags BIT(8) NOT NULL "
    "DEFAULT b'101', born YEAR NULL, doc JSON NULL, price DECIMAL(5,2) UNSIGNED NOT NULL DEFAULT 0.50, "
    "label VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT 'it''s', "
    "label_len INT AS (CHAR_LENGTH(label)) VIRTUAL, label_up VARCHAR(20) AS (UPPER(label)) STORED, "
    "CONSTRAINT fk_node_parent FOREIGN KEY (parent_id) REFERENCES node (id) ON DELETE SET NULL) ENGINE=InnoDB",
    "CREATE TABLE region (country CHAR(2) NOT NULL, code VARCHAR(10) NOT NULL, name VARCHAR(50), "
    "PRIMARY KEY (country, code)) ENGINE=InnoDB",
    "CREATE TABLE shop (id INT PRIMARY KEY, country CHAR(2), region_code VARCHAR(10), "
    "CONSTRAINT fk_shop_region FOREIGN KEY (country, region_code) REFERENCES region (country, code) "
    "ON UPDATE CASCADE) ENGINE=InnoDB",
    "CREATE TABLE warehouse (warehouse_id INT PRIMARY KEY, city VARCHAR(30) CHARACTER SET latin1 NOT NULL, "
    "code VARCHAR(10) COLLATE utf8mb4_bin NOT NULL, KEY idx_city (city), KEY idx_code (code)) ENGINE=InnoDB",
    "CREATE TABLE stock (id INT PRIMARY KEY, warehouse_id INT NOT NULL, KEY idx_wh (warehouse_id)) ENGINE=InnoDB",
    "INSERT INTO warehouse VALUES (1, 'Lyon', 'a'), (2, 'Lyon', 'A'), (3, 'Nantes', 'b')",
    "INSERT INTO stock VALUES (1, 1), (2, 1), (3, 2), (4, 9)",
    "INSERT INTO node (id, parent_id, doc) VALUES (1, NULL, '{\"a\": 1}'), (2, 1, NULL), (3, 1, NULL), (4, 1, NULL), "
    "(5, 2, NULL)",
    "INSERT INTO region VALUES ('FR', 'IDF', 'Ile-de-France'), ('FR', 'BRE', 'Bretagne')",
    "INSERT INTO shop VALUES (1, 'FR', 'IDF'), (2, 'FR', 'IDF'), (3, 'FR', 'BRE'), (4, NULL, NULL)",
    "SET foreign_key_checks = 0",
    "INSERT INTO shop VALUES (5, 'XX', 'NOPE'), (6, 'XX', 'NOPE'), (7, 'FR', 'GONE')",
    "SET foreign_key_checks = 1",
]


@pytest.fixture
def extra_dsn():
    root = dsn_for("mysql")
    run_statements(root, EXTRA_DDL)
    yield dsn_for(EXTRA_DB)
    run_statements(root, ["DROP DATABASE IF EXISTS m2d_schema_extra"])


async def test_types_self_and_composite_keys_and_orphans(extra_dsn):
    analysis = await analyze_schema(extra_dsn)
    node = analysis.table("node")
    info = {r["c"]: r for r in rows(extra_dsn, "SELECT COLUMN_NAME c, COLUMN_TYPE t, IS_NULLABLE n FROM "
                                                "information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = 'node'",
                                    (EXTRA_DB,))}
    assert {c.name: c.type for c in node.columns} == {c: r["t"] for c, r in info.items()}
    assert node.column("id").unsigned and node.column("id").data_type == "bigint"
    assert node.column("flags").data_type == "bit" and node.column("flags").precision == 8
    assert node.column("born").data_type == "year"
    assert node.column("doc").is_json
    price = node.column("price")
    assert (price.type, price.precision, price.scale, price.unsigned) == ("decimal(5,2) unsigned", 5, 2, True)
    label = node.column("label")
    assert (label.charset, label.collation, label.default) == ("latin1", "latin1_swedish_ci", "it's")
    assert node.column("label_len").generated and node.column("label_len").generated_stored is False
    assert node.column("label_up").generated_stored is True
    fk = node.foreign_keys[0]
    assert (fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete) == (["parent_id"], "node", ["id"], "SET NULL")
    self_ref = analysis.relationship("node", "node")
    assert (self_ref.cardinality, self_ref.max_children, self_ref.orphans) == ("1:N", 3, 0)
    shop = analysis.table("shop")
    assert shop.foreign_keys[0].columns == ["country", "region_code"]
    assert shop.foreign_keys[0].ref_columns == ["country", "code"] and shop.foreign_keys[0].on_update == "CASCADE"
    composite = analysis.relationship("region", "shop")
    assert composite.columns == ["country", "region_code"] and composite.orphans == 3
    assert composite.max_children == 2 and composite.parents_with_children == 2
    assert any("reference no `region`" in w for w in analysis.warnings)
    assert analysis.table("region").rows == 2 and shop.rows == 7
    inferred = analysis.relationship("warehouse", "stock")  # no constraint: same key name
    assert (inferred.source, inferred.orphans, inferred.max_children) == ("inferred", 1, 2)
    city = next(k for k in analysis.key_stats if k.table == "warehouse" and k.columns == ["city"])
    code = next(k for k in analysis.key_stats if k.table == "warehouse" and k.columns == ["code"])
    assert city.top_values[0].value == "Lyon" and city.top_share == pytest.approx(2 / 3, abs=1e-5)
    assert code.distinct == 3 and code.top_share == pytest.approx(1 / 3, abs=1e-5)  # binary collation: a != A
    wh = next(k for k in analysis.key_stats if k.table == "stock" and k.columns == ["warehouse_id"])
    assert wh.top_values[0].value == 1 and isinstance(wh.top_values[0].value, int)


@pytest.fixture
def empty_dsn():
    root = dsn_for("mysql")
    run_statements(root, ["DROP DATABASE IF EXISTS m2d_empty_schema", "CREATE DATABASE m2d_empty_schema"])
    yield dsn_for(EMPTY_DB)
    run_statements(root, ["DROP DATABASE IF EXISTS m2d_empty_schema"])


@pytest.fixture
def noprivs_dsn(sakila_dsn):
    root = dsn_for("mysql")
    run_statements(root, ["DROP USER IF EXISTS 'm2d_noprivs'@'%'",
                          "CREATE USER 'm2d_noprivs'@'%' IDENTIFIED BY 'noprivs-pw'"])
    yield Dsn(host=sakila_dsn.host, port=sakila_dsn.port, user=NOPRIVS, password="noprivs-pw",
              database=sakila_dsn.database)
    run_statements(root, ["DROP USER IF EXISTS 'm2d_noprivs'@'%'"])


async def test_empty_database_is_an_error_with_a_remedy(empty_dsn):
    with pytest.raises(NotFoundError) as err:
        await analyze_schema(empty_dsn)
    assert EMPTY_DB in err.value.where and "no tables" in err.value.why and "SHOW TABLES" in err.value.remedy


async def test_user_without_privileges_is_a_privilege_error(noprivs_dsn):
    with pytest.raises(PrivilegeError) as err:
        await analyze_schema(noprivs_dsn)
    assert NOPRIVS in err.value.where and "noprivs-pw" not in str(err.value) and "GRANT" in err.value.remedy.upper()


async def test_missing_database_and_wrong_dsn(sakila_dsn):
    with pytest.raises(NotFoundError) as err:
        await analyze_schema(sakila_dsn.with_database("m2d_no_such_db"))
    assert "m2d_no_such_db" in err.value.where and err.value.remedy
    with pytest.raises(DatabaseUnavailable) as err:
        await analyze_schema(Dsn(host="127.0.0.1", port=1, database="x"))
    assert "127.0.0.1:1" in err.value.where and "port" in err.value.remedy
    with pytest.raises(ConfigError):
        Dsn.parse("postgres://u@h/db")


async def test_mcp_tool_is_read_only_and_writes_resources(mcp_client, sakila_dsn):
    tool = next(t for t in await mcp_client.list_tools() if t.name == "analyze_schema")
    assert tool.annotations.read_only_hint is True
    res = await mcp_client.call_tool("analyze_schema", {"dsn": sakila_dsn.url()})
    data = res.structured_content
    assert {t["name"] for t in data["tables"]} >= {"film", "actor", "rental"}
    assert data["relationships"] and "Relationships" in res.content[0].text
    uri = next(u for u in data["artifacts"] if u.endswith("analysis/schema.json"))
    schema = json.loads((await mcp_client.read_resource(uri))[0].text)
    assert schema["tables"] == data["tables"]
    er = (await mcp_client.read_resource("mysql2ddb://workspace/01_3_entity_relationships.md"))[0].text
    assert "erDiagram" in er and "actor }o--o{ film" in er
    structure = (await mcp_client.read_resource("mysql2ddb://workspace/01_3_table_structure_analysis.md"))[0].text
    assert "decimal(4,2)" in structure


async def test_mcp_tool_error_names_the_connection(mcp_client, sakila_dsn):
    from fastmcp.exceptions import ToolError

    with pytest.raises(ToolError) as err:
        await mcp_client.call_tool("analyze_schema", {"dsn": sakila_dsn.with_database("m2d_no_such_db").url()})
    detail = json.loads(str(err.value))
    assert detail["code"] == "not_found" and "m2d_no_such_db" in detail["where"] and detail["remedy"]


def test_cli_json(chinook_dsn, workdir):
    res = CliRunner().invoke(cli_app, ["--workdir", str(workdir), "analyze", "schema", "--dsn", chinook_dsn.url(),
                                       "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    track = next(t for t in data["tables"] if t["name"] == "Track")
    assert {"name", "rows", "columns", "primary_key", "foreign_keys", "indexes"} <= set(track)
    assert {"name", "type", "nullable"} <= set(track["columns"][0])
    assert {"columns", "ref_table", "ref_columns"} <= set(track["foreign_keys"][0])
    assert {"parent", "child", "columns", "cardinality"} <= set(data["relationships"][0])
    assert (workdir / "analysis" / "schema.json").is_file()
    bad = CliRunner().invoke(cli_app, ["--workdir", str(workdir), "analyze", "schema", "--dsn",
                                       chinook_dsn.with_database("m2d_no_such_db").url()])
    assert bad.exit_code == 2 and "remedy" in bad.stderr
