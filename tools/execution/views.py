"""The view compiler: each contract table becomes `CREATE OR REPLACE VIEW ddb_<table>_view`, one
row per item, columns named after the attributes (the copy engine, the copy plan, the verifier and
the Glue job all read these views).

A single-entity table is one SELECT over its source table. A multi-entity table is a UNION ALL of
one SELECT per entity (§1): columns pk and sk (built from the entity's templates), then the union
of the entities' attributes by first appearance, NULL where an entity lacks one, then
`entity_type` (the entity's name, unless the contract declares that attribute itself).

`apply_views` first checks every fragment against the fragment policy (fragment_policy.py) and
every table the contract names against the catalog (base tables only), reporting ALL problems with
their JSON paths in one ContractError; it then compiles EVERY view before creating any (a bad
fragment refuses the whole contract with nothing created), creates them and reads each view's
columns back from information_schema: the set must equal the contract's attributes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlglot import exp

from mysql2ddb.tools.core.errors import ContractError, DatabaseError, Mysql2DdbError
from mysql2ddb.tools.core.progress import NullProgress, ProgressSink
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.contract.catalog import Catalog, read_catalog
from mysql2ddb.tools.contract.fragments import fragment_errors, fragment_locations, parse_fragment, references
from mysql2ddb.tools.contract.model import Contract, ContractTable
from mysql2ddb.tools.core.db import Dsn, async_connection, map_db_error
from mysql2ddb.tools.execution.spec import ENTITY_TYPE, view_columns
from mysql2ddb.tools.execution.views_exprs import SRC, SelectBuilder


def _select(builder: SelectBuilder, columns: list[tuple[str, exp.Expression]]) -> exp.Select:
    query = exp.select(*[exp.alias_(value, sql.ident(name)) for name, value in columns]).from_(
        sql.table(builder.source, alias=SRC))
    for join in builder.joins:
        query = query.join(join)
    return query


def compile_query(table: ContractTable, catalog: Catalog) -> exp.Expression:
    """The view's query (SELECT, or UNION ALL of one SELECT per entity)."""
    names = [name for name, _, _ in view_columns(table, catalog)]
    if not table.is_multi_entity:
        builder = SelectBuilder(table, None, catalog)
        values = {attr.name: builder.add(attr) for attr in table.attributes}
        return _select(builder, [(name, values[name]) for name in names])
    if not table.entities:
        raise ContractError("a multi-entity table without entities", where=f"{table.table}.entities",
                            remedy="list the entities, each with its source_table, templates and attributes")
    selects = []
    for entity in table.entities:
        builder = SelectBuilder(table, entity, catalog)
        values: dict[str, exp.Expression] = {}
        for attr in entity.attributes:
            values[attr.name] = builder.add(attr)
        values[table.pk] = builder.template(entity.pk_template, f"{builder.where}.pk_template")
        if table.sk:
            values[table.sk] = builder.template(entity.sk_template, f"{builder.where}.sk_template")
        values.setdefault(ENTITY_TYPE, exp.Literal.string(entity.entity_type))
        selects.append(_select(builder, [(name, values.get(name, exp.null())) for name in names]))
    query: exp.Expression = selects[0]
    for other in selects[1:]:
        query = exp.union(query, other, distinct=False)
    return query


def compile_view(table: ContractTable, catalog: Catalog) -> exp.Create:
    """CREATE OR REPLACE VIEW `ddb_<table lower>_view` AS <query>."""
    return exp.Create(this=sql.table(table.view_name), kind="VIEW", replace=True,
                      expression=compile_query(table, catalog))


def _named_tables(node: object, path: str = "") -> list[tuple[str, str]]:
    """(JSON path, table) of every source_table / target_table of the contract."""
    found: list[tuple[str, str]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        here = f"{path}/{key}"
        if key in ("source_table", "target_table") and isinstance(value, str):
            found.append((here, value))
        else:
            found += _named_tables(value, here)
    return found


def _view_errors(data: dict, catalog: Catalog) -> list[dict[str, str]]:
    """Tables that are views (ours included): their SQL would run outside the fragment policy."""
    named = _named_tables(data)
    for path, text, kind in fragment_locations(data):
        try:
            named += [(path, t) for t in references(parse_fragment(text, path, kind)).tables]
        except ContractError:
            continue  # reported by fragment_errors
    return [{"path": path, "message": f"`{name}` is a view, not a table: a contract reads base tables only",
             "remedy": f"name the base tables `{name}` reads, joined through the contract"}
            for path, name in dict.fromkeys(named)
            if name in catalog.stats and catalog.stats[name].table_type.upper() == "VIEW"]


def check_fragments(contract: Contract, catalog: Catalog) -> None:
    """Refuse the contract, listing every problem with its JSON path, if one fragment breaks the
    fragment policy or a table it names is a view: before anything is compiled or created."""
    data = contract.dump()
    errors = fragment_errors(data) + _view_errors(data, catalog)
    if errors:
        raise ContractError(f"{len(errors)} problem(s) in the contract's SQL fragments; first: {errors[0]['message']}",
                            where=errors[0]["path"], remedy=errors[0]["remedy"], details={"errors": errors})


def views_sql(contract: Contract, catalog: Catalog) -> dict[str, str]:
    """view name -> CREATE VIEW text (what --apply would run; nothing is executed)."""
    check_fragments(contract, catalog)
    return {t.view_name: sql.render(compile_view(t, catalog)) for t in contract.tables}


class ViewOutcome(BaseModel):
    table: str
    view: str
    columns: list[str] = Field(description="the view's columns as information_schema lists them")
    sql: str


class ViewsResult(BaseModel):
    database: str
    views: list[ViewOutcome]
    via: str = Field("direct", description="the adapter that created them: direct or mcp:<server name>")

    def tables(self) -> list[Table]:
        return [Table("Views", ["table", "view", "columns"],
                      [[v.table, v.view, len(v.columns)] for v in self.views])]

    def summary(self) -> str:
        return f"{len(self.views)} view(s) created or replaced in {self.database}; each view's columns match its attributes"


def expected_columns(table: ContractTable, catalog: Catalog) -> list[str]:
    return [name for name, _, _ in view_columns(table, catalog)]


def check_columns(table: ContractTable, expected: list[str], actual: list[str]) -> None:
    missing = [c for c in expected if c not in actual]
    extra = [c for c in actual if c not in expected]
    if missing or extra:
        raise DatabaseError(
            f"view {table.view_name} has columns {actual}, not the contract's attributes"
            + (f"; missing {missing}" if missing else "") + (f"; unexpected {extra}" if extra else ""),
            where=f"view {table.view_name}",
            remedy="attribute names must be distinct ignoring case (MySQL column names are); rename them and rerun")


def view_columns_query(database: str, views: list[str]) -> str:
    """Each view's columns in order, hex-encoded: read back exactly even through an MCP server
    that joins values with commas and does not quote them."""
    query = (exp.select(exp.alias_(exp.Hex(this=sql.col("TABLE_NAME")), "t"),
                        exp.alias_(exp.Hex(this=sql.col("COLUMN_NAME")), "c"))
             .from_(sql.table("COLUMNS", db="information_schema"))
             .where(exp.and_(exp.EQ(this=sql.col("TABLE_SCHEMA"), expression=exp.Literal.string(database)),
                             exp.In(this=sql.col("TABLE_NAME"), expressions=sql.names(views))))
             .order_by(sql.col("TABLE_NAME"), sql.col("ORDINAL_POSITION")))
    return sql.render(query)


async def _create_direct(compiled: list[tuple[ContractTable, str]], dsn: Dsn, progress: ProgressSink) -> None:
    async with async_connection(dsn, where="create views") as conn:
        for done, (table, text) in enumerate(compiled):
            progress.update("views", done, len(compiled), f"creating {table.view_name}")
            try:
                async with conn.cursor() as cur:
                    await cur.execute(text)
            except Exception as exc:  # noqa: BLE001 - driver errors mapped to ours
                mapped = map_db_error(exc, f"view {table.view_name} (creating it)", dsn)
                mapped.details = {**(mapped.details or {}), "sql": text}
                raise mapped from None


async def _create_through(port: Any, compiled: list[tuple[ContractTable, str]], database: str,
                          progress: ProgressSink) -> dict[str, list[str]]:
    """Create the views through a MySQL port (e.g. the team's MySQL MCP server) and read their
    columns back through it."""
    for done, (table, text) in enumerate(compiled):
        progress.update("views", done, len(compiled), f"creating {table.view_name} ({port.via})")
        try:
            await port.execute(text)
        except Mysql2DdbError as exc:
            exc.where = f"view {table.view_name} (creating it, {port.via})"
            exc.details = {**(exc.details or {}), "sql": text}
            raise
    rows = await port.query(view_columns_query(database, [t.view_name for t, _ in compiled]))
    columns: dict[str, list[str]] = {}
    for row in rows:
        columns.setdefault(bytes.fromhex(row["t"]).decode(), []).append(bytes.fromhex(row["c"]).decode())
    return columns


async def apply_views(contract: Contract, dsn: Dsn, *, progress: ProgressSink | None = None,
                      catalog: Catalog | None = None, mysql: Any = None) -> ViewsResult:
    """Compile every view (refusing the contract before anything exists if one fragment is bad),
    create or replace them, then check each view's column set against the attributes.
    `mysql`: the MySQL port that creates them (None: this DSN's own connection)."""
    progress = progress or NullProgress()
    catalog = catalog or await read_catalog(dsn)
    check_fragments(contract, catalog)
    compiled = [(t, sql.render(compile_view(t, catalog))) for t in contract.tables]
    total = len(compiled)
    if mysql is None:
        await _create_direct(compiled, dsn, progress)
        progress.update("views", total, total, "checking view columns")
        live = await read_catalog(dsn, [t.view_name for t in contract.tables])
        columns = {t.view_name: list(live.columns(t.view_name)) for t in contract.tables}
    else:
        columns = await _create_through(mysql, compiled, dsn.database, progress)
    outcomes = []
    for table, text in compiled:
        actual = columns.get(table.view_name, [])
        check_columns(table, expected_columns(table, catalog), actual)
        outcomes.append(ViewOutcome(table=table.table, view=table.view_name, columns=actual, sql=text))
    progress.update("views", total, total, f"{total} view(s) ready")
    return ViewsResult(database=dsn.database, views=outcomes, via=getattr(mysql, "via", "direct"))
