"""Pattern coverage, computed: for each access pattern, every request the design says serves it,
checked against the key schema of the table or GSI it runs on. A Query needs equality on that
index's partition key and may only put a condition on that index's sort key; GetItem and the
writes need the full primary key; a Scan serves, but is flagged."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mysql2ddb.tools.modeling.design import (
    CONTAINERS, READ_OPERATIONS, WRITE_OPERATIONS, Design, KeyCondition, Operation, TableDesign, expression_attributes,
)
from mysql2ddb.tools.modeling.inputs import PatternFacts, SchemaFacts

KEYED = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheck", "BatchGetItem", "BatchWriteItem"}
MAX_TRANSACTION_ACTIONS = 100


class OperationCheck(BaseModel):
    path: str = Field(description="JSON pointer of the operation in the design")
    type: str
    table: str | None = None
    index: str | None = None
    key: str = Field("", description="the key condition as DynamoDB would read it")
    transactional: bool = False
    ok: bool = True
    problems: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class PatternCoverage(BaseModel):
    pattern_id: str
    description: str = ""
    rps_peak: float | None = None
    covered: bool = False
    scan: bool = False
    hot: bool = Field(False, description="busy enough that a Scan is unacceptable")
    served_by: str = Field("", description="one-line summary of the requests")
    operations: list[OperationCheck] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)


def render_key(kc: KeyCondition | None) -> str:
    if kc is None:
        return ""
    text = f"{kc.pk_attribute} = {kc.pk_value}"
    if kc.sk_attribute:
        op, v = kc.sk_operator or "?", kc.sk_value or "?"
        if op == "begins_with":
            text += f" AND begins_with({kc.sk_attribute}, {v})"
        elif op == "between":
            text += f" AND {kc.sk_attribute} BETWEEN {v} AND {kc.sk_value_to or '?'}"
        else:
            text += f" AND {kc.sk_attribute} {op} {v}"
    return text


def _check_query_key(check: OperationCheck, table: TableDesign, op: Operation) -> None:
    schema = table.key_schema(op.index)
    assert schema is not None
    pk, sk = schema
    on = f"{table.name}.{op.index}" if op.index else table.name
    kc = op.key_condition
    if kc is None:
        check.problems.append(f"Query needs a key condition with {pk.attribute} = :value (partition key of {on})")
        return
    if kc.pk_attribute != pk.attribute:
        check.problems.append(f"Query on {on} gives {kc.pk_attribute} but its partition key is {pk.attribute}")
    if kc.sk_attribute:
        if sk is None:
            check.problems.append(f"{on} has no sort key: the condition on {kc.sk_attribute} cannot be a key condition")
        elif kc.sk_attribute != sk.attribute:
            check.problems.append(f"sort-key condition on {kc.sk_attribute}, but the sort key of {on} is {sk.attribute}")
        elif kc.sk_operator is None:
            check.problems.append(f"condition on {sk.attribute} has no operator")
        elif kc.sk_operator == "begins_with" and sk.type == "N":
            check.problems.append(f"begins_with needs a string or binary sort key; {sk.attribute} is a number")
        elif kc.sk_operator == "between" and kc.sk_value_to is None:
            check.problems.append("between needs sk_value_to")


def _check_full_key(check: OperationCheck, table: TableDesign, op: Operation) -> None:
    pk, sk = table.partition_key, table.sort_key
    kc = op.key_condition
    if kc is None:
        if op.type != "PutItem":  # a Put carries its key in the item
            check.problems.append(f"{op.type} needs the full primary key of {table.name}: "
                                  f"{pk.attribute}" + (f" and {sk.attribute}" if sk else ""))
        return
    if kc.pk_attribute != pk.attribute:
        check.problems.append(f"{op.type} gives {kc.pk_attribute} but the partition key of {table.name} is {pk.attribute}")
    if sk is None and kc.sk_attribute:
        check.problems.append(f"{table.name} has no sort key; {kc.sk_attribute} is not part of its key")
    elif sk is not None:
        if kc.sk_attribute != sk.attribute or kc.sk_operator not in (None, "="):
            check.problems.append(f"{op.type} needs {sk.attribute} = :value too (the sort key of {table.name}); "
                                  "use a Query for a range")
        elif kc.sk_value is None:
            check.problems.append(f"{op.type} gives no value for the sort key {sk.attribute}")


def _check_attributes(check: OperationCheck, table: TableDesign, op: Operation, pattern: PatternFacts | None) -> None:
    known = set(table.attribute_names())
    entity = next((e for e in table.entities if e.name == op.entity), None) if op.entity else None
    if op.entity and entity is None:
        check.problems.append(f"{table.name} has no entity {op.entity}")
    needed = list(op.attributes) + (expression_attributes(op.filter) if op.type in READ_OPERATIONS else [])
    missing = [a for a in needed if a not in known]
    if missing:
        check.problems.append(f"{table.name} items have no attribute {', '.join(missing)}")
    if op.index and op.type in ("Query", "Scan"):
        gsi = table.gsi(op.index)
        if gsi is not None and gsi.projection != "ALL":
            projected = set(table.key_attributes()) | {gsi.partition_key.attribute}
            projected |= {gsi.sort_key.attribute} if gsi.sort_key else set()
            projected |= set(gsi.projected_attributes) if gsi.projection == "INCLUDE" else set()
            absent = [a for a in needed if a in known and a not in projected]
            if absent:
                check.problems.append(
                    f"{gsi.name} projects {gsi.projection} and lacks {', '.join(absent)}: add them to an INCLUDE "
                    "projection or read the items back by key")
        if op.consistent_read:
            check.problems.append(f"{op.index} is a GSI: strongly consistent reads are not available on it")
    if op.type == "UpdateItem" and op.update:
        moved = [a for a in expression_attributes(op.update) if a in table.key_attributes()]
        if moved:
            check.problems.append(f"UpdateItem cannot change key attributes {', '.join(moved)}: delete and put instead")
    if pattern is not None and pattern.consistency == "STRONG" and op.type in ("GetItem", "Query", "BatchGetItem"):
        if op.index or not (op.consistent_read or check.transactional):
            check.problems.append(f"{pattern.id} needs strongly consistent reads: set consistent_read on the base table")


def check_operation(design: Design, op: Operation, path: str, transactional: bool,
                    pattern: PatternFacts | None) -> OperationCheck:
    check = OperationCheck(path=path, type=op.type, table=op.table, index=op.index, key=render_key(op.key_condition),
                           transactional=transactional)
    if op.type in CONTAINERS and not op.actions and op.type.startswith("Transact"):
        check.problems.append(f"{op.type} lists no actions")
    elif op.table is None:
        check.problems.append(f"{op.type} names no table")
    else:
        table = design.table(op.table)
        if table is None:
            check.problems.append(f"no table {op.table} in the design")
        elif op.index and table.gsi(op.index) is None:
            check.problems.append(f"{op.table} has no GSI {op.index}")
        elif op.index and op.type not in ("Query", "Scan"):
            check.problems.append(f"{op.type} cannot run on an index ({op.index}); only Query and Scan can")
        else:
            if op.type == "Query":
                _check_query_key(check, table, op)
            elif op.type in KEYED:
                _check_full_key(check, table, op)
            elif op.type == "Scan":
                check.notes.append(f"Scan reads all of {op.table}" + (f".{op.index}" if op.index else ""))
            _check_attributes(check, table, op, pattern)
    check.ok = not check.problems
    return check


def _leaf_checks(design: Design, mapping_index: int, op: Operation, base: str, transactional: bool,
                 pattern: PatternFacts | None) -> list[OperationCheck]:
    if op.type in CONTAINERS and op.actions:
        checks = []
        if op.type.startswith("Transact") and len(op.actions) > MAX_TRANSACTION_ACTIONS:
            checks.append(OperationCheck(path=base, type=op.type, ok=False,
                                         problems=[f"a transaction holds at most {MAX_TRANSACTION_ACTIONS} actions"]))
        allowed = READ_OPERATIONS if op.type in ("TransactGetItems", "BatchGetItem") else \
            WRITE_OPERATIONS | {"ConditionCheck"}
        for i, action in enumerate(op.actions):
            check = check_operation(design, action, f"{base}/actions/{i}", op.type.startswith("Transact"), pattern)
            if action.type in CONTAINERS or action.type not in allowed:
                check.problems.append(f"{action.type} cannot be an action of {op.type}")
                check.ok = False
            checks.append(check)
        return checks
    return [check_operation(design, op, base, transactional, pattern)]


def pattern_coverage(design: Design, pattern: PatternFacts, schema: SchemaFacts, hot_rps: float) -> PatternCoverage:
    cov = PatternCoverage(pattern_id=pattern.id, description=pattern.description, rps_peak=pattern.rps_peak,
                          hot=(not pattern.priced) or pattern.peak >= hot_rps)
    index = next((i for i, m in enumerate(design.pattern_mappings) if m.pattern_id == pattern.id), None)
    if index is None:
        cov.problems.append("no operation serves this pattern")
        return cov
    mapping = design.pattern_mappings[index]
    if not mapping.operations:
        cov.problems.append("its mapping lists no operation")
    for j, op in enumerate(mapping.operations):
        cov.operations += _leaf_checks(design, index, op, f"/pattern_mappings/{index}/operations/{j}",
                                       op.type.startswith("Transact"), pattern)
    leaves = [leaf for leaf, _ in mapping.leaves()]
    cov.scan = any(leaf.type == "Scan" for leaf in leaves)
    kinds = {leaf.type for leaf in leaves}
    if pattern.is_write and not kinds & (WRITE_OPERATIONS | {"ConditionCheck"}):
        cov.problems.append("a write pattern served only by reads")
    if not pattern.is_write and not kinds & READ_OPERATIONS:
        cov.problems.append("a read pattern served by no read")
    touched = [design.table(leaf.table or "") for leaf in leaves]
    sources = {s.lower() for t in touched if t is not None for s in t.source_tables()}
    for name in pattern.tables:
        if schema.table(name) is None:
            continue
        if design.is_dropped(name):
            cov.problems.append(f"it uses {name}, which the design drops")
        elif name.lower() not in sources:
            cov.problems.append(f"it uses {name}, but no table it touches carries data from {name}")
    cov.served_by = "; ".join(
        f"{c.type} {c.table or ''}{'.' + c.index if c.index else ''}{' [' + c.key + ']' if c.key else ''}"
        f"{' (transaction)' if c.transactional else ''}" for c in cov.operations)
    cov.covered = not cov.problems and all(c.ok for c in cov.operations) and bool(cov.operations)
    return cov
