"""What a schema change on the source means for the contract, and the stop the sync makes for it.

The contract reads a table when one of its compiled SELECTs names it: as an entity's source, as a
joined table, or in a correlated subquery or aggregate (the same reading links.py does for row
changes). A DDL on a table the contract does not read is passed over and counted (the views the
migration itself creates and re-creates are not even counted). A DDL on a table it reads stops the
sync before the DDL, every earlier transaction applied: the items built from that table may no
longer be what the contract makes of the source (TRUNCATE writes no row events at all; a dropped
or renamed column breaks the re-read; a changed type changes the items).

Accepting it (`live run RUN_ID --accept-schema-change`, tools/cdc/schema_accept.py) re-builds the
contract tables fed by the changed table unless the DDL provably leaves every value the contract
reads as it was: only new columns, indexes or keys, or changes to columns no SELECT names.
"""

from __future__ import annotations

from typing import Collection

from pydantic import BaseModel, Field
from sqlglot import exp

from mysql2ddb.tools.cdc.apply import ContractIndex
from mysql2ddb.tools.cdc.ddl import DdlKind
from mysql2ddb.tools.cdc.stream import SchemaChange, SourcePosition
from mysql2ddb.tools.core.errors import WorkflowError

STATEMENT_KEPT = 2000  # characters of the statement kept in cdc.json
STATEMENT_SHOWN = 200  # characters of it in the error and in `status`

_MEANING = {
    "truncate": "a TRUNCATE writes no row events: every item built from {t} would stay in DynamoDB",
    "drop": "{t} was dropped: the items built from it can no longer be read again through the views",
    "rename": "{t} was renamed: the views read it by its old name",
    "create": "{t} was created again (CREATE OR REPLACE, or after a drop): its rows may differ from "
              "the items built from them",
    "database": "the migrated database was dropped",
}


class SchemaChangeStop(BaseModel):
    """The DDL the sync stopped before: what it was, where, what it means for the items, the way on."""

    statement: str = Field(description=f"the statement as logged (its first {STATEMENT_KEPT} characters)")
    kind: DdlKind = Field(description="what the statement does to the table")
    tables: list[str] = Field(description="the tables the contract reads that it changes")
    contract_tables: list[str] = Field(description="the contract's tables built from them")
    rebuild: bool = Field(description="accepting it re-builds those contract tables: a full re-copy, then the "
                                      "items their views no longer produce are deleted")
    before: SourcePosition = Field(description="the checkpoint: every transaction before the DDL is applied")
    after: SourcePosition = Field(description="where the sync continues once the change is accepted")
    where: str
    why: str
    remedy: str

    def error(self) -> WorkflowError:
        return WorkflowError(self.why, where=self.where, remedy=self.remedy, details={
            "statement": self.statement, "tables": self.tables, "contract_tables": self.contract_tables,
            "before": self.before.model_dump(), "after": self.after.model_dump()})


def shortened(statement: str, limit: int = STATEMENT_SHOWN) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= limit else flat[:limit - 3] + "..."


def read_tables(index: ContractIndex) -> dict[str, str]:
    """lower-case name -> name of every table a compiled SELECT names (table names compare without
    case: a server with lower_case_table_names logs them as typed)."""
    return {t.name.lower(): t.name for table in index.tables for s in table.selects for t in s.find_all(exp.Table)}


def is_own_view(index: ContractIndex, change: SchemaChange) -> bool:
    """The migration's own views (created by the copy, re-created on accept): nothing to count."""
    views = {t.spec["view"].lower() for t in index.tables}
    return change.kind == "view" and all(name.lower() in views for name in change.tables)


def _columns_named(index: ContractIndex, table: str) -> set[str] | None:
    """Lower-case names of every column the SELECTs reached from `table` name, whatever table they
    belong to (a superset, so never too few); None when one reads `*`."""
    names: set[str] = set()
    for table_index, i, _link in index.links(table):
        select = table_index.selects[i]
        if any(True for _ in select.find_all(exp.Star)):
            return None
        names.update(c.name.lower() for c in select.find_all(exp.Column))
    return names


def stop_for(index: ContractIndex, change: SchemaChange, run_id: str,
             unread: Collection[str] = ()) -> SchemaChangeStop | None:
    """The stop this change calls for; None when the contract does not read what it changes.
    `unread`: contract tables whose re-read of earlier changes already failed on it (re-built too)."""
    reads = read_tables(index)
    names = list(reads.values()) if change.tables == ["*"] else [n.lower() for n in change.tables]
    touched = sorted({reads[n.lower()] for n in names if n.lower() in reads})
    if not touched:
        return None
    fed = sorted({t.name for name in touched for t, _i, _link in index.links(name)} | set(unread))
    named = [_columns_named(index, name) for name in touched]
    changed = change.columns
    rebuild = bool(unread) or changed is None or any(cols is None or changed & cols for cols in named)
    label = ", ".join(touched)
    if change.kind in _MEANING:
        meaning = _MEANING[change.kind].format(t=label)
    elif rebuild:
        meaning = (f"the contract reads {label}: the change reaches columns its views read "
                   f"({', '.join(sorted(changed)) if changed else 'possibly any'}); a dropped or renamed column breaks "
                   f"their re-read, a changed type changes what the items contain")
    else:
        meaning = (f"the contract reads {label}; the change leaves every column its views read as it was (new "
                   f"columns, indexes, keys), so the items stay as they are once the contract is checked again")
    gtid = f" (GTID {change.before.gtid})" if change.before.gtid else ""
    redo = (f", re-builds {', '.join(fed)} (a full re-copy, then the items the views no longer produce are "
            f"deleted)" if rebuild else "")
    return SchemaChangeStop(
        statement=change.statement[:STATEMENT_KEPT], kind=change.kind, tables=touched, contract_tables=fed,
        rebuild=rebuild, before=change.before, after=change.after,
        where=f"live sync of run {run_id}: table {label} at {change.before.file}:{change.before.pos}{gtid}",
        why=f"the source's schema changed (`{shortened(change.statement)}`): {meaning}; the sync stopped before it, "
            f"every earlier change applied",
        remedy=f"if the contract still fits the new schema, run `mysql2ddb live run {run_id} --accept-schema-change`: "
               f"it checks the contract against the live schema, re-creates the views{redo}, and continues after "
               f"the change; otherwise fix the contract, approve it, and start a new live migration "
               f"(`mysql2ddb migrate --cdc`)")
