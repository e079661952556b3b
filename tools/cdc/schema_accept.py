"""Going on past a schema change the contract survives (`live run RUN_ID --accept-schema-change`).

Exactly what `migrate` does before it creates views: the contract is checked against the live
schema (stages.validate: a contract that no longer fits is refused, naming its first problem), the
views are re-created (CREATE OR REPLACE), then every source table must still have a row key (the
sync names items by it). The contract tables the change reaches are re-built when it may have
changed what their items contain (tools/cdc/schema_change.py decides; a table whose conversion
spec changed is re-built too): tools/cdc/rebuild.py. Only then does the checkpoint move past the
DDL, so an accept interrupted at any point is simply run again.
"""

from __future__ import annotations

from typing import Any

from mysql2ddb.tools.cdc.follow import CdcState
from mysql2ddb.tools.cdc.links import source_of, top_selects
from mysql2ddb.tools.cdc.preflight import row_keys
from mysql2ddb.tools.cdc.rebuild import rebuild_tables
from mysql2ddb.tools.contract.model import Contract
from mysql2ddb.tools.core.aws import AwsClients
from mysql2ddb.tools.core.db import Dsn, sync_connection
from mysql2ddb.tools.core.errors import ContractError, WorkflowError
from mysql2ddb.tools.core.progress import ProgressSink
from mysql2ddb.tools.execution import stages
from mysql2ddb.tools.execution.copy_engine import spec_sha256
from mysql2ddb.tools.execution.rundir import RunDir
from mysql2ddb.tools.execution.spec import table_spec
from mysql2ddb.tools.execution.views import compile_query

NEW_MIGRATION = "start a new live migration (`mysql2ddb migrate --cdc`): this run follows the contract it started with"


async def accept_schema_change(contract: Contract, dsn: Dsn, aws: AwsClients, run: RunDir, state: CdcState,
                               progress: ProgressSink) -> CdcState:
    """Check, re-create, re-build where needed, then checkpoint the position after the DDL."""
    stop = state.schema_change
    if stop is None:
        return state
    where = (f"accepting the schema change of run {run.run_id} ({stop.kind} of {', '.join(stop.tables)} at "
             f"{stop.before.file}:{stop.before.pos})")
    try:
        catalog = await stages.validate(contract, dsn)
    except ContractError as exc:
        raise ContractError(f"the contract no longer fits the source's schema: {exc.why}", where=where,
                            remedy=f"{exc.remedy}; fix the contract, approve it, then {NEW_MIGRATION}",
                            details=exc.details) from None
    _require_row_keys(contract, catalog, dsn, where)
    await stages.create_views(contract, dsn, progress, catalog)
    redo = set(stop.contract_tables) if stop.rebuild else set()
    redo |= _specs_changed(contract, catalog, run)
    if redo:
        await rebuild_tables(contract, catalog, dsn, aws, run, sorted(redo), progress)
    state.position, state.schema_change, state.state = stop.after, None, "stopped"
    state.save(run.root)
    return state


async def checked_for_sync(contract: Contract, dsn: Dsn, run_id: str, state: CdcState) -> Any:
    """The catalog the sync compiles the contract with, checked as `migrate` checks it. Once the
    contract fitted; if it no longer does, the schema changed while the sync was stopped, before
    it reached the change: nothing after its checkpoint can be re-read through this contract."""
    try:
        return await stages.validate(contract, dsn)
    except ContractError as exc:
        raise ContractError(
            f"the source's schema changed while the sync was stopped and no longer fits the contract: {exc.why}",
            where=f"live sync of run {run_id} at {state.position.file}:{state.position.pos}",
            remedy=f"undo the change, then resume (`mysql2ddb live run {run_id}`): the sync stops at it and says "
                   f"what it means; or fix the contract, approve it, then {NEW_MIGRATION}",
            details=exc.details) from None


def _require_row_keys(contract: Contract, catalog: Any, dsn: Dsn, where: str) -> None:
    sources = sorted({source_of(s) for t in contract.tables for s in top_selects(compile_query(t, catalog))})
    with sync_connection(dsn, where) as conn, conn.cursor() as cur:
        keyed = row_keys(cur, dsn.database, sources)
    keyless = [t for t in sources if t not in keyed]
    if keyless:
        raise WorkflowError(f"no primary or NOT NULL unique key on {', '.join(keyless)} any more: a change to "
                            f"such a row cannot name its items", where=where,
                            remedy=f"add a primary key to {', '.join(keyless)}, then accept again; or {NEW_MIGRATION}")


def _specs_changed(contract: Contract, catalog: Any, run: RunDir) -> set[str]:
    """Contract tables whose conversion spec (view columns and their types) differs from the copy's."""
    changed = set()
    for table in contract.tables:
        copied = run.load_state(table.table)
        if copied is not None and copied.spec_sha256 != spec_sha256(table_spec(table, catalog)):
            changed.add(table.table)
    return changed
