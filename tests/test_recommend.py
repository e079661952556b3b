"""recommend_design on Sakila + its workload capture: every pattern served without a Scan (per the
design validator), priced, and a contract that validates against the live database; the shape
follows the patterns' SQL. On Chinook (no log): FK-derived defaults, still valid, rates asked."""

from __future__ import annotations

import json

import pytest
from fastmcp.exceptions import ToolError

from mysql2ddb.tools.contract.validate import validate_contract
from mysql2ddb.tools.core.approvals import artifact_sha256, record_approval
from mysql2ddb.tools.modeling.cost import estimate_cost
from mysql2ddb.tools.modeling.recommend import recommend_design
from mysql2ddb.tools.modeling.registry import Registry
from mysql2ddb.tools.modeling.registry_sources import schema_default_patterns
from mysql2ddb.tools.modeling.to_contract import design_to_contract
from mysql2ddb.tools.modeling.validate_design import validate_design
from tests.recommend_support import sakila_log, sakila_registry, schema_for, workspace_with


@pytest.fixture
def sakila(sakila_dsn, capture_dir):
    schema = schema_for(sakila_dsn)
    registry = sakila_registry(capture_dir)
    return schema, registry, recommend_design(schema, registry)


def _by_description(registry: Registry, truth_sql_fragment: str) -> str:
    return next(p.id for p in registry.patterns if any(truth_sql_fragment in s for s in p.sql_texts()))


async def test_sakila_serves_every_pattern_priced_and_contract_validates(sakila, sakila_dsn):
    schema, registry, design = sakila
    validation = validate_design(design, schema, registry.patterns)
    assert len(validation.patterns) == 9
    assert validation.uncovered == [] and validation.scans == [], validation.summary()
    assert validation.valid, validation.summary()
    assert not validation.unmapped_tables and not validation.unmapped_columns
    cost = estimate_cost(design, registry.patterns, schema)
    assert cost.unpriced_patterns == [] and cost.on_demand_usd > 0 and cost.provisioned_usd > 0
    assert all(p.read_units_per_call + p.write_units_per_call > 0 for p in cost.patterns)
    contract = design_to_contract(design, schema)
    outcome = await validate_contract(contract.dump(), sakila_dsn)
    assert outcome.valid, [(e.path, e.message) for e in outcome.errors]
    served = {p for t in contract.tables for p in t.satisfies}
    assert served == {p.id for p in registry.patterns}


def test_sakila_shape_follows_the_sql(sakila):
    _, registry, design = sakila
    film = _by_description(registry, "FROM film f JOIN language")
    cast = _by_description(registry, "FROM film_actor")
    films = design.table("Films")
    assert films.partition_key.attribute == "film_id" and films.sort_key is None
    entity = films.entities[0]
    assert entity.attribute("language").join.select_column == "language.name"  # copied parent column
    actors = entity.attribute("actors")
    assert actors.type == "L" and actors.join.type == "json-construction"  # junction embedded, bounded
    for pid in (film, cast):
        assert design.mapping(pid).operations[0].type == "GetItem"
    # customer + rentals in one item collection, newest first
    recent = _by_description(registry, "ORDER BY r.rental_date DESC")
    collection = design.table("CustomerRentals")
    assert collection.is_multi_entity and [e.name for e in collection.entities] == ["CUSTOMER", "RENTAL"]
    query = design.mapping(recent).operations[0]
    assert (query.type, query.key_condition.sk_operator, query.scan_forward, query.limit) == \
        ("Query", "begins_with", False, 10)
    # the available-copies count: a GSI on film_id/store_id, a flag filtered, Select=COUNT
    count = design.mapping(_by_description(registry, "SELECT COUNT(*)")).operations[0]
    assert (count.index, count.select, count.filter) == ("ByFilmIdStoreId", "COUNT", "open_rental = :none")
    # renting: one transaction over the affected tables
    rent = design.mapping(_by_description(registry, "INSERT INTO rental")).operations
    assert [op.type for op in rent] == ["TransactWriteItems"]
    assert {(a.type, a.table) for a in rent[0].actions} >= {
        ("PutItem", "CustomerRentals"), ("PutItem", "Payments"), ("UpdateItem", "Inventory")}
    # returning: find the rental by id on a GSI, then update it and the copy's flag together
    ret = design.mapping(_by_description(registry, "UPDATE rental")).operations
    assert [(op.type, op.index) for op in ret] == [("Query", "ByRentalId"), ("TransactWriteItems", None)]
    # actor search by last-name prefix: computed initial + begins_with on last_name
    search = design.mapping(_by_description(registry, "LIKE")).operations[0]
    assert (search.key_condition.pk_attribute, search.key_condition.sk_operator) == ("last_name_initial", "begins_with")
    # category pages sorted by title: a GSI whose sort key is the copied title
    page = design.mapping(_by_description(registry, "FROM film_category")).operations[0]
    gsi = design.table(page.table).gsi(page.index)
    assert (gsi.partition_key.attribute, gsi.sort_key.attribute, page.limit) == ("category_id", "title", 20)
    assert all(d.justification for d in design.denormalizations)


async def test_chinook_defaults(chinook_dsn):
    schema = schema_for(chinook_dsn)
    patterns = schema_default_patterns(schema)
    design = recommend_design(schema, patterns)
    validation = validate_design(design, schema, patterns)
    assert validation.uncovered == [] and validation.scans == [], validation.summary()
    assert validation.valid, validation.summary()
    assert all(not t.is_multi_entity for t in design.tables)  # natural keys throughout
    tracks = design.table("Tracks")
    assert {g.partition_key.attribute for g in tracks.gsis} == {"AlbumId", "GenreId", "MediaTypeId"}
    cost = estimate_cost(design, patterns, schema)
    assert sorted(cost.unpriced_patterns) == sorted(p.id for p in patterns)  # asked for, not invented
    outcome = await validate_contract(design_to_contract(design, schema).dump(), chinook_dsn)
    assert outcome.valid, [(e.path, e.message) for e in outcome.errors]


async def test_recommend_and_generate_contract_tools(mcp_client, workdir, sakila_dsn, capture_dir, settings):
    ws = workspace_with(workdir, schema_for(sakila_dsn), sakila_log(capture_dir))
    with pytest.raises(ToolError, match="registry is empty"):
        await mcp_client.call_tool("recommend_design", {})
    await mcp_client.call_tool("build_access_patterns", {})
    res = await mcp_client.call_tool("recommend_design", {})
    assert res.structured_content["validation"]["valid"] is True
    assert ws.exists("design.json") and ws.exists("design_validation.json")
    with pytest.raises(ToolError, match="not approved"):
        await mcp_client.call_tool("generate_contract", {})
    dsn = f"mysql://{sakila_dsn.user}@{sakila_dsn.host}:{sakila_dsn.port}/{sakila_dsn.database}"
    draft = await mcp_client.call_tool("generate_contract", {"allow_unapproved": True, "dsn": dsn})
    assert draft.structured_content["approved_design"] is False and "NOT approved" in draft.content[0].text
    design = ws.read_json("design.json")
    for table in design["tables"]:
        record_approval(ws, f"table:{table['name']}", table["name"], "approved", None, None, artifact_sha256(table))
    record_approval(ws, "design", "design.json", "approved", None, None, artifact_sha256(design))
    final = await mcp_client.call_tool("generate_contract", {"dsn": dsn})
    assert final.structured_content["approved_design"] is True
    assert final.structured_content["validation"]["database"] == sakila_dsn.database
    assert [t["table"] for t in ws.read_json("contract.json")["tables"]] == [t["name"] for t in design["tables"]]
    design["tables"][0]["purpose"] = "changed after approval"
    ws.write_json("design.json", design)
    with pytest.raises(ToolError, match="table:Films"):
        await mcp_client.call_tool("generate_contract", {})


def test_cli_recommend_and_contract(tmp_path, chinook_dsn):
    from typer.testing import CliRunner

    from mysql2ddb.server.cli.main import app

    workspace_with(tmp_path, schema_for(chinook_dsn))
    runner = CliRunner()
    base = ["--workdir", str(tmp_path), "model"]
    assert runner.invoke(app, base + ["patterns", "build", "--from-schema"]).exit_code == 0
    out = runner.invoke(app, base + ["recommend"])
    assert out.exit_code == 0, out.output
    assert "No cost until the user gives the RPS of AP1" in " ".join(out.output.split())
    out = runner.invoke(app, base + ["contract"])
    assert out.exit_code == 2 and "not approved" in out.output
    dsn = f"mysql://{chinook_dsn.user}@{chinook_dsn.host}:{chinook_dsn.port}/{chinook_dsn.database}"
    out = runner.invoke(app, base + ["contract", "--allow-unapproved", "--dsn", dsn, "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["approved_design"] is False and data["validation"]["valid"] is True
    assert (tmp_path / "contract.json").exists()


def _synthetic_schema():
    from mysql2ddb.tools.analysis.schema_model import Column, ForeignKey, SchemaAnalysis, TableInfo

    def col(name, typ="int", nullable=False):
        return Column(name=name, type=typ, data_type=typ.split("(")[0], nullable=nullable)

    return SchemaAnalysis(database="shop", tables=[
        TableInfo(name="item", rows=10, columns=[col("id"), col("name", "varchar(20)")], primary_key=["id"]),
        TableInfo(name="items", rows=10, columns=[col("id"), col("label", "varchar(20)")], primary_key=["id"]),
        TableInfo(name="audit log", rows=5, columns=[col("at", "datetime"), col("what", "text", True)]),
        TableInfo(name="stock", rows=30, primary_key=["store", "item_id", "bin"],
                  columns=[col("store"), col("item_id"), col("bin"), col("qty")],
                  foreign_keys=[ForeignKey(name="fk", columns=["item_id"], ref_table="item", ref_columns=["id"])]),
        TableInfo(name="emp", rows=8, columns=[col("id"), col("boss", "int", True)], primary_key=["id"],
                  foreign_keys=[ForeignKey(name="fk2", columns=["boss"], ref_table="emp", ref_columns=["id"])]),
    ])


def test_edge_cases_names_keys_and_batches():
    schema = _synthetic_schema()
    patterns = [
        {"id": "P1", "description": "items by ids", "sql": ["SELECT * FROM item WHERE id IN (1, 2, 3)"]},
        {"id": "P2", "description": "reports of a boss", "sql": ["SELECT id FROM emp WHERE boss = 4"]},
        {"id": "P3", "description": "stock of a store", "sql": ["SELECT * FROM stock WHERE store = 1 AND item_id = 5"]},
    ]
    design = recommend_design(schema, patterns)
    names = [t.name for t in design.tables]
    assert len(names) == len(set(n.lower() for n in names)) and "Items" in names and "Items2" in names
    assert design.is_dropped("audit log") is not None  # no key: dropped with a reason, not guessed
    stock = next(t for t in design.tables if t.entities[0].source_table == "stock")
    assert stock.is_multi_entity and stock.entities[0].sk_template == "{item_id}#{bin}"
    assert design.mapping("P1").operations[0].type == "BatchGetItem"
    assert design.mapping("P2").operations[0].index == "ByBoss"
    validation = validate_design(design, schema, patterns)
    assert validation.valid, validation.summary()  # the 3-part key is queried through a GSI
    assert validation.scans == []
