"""Every MySQL type becomes a DynamoDB value without silent loss: a table of every type in
m2d_vc_types, its view compiled from a contract, each row through build_converter; plus the pure
rules (canonical numbers, item size, keys, rejections) on hand-made values."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal

import pytest

from mysql2ddb.tests.conftest import dsn_for
from mysql2ddb.tools.contract.catalog import read_catalog_sync
from mysql2ddb.tools.contract.load import load_contract
from mysql2ddb.tools.core.db import sync_connection
from mysql2ddb.tools.execution.convert import (
    RowRejected, build_converter, canonical_number, item_size, parse_json,
)
from mysql2ddb.tools.execution.item_keys import key_text
from mysql2ddb.tools.execution.spec import table_spec
from mysql2ddb.tools.execution.views import apply_views

DDL = [
    "DROP TABLE IF EXISTS everything",
    """CREATE TABLE everything (
        id BIGINT UNSIGNED PRIMARY KEY, d65 DECIMAL(65,30), price DECIMAL(10,2), bu BIGINT UNSIGNED, dbl DOUBLE,
        fl FLOAT, dt6 DATETIME(6), dt0 DATETIME, ts3 TIMESTAMP(3) NULL, dd DATE, tm TIME(6), yr YEAR, b8 BIT(8),
        flag TINYINT(1), rating ENUM('G','PG-13'), features SET('a','b','c'), doc JSON, blob_col BLOB,
        geo GEOMETRY, note VARCHAR(20), d65s DECIMAL(65,30))""",
    """INSERT INTO everything VALUES
        (1, 1.5, 117.70, 18446744073709551615, 0.1, 3.14, '2020-01-02 03:04:05.123456', '2020-01-02 03:04:05',
         '2020-01-02 03:04:05.500', '2020-01-02', '-01:30:00.25', 2006, b'101', 1, 'PG-13', 'a,c',
         '{"a": [1, 2.50, {"b": null, "c": true}], "big": 12345678901234567890123456789.123456789, "s": "x"}',
         x'00ff10', ST_GeomFromText('POINT(-112.8185647 49.6999986)'), '', 12.5),
        (2, 12345678901234567890123456789012345.123456789012345678901234567890, 0.00, 0, -2.5e-7, 0, NULL, NULL,
         NULL, NULL, '838:59:59', 1901, b'0', 0, 'G', '', '[1, 2]', '', NULL, NULL,
         12345678901234567890123456789012345.123456789012345678901234567890)""",
]


def _attr(name: str, ddb: str, column: str | None = None) -> dict:
    return {"name": name, "type": ddb, "source_table": "everything", "source_column": column or name}


CONTRACT = {"tables": [{
    "table": "Everything", "type": "single-entity", "source_table": "everything", "pk": "id", "sk": None,
    "attributes": [
        _attr("id", "N"), _attr("d65", "N"), _attr("price", "N"), _attr("bu", "N"), _attr("dbl", "N"), _attr("fl", "N"),
        _attr("dt6", "S"), _attr("dt0", "S"), _attr("ts3", "S"), _attr("dd", "S"), _attr("tm", "S"), _attr("yr", "N"),
        _attr("b8", "N"), _attr("b8_raw", "B", "b8"), _attr("flag", "BOOL"), _attr("rating", "S"),
        _attr("features", "SS"), _attr("doc", "M"), _attr("doc_text", "S", "doc"), _attr("blob_col", "B"),
        _attr("geo", "S"), _attr("geo_json", "M", "geo"), _attr("note", "S"),
        {**_attr("d65s", "N"), "number_overflow": "string"},
    ],
    "satisfies": ["T1"], "estimated_item_size_bytes": 500,
}]}


@pytest.fixture(scope="module")
async def types_rows():
    dsn = dsn_for("m2d_vc_types")
    with sync_connection(dsn.with_database(""), where="create") as conn, conn.cursor() as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS m2d_vc_types CHARACTER SET utf8mb4")
    with sync_connection(dsn, where="load") as conn, conn.cursor() as cur:
        for statement in DDL:
            cur.execute(statement)
    contract = load_contract(CONTRACT)
    await apply_views(contract, dsn)
    spec = table_spec(contract.tables[0], read_catalog_sync(dsn))
    with sync_connection(dsn, where="read") as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM ddb_everything_view ORDER BY id")
        rows = cur.fetchall()
    return spec, rows


def test_every_mysql_type_converts_exactly(types_rows):
    spec, rows = types_rows
    item = build_converter(spec)(rows[0])
    assert item["id"] == {"N": "1"}
    assert item["d65"] == {"N": "1.5"} and item["price"] == {"N": "117.7"}
    assert item["bu"] == {"N": "18446744073709551615"}
    assert item["dbl"] == {"N": "0.1"} and item["fl"] == {"N": "3.14"}
    assert item["dt6"] == {"S": "2020-01-02T03:04:05.123456"}
    assert item["dt0"] == {"S": "2020-01-02T03:04:05"}
    assert item["ts3"] == {"S": "2020-01-02T03:04:05.500"}
    assert item["dd"] == {"S": "2020-01-02"}
    assert item["tm"] == {"S": "-01:30:00.250000"}
    assert item["yr"] == {"N": "2006"}
    assert item["b8"] == {"N": "5"} and item["b8_raw"] == {"B": base64.b64encode(b"\x05").decode()}
    assert item["flag"] == {"BOOL": True}
    assert item["rating"] == {"S": "PG-13"}
    assert item["features"] == {"SS": ["a", "c"]}
    assert item["doc"] == {"M": {
        "a": {"L": [{"N": "1"}, {"N": "2.5"}, {"M": {"b": {"NULL": True}, "c": {"BOOL": True}}}]},
        "big": {"N": "12345678901234567890123456789.123456789"}, "s": {"S": "x"}}}
    assert json.loads(item["doc_text"]["S"])["s"] == "x"
    assert item["blob_col"] == {"B": base64.b64encode(b"\x00\xff\x10").decode()}
    assert item["geo"] == {"S": "POINT(-112.8185647 49.6999986)"}
    assert item["geo_json"]["M"]["type"] == {"S": "Point"}
    assert item["geo_json"]["M"]["coordinates"] == {"L": [{"N": "-112.8185647"}, {"N": "49.6999986"}]}
    assert item["note"] == {"S": ""}  # empty strings are kept
    assert item["d65s"] == {"N": "12.5"}


def test_second_row_rejected_beyond_38_digits_and_declared_string_rule(types_rows):
    spec, rows = types_rows
    convert = build_converter(spec)
    with pytest.raises(RowRejected) as caught:
        convert(rows[1])
    assert "significant digits" in caught.value.reason and "38" in caught.value.reason
    # without the 65-digit DECIMAL, the JSON array where a map is declared is the next problem
    def without(*names: str):
        keep = [i for i, c in enumerate(spec["columns"]) if c["name"] not in names]
        return build_converter({**spec, "columns": [spec["columns"][i] for i in keep]})(tuple(rows[1][i] for i in keep))

    with pytest.raises(RowRejected, match="declares M"):
        without("d65")
    item = without("d65", "doc")
    assert item["d65s"] == {"S": "12345678901234567890123456789012345.123456789012345678901234567890"}
    assert item["price"] == {"N": "0"} and item["bu"] == {"N": "0"}
    assert item["dbl"] == {"N": "-0.00000025"}
    assert item["tm"] == {"S": "838:59:59.000000"}
    assert item["flag"] == {"BOOL": False} and item["b8"] == {"N": "0"}
    assert "features" not in item  # the empty SET is omitted
    assert "dt6" not in item and "geo" not in item and "note" not in item  # NULL omitted
    assert item["blob_col"] == {"B": ""}


def test_json_array_where_a_map_is_declared_is_rejected():
    spec = {"table": "T", "pk": "id", "sk": None, "columns": [
        {"name": "id", "ddb_type": "N", "mysql_type": "int", "column_type": "int(11)"},
        {"name": "doc", "ddb_type": "M", "mysql_type": "json", "column_type": "json"}]}
    with pytest.raises(RowRejected, match="declares M"):
        build_converter(spec)((1, "[1, 2]"))
    with pytest.raises(RowRejected, match="unparseable JSON"):
        build_converter(spec)((1, "{nope"))
    with pytest.raises(RowRejected, match="NaN"):
        build_converter(spec)((1, '{"x": NaN}'))


@pytest.mark.parametrize("value, text", [
    (Decimal("117.70"), "117.7"), (Decimal("0.00"), "0"), (Decimal("-0.00"), "0"), (Decimal("4.99"), "4.99"),
    (Decimal("1E+3"), "1000"), (Decimal("100"), "100"), (0.1, "0.1"), (1e20, "100000000000000000000"),
    (2 ** 64 - 1, "18446744073709551615"), (10 ** 40, "1" + "0" * 40), (b"\x01\x00", "256"), (" 4.50 ", "4.5"),
    (True, "1"), (Decimal("1.230E-39"), "0.00000000000000000000000000000000000000123"),
])
def test_canonical_number(value, text):
    assert canonical_number(value) == text


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 10 ** 40 + 1, Decimal("1E+126"), Decimal("1E-131"),
                                   "abc", dt.date(2020, 1, 1)])
def test_numbers_dynamodb_cannot_hold_are_rejected(value):
    with pytest.raises(RowRejected):
        canonical_number(value)


def _spec(*columns: tuple[str, str, str, str], pk: str = "id", sk: str | None = None) -> dict:
    return {"table": "T", "pk": pk, "sk": sk, "columns": [
        {"name": n, "ddb_type": d, "mysql_type": m, "column_type": c} for n, d, m, c in columns]}


def test_null_and_empty_keys_rejected_and_null_typed_attribute_kept():
    spec = _spec(("id", "S", "varchar", "varchar(10)"), ("seq", "N", "int", "int(11)"),
                 ("gone", "NULL", "varchar", "varchar(5)"), sk="seq")
    convert = build_converter(spec)
    assert convert(("a", 1, None)) == {"id": {"S": "a"}, "seq": {"N": "1"}, "gone": {"NULL": True}}
    assert convert(("a", 1, "x")) == {"id": {"S": "a"}, "seq": {"N": "1"}, "gone": {"S": "x"}}
    with pytest.raises(RowRejected, match="seq is NULL"):
        convert(("a", None, None))
    with pytest.raises(RowRejected, match="empty"):
        convert(("", 1, None))


def test_item_over_400_kb_rejected_with_its_size():
    convert = build_converter(_spec(("id", "N", "int", "int(11)"), ("body", "S", "longtext", "longtext")))
    assert item_size(convert((1, "x" * 1000))) == len("id") + 2 + len("body") + 1000
    with pytest.raises(RowRejected, match="400 KB"):
        convert((1, "x" * 410_000))
    assert convert((1, "é" * 150_000))["body"]["S"]  # 300,000 bytes: fits


def test_item_size_rules():
    item = {"n": {"N": "123.45"}, "b": {"B": base64.b64encode(b"abcd").decode()}, "t": {"BOOL": True},
            "l": {"L": [{"S": "ab"}, {"NULL": True}]}, "m": {"M": {"k": {"S": "v"}}}, "ss": {"SS": ["x", "yz"]}}
    # n: 1 + (5 digits -> 3) + 1; b: 1 + 4; t: 1 + 1; l: 1 + 3 + (1+2) + (1+1); m: 1 + 3 + 1 + 1 + 1; ss: 2 + 3
    assert item_size(item) == 5 + 5 + 2 + 9 + 7 + 5


def test_size_rule_follows_dynamodb_where_the_estimate_could_miss():
    # zero is one significant digit; an exponent does not count
    assert item_size({"n": {"N": "0"}}) == 1 + 2 and item_size({"n": {"N": "-1.5E+10"}}) == 1 + 2
    # 60 VARCHAR(2048) columns fit one by one, not together: no column is measured, the sum still is
    wide = _spec(("id", "N", "int", "int(11)"), *[(f"c{i}", "S", "varchar", "varchar(2048)") for i in range(60)])
    with pytest.raises(RowRejected, match="400 KB"):
        build_converter(wide)((1, *["\U0001F600" * 2048] * 60))  # 60 x 8,192 bytes
    assert build_converter(wide)((1, *["x" * 2048] * 60))["c59"]["S"]
    # a TEXT key counts toward the item too
    keyed = build_converter(_spec(("id", "S", "text", "text"), ("body", "S", "longtext", "longtext")))
    with pytest.raises(RowRejected, match="400 KB"):
        keyed(("k" * 409_600, "x"))


def test_key_text_canonical():
    assert key_text({"a": {"N": "117.70"}, "b": {"S": "x"}}, "a", "b") == "117.7\tx"
    assert key_text({"a": {"B": b"\x01"}}, "a", None) == "AQ=="
    assert key_text({"a": {"S": "CUSTOMER#1"}}, "a", None) == "CUSTOMER#1"


def test_temporal_and_set_values_from_other_drivers():
    spec = _spec(("id", "N", "int", "int(11)"), ("at", "S", "datetime", "datetime(3)"), ("tags", "SS", "set", "set('a','b')"),
                 ("on", "BOOL", "bit", "bit(1)"), ("when", "S", "time", "time"))
    convert = build_converter(spec)
    item = convert((1, dt.datetime(2020, 1, 2, 3, 4, 5, 120000), {"b", "a"}, b"\x01", dt.timedelta(hours=30)))
    assert item["at"] == {"S": "2020-01-02T03:04:05.120"}
    assert sorted(item["tags"]["SS"]) == ["a", "b"]
    assert item["on"] == {"BOOL": True} and item["when"] == {"S": "30:00:00"}
    assert convert((1, "0000-00-00 00:00:00", "", b"\x00", None))["at"] == {"S": "0000-00-00T00:00:00"}


def test_parse_json_keeps_every_digit():
    assert parse_json('{"x": 0.1000000000000000055511151231257827}')["x"] == Decimal("0.1000000000000000055511151231257827")
