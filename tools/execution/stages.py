"""The execution stages as the pipeline and both front ends call them: each a thin call into its
core (validator, view compiler, table builder, copy engine, verifier), returning what the report
needs. Keeping these seams in one place keeps pipeline.py about order and safety only."""

from __future__ import annotations

from typing import Any

from mysql2ddb.tools.core.errors import ConflictError, ContractError
from mysql2ddb.tools.core.workspace import Workspace, to_jsonable
from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.contract.model import Contract
from mysql2ddb.tools.core.db import Dsn


def source_tables(contract: Contract) -> list[str]:
    names: list[str] = []
    for table in contract.tables:
        for name in [table.source_table] + [e.source_table for e in table.entities or []]:
            if name not in names:
                names.append(name)
    return names


async def validate(contract: Contract, dsn: Dsn) -> Any:
    """Check the contract against the live schema, refusing it (ContractError listing every problem
    with its path) before anything is created; return the catalog the later stages read."""
    from mysql2ddb.tools.contract.catalog import read_catalog
    from mysql2ddb.tools.contract.validate import validate_contract

    catalog = await read_catalog(dsn)
    outcome = await validate_contract(contract, catalog)
    if not outcome.valid:
        first = outcome.errors[0]
        raise ContractError(
            f"{len(outcome.errors)} problem(s) in the contract; first: {first.path}: {first.message}",
            where="contract (checked against the live schema before anything is created)",
            remedy=f"{first.remedy}; `mysql2ddb contract validate` lists every problem",
            details={"errors": [to_jsonable(e) for e in outcome.errors]},
        )
    return catalog


def views_sql(contract: Contract, catalog: Any) -> dict[str, str]:
    from mysql2ddb.tools.execution.views import views_sql as compile_all

    return compile_all(contract, catalog)


async def apply_views(contract: Contract, dsn: Dsn, progress: Any, catalog: Any = None, mysql: Any = None) -> Any:
    """`mysql`: the MySQL port that creates the views (the team's MCP server); None: the DSN's own user."""
    from mysql2ddb.tools.execution.views import apply_views as create

    return await create(contract, dsn, progress=progress, catalog=catalog, mysql=mysql)


async def create_views(contract: Contract, dsn: Dsn, progress: Any, catalog: Any = None, mysql: Any = None) -> str:
    outcome = await apply_views(contract, dsn, progress, catalog, mysql)
    return f"{len(outcome.views)} view(s) created or replaced in {outcome.database}, columns checked"


def _table_options(table: str, warm: dict[str, dict[str, Any]] | None) -> Any:
    from mysql2ddb.tools.execution.tables import TableOptions

    extra = (warm or {}).get(table)
    return TableOptions(warm_throughput=extra) if extra else TableOptions()


def table_requests(contract: Contract, catalog: Any, aws: AwsClients, warm: dict[str, dict[str, Any]]) -> list[dict]:
    """The CreateTable requests, built without calling AWS."""
    from mysql2ddb.tools.execution.tables import create_table_request, key_types

    return [create_table_request(t, key_types(t, catalog), _table_options(t.table, warm)) for t in contract.tables]


def ensure(contract: Contract, catalog: Any, aws: AwsClients, warm: dict[str, dict[str, Any]] | None = None,
           progress: Any = None, client: Any = None) -> Any:
    """Create or reuse every table (tables the plan warms get their own WarmThroughput); `client`:
    the DynamoDB port's control-plane client (None: boto3 on `aws`)."""
    from mysql2ddb.tools.execution.tables import TablesResult, ensure_tables

    warm = warm or {}
    plain = [t.table for t in contract.tables if t.table not in warm]
    outcomes = {}
    if plain:
        for o in ensure_tables(contract, catalog, aws, _table_options("", None), tables=plain,
                               progress=progress, client=client).outcomes:
            outcomes[o.table] = o
    for name in warm:
        if contract.table(name) is not None:
            for o in ensure_tables(contract, catalog, aws, _table_options(name, warm), tables=[name],
                                   progress=progress, client=client).outcomes:
                outcomes[o.table] = o
    return TablesResult(tables=[outcomes[t.table] for t in contract.tables if t.table in outcomes])


def conflicts(outcome: Any) -> list[dict[str, Any]]:
    return [to_jsonable(t) for t in outcome.outcomes if t.status == "conflict"]


def create_tables(contract: Contract, catalog: Any, aws: AwsClients, warm: dict[str, dict[str, Any]],
                  progress: Any, client: Any = None) -> str:
    """Create or reuse every table; stop the run (ConflictError, fields listed) if one differs."""
    outcome = ensure(contract, catalog, aws, warm, progress, client)
    found = conflicts(outcome)
    if found:
        raise conflict_error(found)
    return ", ".join(f"{t.table}: {t.status}" for t in outcome.outcomes)


def conflict_error(found: list[dict[str, Any]]) -> ConflictError:
    lines = []
    for c in found:
        fields = "; ".join(f"{d.get('field')}: existing {d.get('existing')!r}, contract {d.get('expected')!r}"
                           for d in c.get("differences", []))
        lines.append(f"{c.get('table')} ({fields})")
    return ConflictError(
        "existing table(s) differ from the contract and were left untouched: " + " | ".join(lines),
        where="DynamoDB tables",
        remedy="delete or rename the differing table(s) yourself, or rename the table in the contract, then rerun",
        details={"conflicts": found},
    )


def open_run(workspace: Workspace, contract: Contract, run_id: str | None) -> Any:
    from mysql2ddb.tools.execution.rundir import RunDir

    if not run_id:
        return RunDir.create(workspace.root, contract)
    run = RunDir.open(workspace.root, run_id)
    from mysql2ddb.tools.contract.load import load_contract
    from mysql2ddb.tools.contract.digest import contract_sha256

    if contract_sha256(load_contract(run.read_contract())) != contract_sha256(contract):
        raise ConflictError(
            f"the contract differs from the one run {run_id} started with",
            where="--resume",
            remedy=f"resume with the run's own copy ({run.contract_path}), or start a new run without --resume",
        )
    return run


async def copy(contract: Contract, catalog: Any, dsn: Dsn, aws: AwsClients, run: Any, copy_options: Any,
               progress: Any, totals: dict[str, int] | None = None) -> list[Any]:
    """Copy the contract's tables; `totals` (items per table, from the plan) sizes the progress bars."""
    from mysql2ddb.tools.execution.copy_engine import CopyOptions, copy_tables
    from mysql2ddb.tools.execution.spec import contract_specs

    options = copy_options or CopyOptions()
    if totals and not options.totals:
        options = options.model_copy(update={"totals": totals})
    specs = contract_specs(contract, catalog)
    return await copy_tables(specs, dsn, aws, run, tables=[t.table for t in contract.tables],
                             options=options, progress=progress)


def reject_files(run: Any, stats: list[Any]) -> dict[str, str]:
    return {s.table: str(run.reject_path(s.table)) for s in stats if getattr(s, "rejected", 0)}


def verify_result(contract: Contract, dsn: Dsn, aws: AwsClients, catalog: Any, progress: Any, run: Any = None) -> Any:
    """`run`: the run that copied the tables; the items DynamoDB refused in it are not expected."""
    from mysql2ddb.tools.execution.verify import verify_tables

    return verify_tables(contract, dsn, aws, catalog, progress=progress, run=run)


def verify(contract: Contract, dsn: Dsn, aws: AwsClients, catalog: Any, progress: Any,
           run: Any = None) -> dict[str, Any]:
    return to_jsonable(verify_result(contract, dsn, aws, catalog, progress, run))


def verified(outcome: Any) -> bool:
    return bool(to_jsonable(outcome).get("ok"))

