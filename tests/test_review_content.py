"""Reviews show what is approved, on the real Sakila: per table the key layout with types, every
attribute's type and origin, GSIs with projections, the table's warnings and cost, and two example
items built from real rows (checked against the database); the contract review shows the contract
check; no review prints `None`. Also the words: a MariaDB JSON column (LONGTEXT + json_valid) is
JSON to the contract check, world-style names read as English, and a table keyed by its own
primary key is keyed naturally."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from mysql2ddb.tools.contract.catalog import read_catalog_sync
from mysql2ddb.tools.contract.validate import check_contract
from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.approvals import artifact_sha256
from mysql2ddb.tools.core.db import sync_connection
from mysql2ddb.tools.core.settings import Settings
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.modeling.naming import pascal
from mysql2ddb.tools.modeling.recommend import recommend_design
from mysql2ddb.tools.modeling.recommend_plan import plural
from mysql2ddb.tools.modeling.registry import Registry, save_registry
from mysql2ddb.tools.modeling.registry_sources import schema_default_patterns
from mysql2ddb.tools.modeling.validate_design import validate_design
from mysql2ddb.tools.usecases import gates
from mysql2ddb.tools.usecases.request import Request
from tests.conftest import dsn_for
from tests.recommend_support import schema_for
from tests.test_schema_analysis import run_statements
from tests.modeling_support import sakila_registry

DATA = Path(__file__).parent / "data"
ORDER = ["Films", "CategoryFilms", "CustomerRentals", "Inventory", "Payments", "Actors", "Staff"]
NONE = re.compile(r"\bNone\b")


def _registry() -> Registry:
    return sakila_registry()


def _request(workdir: Path, sakila_dsn, sakila_dir: Path, *, with_database: bool) -> Request:
    ws = Workspace(workdir)
    ws.write_json("analysis/schema.json", schema_for(sakila_dsn))
    save_registry(ws, _registry())
    ws.write_json("design.json", json.loads((DATA / "sakila_design.json").read_text()))
    ws.write_text("contract.json", (sakila_dir / "contract.json").read_text())
    dsn = SecretStr(f"mysql://root@{sakila_dsn.host}:{sakila_dsn.port}/{sakila_dsn.database}") if with_database else None
    return Request(Settings(workdir=workdir, dsn=dsn), ws, Caller.CLI)


def _walk(req: Request) -> dict[str, gates.GateReview]:
    """Every table in order, then the design and the contract: each reviewed, then approved with its hash."""
    shown = {}
    for gate in [f"table:{t}" for t in ORDER] + ["design", "contract"]:
        review = gates.review(req, gate)
        shown[gate] = review
        gates.record(req, gate, "approved", review.review_sha256, via="test")
    return shown


def _examples(text: str) -> list[dict]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", text, re.S)]


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory, sakila_dsn, sakila_dir) -> dict[str, gates.GateReview]:
    return _walk(_request(tmp_path_factory.mktemp("review"), sakila_dsn, sakila_dir, with_database=True))


def test_table_review_shows_keys_types_origins_gsis(reviewed):
    films = reviewed["table:Films"].text
    assert "- Partition key: `film_id` (N), from column `film.film_id`" in films
    assert "| title | S | column `film.title` |" in films
    assert "| language | S | join via `language` (foreign-key): `language.name`, denormalized |" in films
    assert "| actors | L | json-construction: array of `actor` (actor_id, first_name, last_name)" in films
    rentals = reviewed["table:CustomerRentals"].text
    assert "- Sort key: `SK` (S), built per entity: CUSTOMER `PROFILE`; RENTAL `RENTAL#{rental_date}#{rental_id}`" \
        in rentals
    assert "| CUSTOMER | total_paid | N | calculation: SUM(payment.amount) over `payment`, denormalized |" in rentals
    assert "- GSI `RentalById`: partition key `rental_id` (N); projection KEYS_ONLY" in rentals
    assert ("- GSI `FilmStoreStock`: partition key `film_id` (N), sort key `store_id` (N); projection INCLUDE "
            "(held_by)") in reviewed["table:Inventory"].text


def test_every_table_review_has_two_real_examples_warnings_and_cost(reviewed, sakila_dsn):
    for table in ORDER:
        text = reviewed[f"table:{table}"].text
        assert "\nWarnings:\n" in text and "\nCost: about $" in text and " a month on demand" in text, table
        assert len(_examples(text)) == 2, table
        assert "real row(s) of `m2d_sakila`" in text, table
    films = _examples(reviewed["table:Films"].text)
    with sync_connection(sakila_dsn) as conn, conn.cursor() as cur:
        for item in films:  # the title shown is the film's own title in the database
            cur.execute("SELECT title FROM film WHERE film_id = %s", (item["film_id"],))
            assert cur.fetchone()[0] == item["title"]
    assert all(isinstance(a["last_name"], str) for a in films[0]["actors"] if isinstance(a, dict))
    customer, rental = _examples(reviewed["table:CustomerRentals"].text)  # one item collection
    assert customer["PK"] == rental["PK"] == f"CUSTOMER#{customer['customer_id']}"
    assert (customer["entity_type"], rental["entity_type"]) == ("CUSTOMER", "RENTAL")
    staff = reviewed["table:Staff"].text
    assert "characters)" in staff  # the picture's base64 is cut for reading


def test_warnings_are_the_tables_own(reviewed):
    rentals = reviewed["table:CustomerRentals"].text
    assert "This denormalization will complicate future schema changes (CustomerRentals.total_paid)" in rentals
    assert "Composite keys and denormalized data will increase debugging difficulty (CustomerRentals)" in rentals
    assert "CustomerRentals" not in reviewed["table:Films"].text.split("Warnings:")[1]
    category = reviewed["table:CategoryFilms"].text
    assert "contract warning at `CategoryFilms/attributes/0/type`: partition key `category` comes through a join" \
        in category


def test_contract_review_shows_the_contract_check(reviewed):
    text = reviewed["contract"].text
    assert "Contract check:\n- Contract valid, checked against database `m2d_sakila`" in text
    assert "contract warning at `CategoryFilms/attributes/0/type`" in text
    assert text.count("```json") == 2 * len(ORDER)
    design = reviewed["design"].text
    assert design.count("\nCost: about $") == len(ORDER) and "```json" not in design


def test_no_review_prints_none_and_hashes_stay_the_artifacts(reviewed, tmp_path, sakila_dsn, sakila_dir):
    for gate, review in reviewed.items():
        assert not NONE.search(review.text), (gate, NONE.search(review.text))
    design = json.loads((DATA / "sakila_design.json").read_text())
    assert reviewed["table:Films"].review_sha256 == artifact_sha256(design["tables"][0])
    bare = _request(tmp_path, sakila_dsn, sakila_dir, with_database=False)
    shown = gates.review(bare, "table:Films")
    assert shown.review_sha256 == reviewed["table:Films"].review_sha256  # examples are extra text
    assert "Example items: none shown: no database configured" in shown.text and "```json" not in shown.text
    assert "\nCost: about $" in shown.text and not NONE.search(shown.text)
    requirements = gates.review(bare, "requirements")
    assert not NONE.search(requirements.text)


# ---- words: JSON columns, English names, natural keys ------------------------------------------------

WORDS_DDL = [
    "DROP DATABASE IF EXISTS m2d_words", "CREATE DATABASE m2d_words", "USE m2d_words",
    "CREATE TABLE country (Code CHAR(3) PRIMARY KEY, Name VARCHAR(52) NOT NULL, profile JSON NULL, "
    "notes LONGTEXT NULL) ENGINE=InnoDB",
    "CREATE TABLE city (ID INT PRIMARY KEY AUTO_INCREMENT, Name CHAR(35) NOT NULL, CountryCode CHAR(3) NOT NULL, "
    "CONSTRAINT city_country FOREIGN KEY (CountryCode) REFERENCES country (Code)) ENGINE=InnoDB",
    "CREATE TABLE countrylanguage (CountryCode CHAR(3) NOT NULL, Language CHAR(30) NOT NULL, "
    "IsOfficial ENUM('T','F') NOT NULL DEFAULT 'F', Percentage DECIMAL(4,1) NOT NULL DEFAULT 0.0, "
    "PRIMARY KEY (CountryCode, Language), "
    "CONSTRAINT lang_country FOREIGN KEY (CountryCode) REFERENCES country (Code)) ENGINE=InnoDB",
    "INSERT INTO country VALUES ('NLD', 'Netherlands', '{\"capital\": \"Amsterdam\", \"population\": 15864000}', "
    "'low'), ('FRA', 'France', '{\"capital\": \"Paris\", \"population\": 59225700}', NULL)",
    "INSERT INTO city (Name, CountryCode) VALUES ('Amsterdam', 'NLD'), ('Rotterdam', 'NLD'), ('Paris', 'FRA')",
    "INSERT INTO countrylanguage VALUES ('NLD', 'Dutch', 'T', 95.6), ('NLD', 'Fries', 'F', 3.7), "
    "('FRA', 'French', 'T', 93.6)",
]


@pytest.fixture(scope="module")
def words_dsn():
    run_statements(dsn_for("mysql"), WORDS_DDL)
    yield dsn_for("m2d_words")
    run_statements(dsn_for("mysql"), ["DROP DATABASE IF EXISTS m2d_words"])


def _attr(name: str, typ: str, column: str) -> dict:
    return {"name": name, "type": typ, "source_table": "country", "source_column": column}


def test_mariadb_json_column_is_json_to_the_contract_check(words_dsn):
    catalog = read_catalog_sync(words_dsn)
    assert catalog.column("country", "profile").data_type == "longtext"  # MariaDB's JSON
    assert catalog.column("country", "profile").is_json and not catalog.column("country", "notes").is_json
    contract = {"contract_version": "1.0", "tables": [{
        "table": "Countries", "type": "single-entity", "source_table": "country", "pk": "Code",
        "attributes": [_attr("Code", "S", "Code"), _attr("Name", "S", "Name"), _attr("profile", "M", "profile"),
                       _attr("notes", "M", "notes")],
        "satisfies": [], "estimated_item_size_bytes": 200}]}
    check = check_contract(contract, catalog)
    warned = {w.path: w.message for w in check.warnings}
    assert "/tables/0/attributes/2/type" not in warned, warned  # the JSON column: no longtext warning
    assert "longtext" in warned["/tables/0/attributes/3/type"]  # a plain longtext still warned
    from mysql2ddb.tools.contract.model import Contract
    from mysql2ddb.tools.execution.examples import plain_item, sample_items

    contract["tables"][0]["attributes"].pop()  # the free-text column is no JSON document
    items = sample_items(Contract.model_validate(contract), words_dsn, catalog=catalog)["Countries"].items
    assert {plain_item(i)["profile"]["capital"] for i in items} == {"Amsterdam", "Paris"}


def test_mariadb_json_array_feeds_a_string_set():
    """MariaDB's JSON column is LONGTEXT: a set attribute must still read it as a JSON array."""
    run_statements(dsn_for("mysql"), [
        "DROP DATABASE IF EXISTS m2d_jsonset", "CREATE DATABASE m2d_jsonset", "USE m2d_jsonset",
        "CREATE TABLE post (id INT PRIMARY KEY, tags JSON NULL, csv VARCHAR(80) NULL) ENGINE=InnoDB",
        "INSERT INTO post VALUES (1, '[\"a,b\", \"c\"]', 'x,y'), (2, '[]', '')"])
    try:
        from mysql2ddb.tools.contract.model import Contract
        from mysql2ddb.tools.execution.examples import plain_item, sample_items

        dsn = dsn_for("m2d_jsonset")
        contract = Contract.model_validate({"contract_version": "1.0", "tables": [{
            "table": "Posts", "type": "single-entity", "source_table": "post", "pk": "id",
            "attributes": [{"name": "id", "type": "N", "source_table": "post", "source_column": "id"},
                           {"name": "tags", "type": "SS", "source_table": "post", "source_column": "tags"},
                           {"name": "csv", "type": "SS", "source_table": "post", "source_column": "csv"}],
            "satisfies": [], "estimated_item_size_bytes": 100}]})
        items = {plain_item(i)["id"]: plain_item(i) for i in sample_items(contract, dsn)["Posts"].items}
        assert set(items[1]["tags"]) == {"a,b", "c"} and set(items[1]["csv"]) == {"x", "y"}
        assert "tags" not in items[2] and "csv" not in items[2]  # DynamoDB has no empty set
    finally:
        run_statements(dsn_for("mysql"), ["DROP DATABASE IF EXISTS m2d_jsonset"])


def test_english_names_and_natural_keys(words_dsn):
    assert pascal("countrylanguage") == "CountryLanguage" == pascal("CountryLanguage") == pascal("Countrylanguage")
    assert plural("countrylanguage") == "CountryLanguages"
    assert [pascal(n) for n in ("film_category", "PlaylistTrack", "invoiceline", "ORDER_LINES", "address",
                                "inventory", "password", "nicepasta")] == \
        ["FilmCategory", "PlaylistTrack", "InvoiceLine", "OrderLines", "Address", "Inventory", "Password", "Nicepasta"]
    schema = schema_for(words_dsn)
    patterns = schema_default_patterns(schema)
    design = recommend_design(schema, patterns)
    assert {t.name for t in design.tables} == {"Cities", "Countries", "CountryLanguages"}
    cities = design.table("Cities")
    assert cities.partition_key.attribute == "ID"  # keyed by its own primary key, named `ID`
    principles = {c.name: c for c in validate_design(design, schema, patterns).principles}
    assert principles["natural keys"].ok, principles["natural keys"].detail
    generic = json.loads(design.model_dump_json())
    at = [t["name"] for t in generic["tables"]].index("Cities")
    generic["tables"][at]["partition_key"]["template"] = "CITY#{ID}"  # a built key is not natural
    from mysql2ddb.tools.modeling.design import Design

    principles = {c.name: c for c in validate_design(Design.model_validate(generic), schema, patterns).principles}
    assert not principles["natural keys"].ok


def test_cli_approve_shows_the_review_with_examples(tmp_path, sakila_dsn, sakila_dir):
    import subprocess
    import sys

    _request(tmp_path, sakila_dsn, sakila_dir, with_database=False)
    url = f"mysql://root@{sakila_dsn.host}:{sakila_dsn.port}/{sakila_dsn.database}"

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "mysql2ddb", "--workdir", str(tmp_path), "gates", "approve",
                               "table:Films", *args], capture_output=True, text=True, timeout=60)

    refused = cli("--dsn", "notadsn")
    assert refused.returncode != 0 and "--dsn" in refused.stdout + refused.stderr
    shown = cli("--dsn", url)
    assert shown.returncode == 0, shown.stderr
    assert "Example items (2 real row(s) of `m2d_sakila`" in shown.stdout and '"title": ' in shown.stdout
    assert "Recorded" in shown.stdout and not NONE.search(shown.stdout)
