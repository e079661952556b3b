"""What a review adds to the artifact it shows, so the user approves what they have seen: per
table its warnings (production warnings, design validation, the contract check), its monthly cost
and two example items built from real rows through the contract; for the contract review, the
contract check (against the live database when one is configured).

The examples need a database (`req.optional_dsn`: the configured one, or the caller's): the
table's view SELECT runs read-only with a LIMIT, creating no view (tools/execution/examples.py).
A design table is converted to a contract table in memory (tools/modeling/to_contract.py), so
its examples show exactly the section under review. Whatever cannot be computed is said in the
review with the reason; it never blocks the review, and the review hash stays the artifact's.
"""

from __future__ import annotations

from typing import Any

from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.db import Dsn
from mysql2ddb.tools.core.errors import ConfigError, Mysql2DdbError
from mysql2ddb.tools.modeling import design_io
from mysql2ddb.tools.modeling.design import Design
from mysql2ddb.tools.modeling.gate_views import CONTRACT
from mysql2ddb.tools.modeling.review_findings import contract_findings, contract_notes, cost_line, table_warnings
from mysql2ddb.tools.modeling.review_text import TableExtras
from mysql2ddb.tools.usecases.request import Request

EXAMPLES = 2


def _dsn(req: Request, dsn: str | None) -> tuple[Dsn | None, str]:
    """The caller's DSN (a malformed one is refused: the caller must fix it), else the configured one
    (a broken configuration is said in the review)."""
    where = "--dsn" if req.caller is Caller.CLI else "review_gate: dsn"
    if dsn:
        try:
            return req.dsn(dsn, where=where), ""
        except ConfigError as exc:  # said where the caller gave it
            raise ConfigError(exc.why, where=where, remedy=exc.remedy) from None
    try:
        target = req.optional_dsn(None, where=where)
    except Mysql2DdbError as exc:
        return None, f"none shown: the configured database is not usable ({exc.why})"
    if target is None:
        return None, ("none shown: no database configured (set MYSQL2DDB_DSN, or pass a DSN) to build them "
                      "from real rows")
    return target, ""


def _catalog(dsn: Dsn) -> Any:
    from mysql2ddb.tools.contract.catalog import read_catalog_sync

    return read_catalog_sync(dsn)


def _examples(contract: Any, dsn: Dsn, catalog: Any, out: dict[str, TableExtras]) -> None:
    from mysql2ddb.tools.execution.examples import plain_item, sample_items

    try:
        found = sample_items(contract, dsn, catalog=catalog, limit=EXAMPLES)
    except Mysql2DdbError as exc:
        for extras in out.values():
            extras.examples_note = f"none shown: {exc.why}"
        return
    for name, sample in found.items():
        extras = out.setdefault(name, TableExtras())
        extras.examples = [plain_item(i) for i in sample.items]
        if sample.error:
            extras.examples_note = f"none shown: {sample.error}"
        elif extras.examples:
            extras.examples_note = (f"{len(extras.examples)} real row(s) of `{dsn.database}` converted as the copy "
                                    "converts them")
        else:
            extras.examples_note = f"none: the source has no rows in `{dsn.database}`"
        extras.warnings += [f"a sample row cannot become an item: {r}" for r in sample.rejected]


def _analysis(req: Request, design: Design, schema: Any, patterns: list[Any], sizes: Any) -> tuple[Any, Any, str]:
    from mysql2ddb.tools.core.pricing import load_prices
    from mysql2ddb.tools.modeling.cost import estimate_cost
    from mysql2ddb.tools.modeling.validate_design import validate_design

    try:
        validation = validate_design(design, schema, patterns, sizes)
        cost = estimate_cost(design, patterns, schema, sizes, load_prices(req.settings.prices_file))
    except Mysql2DdbError as exc:
        return None, None, exc.why
    return validation, cost, ""


def contract_tables(design: Design, names: list[str], schema: Any, sizes: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Each named design table as a contract table, built in memory (to_contract.py), or why not."""
    from mysql2ddb.tools.modeling.to_contract import design_to_contract

    made: dict[str, Any] = {}
    refused: dict[str, str] = {}
    for name in names:
        table = design.table(name)
        try:
            made[name] = design_to_contract(design.model_copy(update={"tables": [table]}), schema, sizes).tables[0]
        except Mysql2DdbError as exc:
            refused[name] = exc.why
    return made, refused


def design_examples(req: Request, design: Design, schema: Any, sizes: Any) -> dict[str, Any]:
    """Example items per design table for the data model document, when a database is configured
    ({} otherwise, or when they cannot be read: the document is written without them)."""
    from mysql2ddb.tools.contract.model import CONTRACT_VERSION, Contract
    from mysql2ddb.tools.modeling.render_model import TableItems

    target, _ = _dsn(req, None)
    contracts, _ = contract_tables(design, [t.name for t in design.tables], schema, sizes)
    if target is None or not contracts:
        return {}
    out = {name: TableExtras() for name in contracts}
    try:
        _examples(Contract(contract_version=CONTRACT_VERSION, tables=list(contracts.values())), target,
                  _catalog(target), out)
    except Mysql2DdbError:
        return {}
    return {name: TableItems(items=x.examples, note=x.examples_note) for name, x in out.items() if x.examples}


def design_extras(req: Request, tables: list[str], dsn: str | None = None, *,
                  examples: bool = True) -> dict[str, TableExtras]:
    """Warnings, cost and (with `examples`) example items for design tables `tables`."""
    from mysql2ddb.tools.contract.model import CONTRACT_VERSION, Contract
    from mysql2ddb.tools.contract.validate import check_contract

    ws = req.workspace
    out = {name: TableExtras() for name in tables}
    try:
        design = design_io.load_design(ws)
        schema, patterns, sizes = design_io.load_schema(ws), design_io.load_patterns(ws), design_io.load_item_sizes(ws)
    except Mysql2DdbError as exc:
        for extras in out.values():
            extras.notes.append(f"the design checks ({exc.why})")
        return out
    validation, cost, why = _analysis(req, design, schema, patterns, sizes)
    for name, extras in out.items():
        if validation is None:
            extras.notes.append(f"the design checks and the cost ({why})")
            continue
        extras.warnings = table_warnings(validation, design, name)
        extras.cost = cost_line(cost, name, design.patterns_served_by(name))
    contracts, refused = contract_tables(design, list(out), schema, sizes)
    for name, why in refused.items():
        out[name].examples_note = f"none shown: the table cannot be written as a contract yet ({why})"
        out[name].notes.append(f"the contract check ({why})")
    target, why = _dsn(req, dsn)
    if target is None:
        for name, extras in out.items():
            extras.examples_note = extras.examples_note or why
            if name in contracts:
                extras.notes.append("the contract check against the live database (no database configured)")
        return out
    try:
        catalog = _catalog(target)
    except Mysql2DdbError as exc:
        for extras in out.values():
            extras.notes.append(f"the contract check against the database ({exc.why})")
            extras.examples_note = extras.examples_note or f"none shown: {exc.why}"
        return out
    for name, table in contracts.items():
        check = check_contract(Contract(contract_version=CONTRACT_VERSION, tables=[table]).dump(), catalog)
        out[name].warnings += contract_findings(check, 0, name)
    if examples and contracts:
        _examples(Contract(contract_version=CONTRACT_VERSION, tables=list(contracts.values())), target, catalog, out)
    return out


def contract_extras(req: Request, dsn: str | None = None) -> tuple[dict[str, TableExtras], list[str]]:
    """Per contract table its check findings and examples; and the check's verdict for the review."""
    from mysql2ddb.tools.contract.model import Contract
    from mysql2ddb.tools.contract.validate import check_contract

    ws = req.workspace
    data = ws.read_json(CONTRACT) if ws.exists(CONTRACT) else None
    target, why = _dsn(req, dsn)
    catalog = None
    notes: list[str] = []
    if target is not None:
        try:
            catalog = _catalog(target)
        except Mysql2DdbError as exc:
            notes.append(f"not checked against the database: {exc.why}")
    check = check_contract(data, catalog)
    tables = [t for t in (data.get("tables") or [] if isinstance(data, dict) else []) if isinstance(t, dict)]
    out: dict[str, TableExtras] = {}
    for i, table in enumerate(tables):
        name = table.get("table")
        if isinstance(name, str):
            out[name] = TableExtras(warnings=contract_findings(check, i, name),
                                    examples_note=why or "none shown: the contract is not valid")
    if catalog is not None and check.valid:
        _examples(Contract.model_validate(data), target, catalog, out)  # type: ignore[arg-type]
    return out, contract_notes(check) + notes
