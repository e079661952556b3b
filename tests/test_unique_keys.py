"""UNIQUE keys kept, keys for keyless tables (m2d_unique, tests/unique_support.py): the schema's
patterns look rows up by each unique key and name the table without a key; the recommended design
keeps users.email/username with guard items, the junction's unique pair with its table key, keys the
keyless table by its NULL-free unique column; validation lists every unique key with its cost (also
those a design never mentions); the contract carries the guard items and a migration into moto
writes them; the key chosen through choose_table_key / `model key` designs the last table."""

from __future__ import annotations

import asyncio
import json

import pytest
from boto3.dynamodb.types import TypeDeserializer
from fastmcp.exceptions import ToolError
from typer.testing import CliRunner

from mysql2ddb.server.cli.main import app
from mysql2ddb.tools.contract.validate import validate_contract
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.execution.pipeline import MigrateOptions, migrate
from mysql2ddb.tools.modeling.cost import estimate_cost
from mysql2ddb.tools.modeling.design import Design
from mysql2ddb.tools.modeling.recommend import recommend_design
from mysql2ddb.tools.modeling.registry import Registry, add_pattern
from mysql2ddb.tools.modeling.registry_sources import schema_default_patterns
from mysql2ddb.tools.modeling.render_model import analyze_design, render_data_model
from mysql2ddb.tools.modeling.to_contract import design_to_contract
from mysql2ddb.tools.modeling.validate_design import validate_design
from tests.conftest import dsn_for
from tests.copy_support import scan_items
from tests.recommend_support import schema_for, workspace_with
from tests.unique_support import build

WRITES = [("sign up", "INSERT INTO users (email, username, name) VALUES (?, ?, ?)", 4.0),
          ("change email", "UPDATE users SET email = ? WHERE id = ?", 0.5),
          ("join a team", "INSERT INTO memberships (user_id, team_id, joined) VALUES (?, ?, ?)", 1.0)]


@pytest.fixture(scope="module")
def unique_dsn():
    return build(dsn_for("mysql"))


@pytest.fixture(scope="module")
def schema(unique_dsn):
    return schema_for(unique_dsn)


def _registry(schema) -> Registry:
    """The schema's defaults (rated 1/s) without the keyless table's, plus three writes."""
    registry = Registry(patterns=[p.model_copy(update={"rps_peak": 1.0, "rps_average": 1.0, "needs_rps": False})
                                  for p in schema_default_patterns(schema) if "audit_log" not in p.entities])
    for description, sql, rate in WRITES:
        add_pattern(registry, {"description": description, "sql": [sql], "rps_peak": rate * 2, "rps_average": rate})
    return registry


def _id(registry: Registry, description: str) -> str:
    return next(p.id for p in registry.patterns if p.description == description)


def test_schema_patterns_look_up_unique_keys_and_name_the_keyless_table(schema):
    patterns = schema_default_patterns(schema)
    described = {p.description: p for p in patterns}
    assert {"get users by id", "get users by email (unique)", "get users by username (unique)",
            "get memberships by user_id, team_id", "get memberships by id", "get countries by code"} <= set(described)
    assert described["get users by email (unique)"].statements[0].keys.equality_columns() == ["email"]
    assert "allows NULL in code" in described["get countries by code"].notes[0]  # keyed, with the warning
    keyless = next(p for p in patterns if p.entities == ["audit_log"])
    assert "no primary key and no UNIQUE key" in keyless.description
    summary = Registry(patterns=patterns).summary()
    assert "Tables without a usable key" in summary and "choose_table_key(table='audit_log'" in summary


def test_recommended_design_keeps_each_unique_key_and_prices_its_guards(schema, unique_dsn):
    registry = _registry(schema)
    design = recommend_design(schema, registry)
    users, members, countries = design.table("Users"), design.table("Memberships") or next(
        t for t in design.tables if t.entities[0].source_table == "memberships"), design.table("Countries")
    assert {(tuple(c.columns), c.enforced_by) for c in users.unique_constraints} == \
        {(("email",), "guard_item"), (("username",), "guard_item")}
    assert sorted([members.partition_key.attribute, members.sort_key.attribute]) == ["team_id", "user_id"]
    assert countries.partition_key.attribute == "code" and any("allows NULL" in n for n in design.notes)
    assert any(d.source_table == "audit_log" and "no primary key" in d.reason for d in design.dropped)
    guards = design.table("UsersUniqueValues")
    assert {e.name: e.pk_template for e in guards.entities} == \
        {"USERS_EMAIL": "USERS_EMAIL#{email}", "USERS_USERNAME": "USERS_USERNAME#{username}"}
    sign_up = design.mapping(_id(registry, "sign up")).operations[0]
    assert sign_up.type == "TransactWriteItems"
    puts = [a for a in sign_up.actions if a.table == "UsersUniqueValues"]
    assert [(a.type, a.entity, a.filter) for a in puts] == [("PutItem", "USERS_EMAIL", "attribute_not_exists(PK)"),
                                                            ("PutItem", "USERS_USERNAME", "attribute_not_exists(PK)")]
    change = [a.type for a in design.mapping(_id(registry, "change email")).operations[0].actions
              if a.table == "UsersUniqueValues"]
    assert change == ["DeleteItem", "PutItem"]  # the old value released, the new one claimed

    validation = validate_design(design, schema, registry.patterns)
    assert validation.valid, validation.summary()
    decided = {(u.table, tuple(u.columns)): u for u in validation.unique_constraints}
    email = decided[("users", ("email",))]
    assert email.enforced_by == "guard_item" and email.guard_key == "USERS_EMAIL#{email} / UNIQUE"
    # 2 WCU per transactional guard write; sign-up 1 write at 4/s, email change 2 writes at 0.5/s
    assert email.cost.write_units_per_guard_write == 2 and email.cost.guard_writes_per_second == 5.0
    assert email.cost.guard_items == 3 and email.cost.monthly_usd > 0
    assert decided[("memberships", ("user_id", "team_id"))].enforced_by == "table_key"
    assert decided[("countries", ("code",))].enforced_by == "table_key"
    assert decided[("memberships", ("id",))].enforced_by == "not_enforced"  # the surrogate, said so
    cost = estimate_cost(design, registry.patterns, schema)
    sign_up_cost = next(p for p in cost.patterns if p.pattern_id == _id(registry, "sign up"))
    assert sign_up_cost.write_units_per_call == 6  # the user and two guards, each 2 WCU in the transaction
    assert any(c.table == "UsersUniqueValues" and c.write_units_avg == 2 * 5.0 + 2 * 4.0 for c in cost.capacity)
    text = render_data_model(design, analyze_design(design, schema, registry.patterns), registry.patterns)
    section = text.split("## Unique constraints")[1].split("## Cost estimates")[0]
    assert "`USERS_EMAIL#{email} / UNIQUE`" in section and "**not enforced**" in section


def test_validation_lists_unique_keys_a_design_never_mentions(schema, tmp_path):
    registry = _registry(schema)
    raw = recommend_design(schema, registry).model_dump(exclude_none=True)
    raw["tables"] = [t for t in raw["tables"] if t["name"] != "UsersUniqueValues"]
    for table in raw["tables"]:
        table["unique_constraints"] = []
    for mapping in raw["pattern_mappings"]:
        for op in mapping["operations"]:
            op["actions"] = [a for a in op.get("actions", []) if a.get("table") != "UsersUniqueValues"]
    bare = Design.model_validate(raw)
    validation = validate_design(bare, schema, registry.patterns)
    email = next(u for u in validation.unique_constraints if u.columns == ["email"])
    assert (email.enforced_by, email.declared) == ("not_enforced", False) and "does not say" in email.warning
    pair = next(u for u in validation.unique_constraints if u.columns == ["user_id", "team_id"])
    assert (pair.enforced_by, pair.declared) == ("table_key", False)  # the key keeps it, mentioned or not
    asked = next(e for e in validation.enhancements if e.code == "REQUEST_UNIQUE_CONSTRAINT_DECISION")
    assert "users (email)" in asked.subjects

    # declared, but neither the guard table nor its writes spelled out: both follow
    users = next(t for t in raw["tables"] if t["name"] == "Users")
    users["unique_constraints"] = [{"columns": ["email"], "enforced_by": "guard_item"},
                                   {"columns": ["name"], "enforced_by": "table_key"}]
    declared = Design.model_validate(raw)
    validation = validate_design(declared, schema, registry.patterns)
    email = next(u for u in validation.unique_constraints if u.columns == ["email"])
    assert email.guard_table == "UsersUniqueValues" and any("writes no USERS_EMAIL guard" in p for p in email.problems)
    assert any(e.path.endswith("/unique_constraints/1/enforced_by") for e in validation.errors)  # name is no key
    steps = next(p for p in estimate_cost(declared, registry.patterns, schema).patterns
                 if p.pattern_id == _id(registry, "sign up")).steps
    assert any("USERS_EMAIL guard, which the mapping leaves out" in s for s in steps)
    assert any(t.table == "UsersUniqueValues" for t in design_to_contract(declared, schema).tables)

    (tmp_path / "design.json").write_text(declared.model_dump_json())
    (tmp_path / "schema.json").write_text(schema.model_dump_json())
    (tmp_path / "patterns.json").write_text(registry.model_dump_json())
    res = CliRunner().invoke(app, ["--workdir", str(tmp_path / "w"), "design", "validate", str(tmp_path / "design.json"),
                                   "--schema", str(tmp_path / "schema.json"), "--patterns",
                                   str(tmp_path / "patterns.json"), "--json"])
    listed = json.loads(res.stdout)["unique_constraints"]
    email = next(u for u in listed if u["columns"] == ["email"])
    assert {"table", "columns", "enforced_by", "cost"} <= set(email) and email["cost"]["write_units_per_guard_write"] == 2


async def test_a_keyless_table_is_named_then_keyed_and_guards_migrate(schema, unique_dsn, workdir, mcp_client, aws):
    ws = workspace_with(workdir, schema=schema)
    status = (await mcp_client.call_tool("status", {})).structured_content
    step = next(s for s in status["steps"] if s["name"] == "every table has a key")
    assert step["state"] == "pending" and "audit_log: no primary key" in step["detail"]
    built = await mcp_client.call_tool("build_access_patterns", {"source": "schema"})
    assert "audit_log" in built.content[0].text
    dsn = f"mysql://{unique_dsn.user}@{unique_dsn.host}:{unique_dsn.port}/{unique_dsn.database}"
    with pytest.raises(ToolError, match="NULL in user_id"):
        await mcp_client.call_tool("choose_table_key", {"table": "audit_log", "columns": ["user_id"], "dsn": dsn})
    res = await asyncio.to_thread(CliRunner().invoke, app, ["--workdir", str(workdir), "model", "key", "audit_log",
                                                            "--synthetic", "--dsn", dsn, "--json"])
    assert res.exit_code == 0, res.output
    chosen = json.loads(res.stdout)
    assert chosen["checked"] and chosen["choice"]["rows"] == chosen["choice"]["distinct"] == 3
    assert json.loads(ws.read_text("table_keys.json"))["choices"][0]["synthetic"] == "hash"
    status = (await mcp_client.call_tool("status", {})).structured_content
    assert not any(s["name"] == "every table has a key" for s in status["steps"])

    await mcp_client.call_tool("build_access_patterns", {"source": "schema"})
    await mcp_client.call_tool("recommend_design", {})
    design = Design.model_validate(ws.read_json("design.json"))
    audit = next(t for t in design.tables if t.entities[0].source_table == "audit_log")
    assert audit.partition_key.attribute == "row_hash" and audit.entities[0].attribute("row_hash").calculation
    contract = design_to_contract(design, schema)
    assert (await validate_contract(contract.dump(), unique_dsn)).valid
    report = await migrate(contract, unique_dsn, aws, Workspace(workdir),
                           MigrateOptions(tables=["Users", "UsersUniqueValues", audit.name, "Countries"]))
    assert report.ok, report.model_dump_json(indent=1)
    guards = {(i["PK"], i["SK"]): i for i in _items(aws, "UsersUniqueValues")}
    assert guards[("USERS_EMAIL#ann@example.com", "UNIQUE")]["id"] == 1
    assert guards[("USERS_USERNAME#bob", "UNIQUE")]["id"] == 2 and len(guards) == 6
    hashes = [i["row_hash"] for i in _items(aws, audit.name)]
    assert len(hashes) == 3 and all(len(h) == 64 for h in hashes)
    assert {i["code"] for i in _items(aws, "Countries")} == {"FR", "JP"}


def _items(aws, table: str) -> list[dict]:
    plain = TypeDeserializer()
    return [{k: plain.deserialize(v) for k, v in item.items()} for item in scan_items(aws, table)]
