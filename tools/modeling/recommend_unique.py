"""How the recommended design keeps each UNIQUE key, decided after the tables are planned:

- kept by the table key when the item key's columns lie within the unique columns (a junction keyed
  by its unique pair, a table keyed by its unique key);
- a guard item otherwise (users.email, users.username), when every column can be a key attribute
  and holds no NULL: the writes that insert, change or delete the row write the guard in the same
  transaction (tools/modeling/unique_keys.py builds the guard table);
- not enforced, with the reason, when no guard can be keyed (NULLs in the data, a column that
  cannot be a key), and for the surrogate id of a junction keyed by its pair.
"""

from __future__ import annotations

from mysql2ddb.tools.modeling.design import EntityDesign, KeyCondition, Operation, TableDesign, UniqueConstraint
from mysql2ddb.tools.modeling.recommend_plan import Plan, Stmt
from mysql2ddb.tools.modeling.unique_decisions import SourceUnique, schema_uniques
from mysql2ddb.tools.modeling.unique_keys import GUARD_SK, guard_of, kept_by_key


def _constraint(plan: Plan, table: TableDesign, entity: EntityDesign, u: SourceUnique) -> UniqueConstraint:
    cols = ", ".join(u.columns)
    source = entity.source_table if table.is_multi_entity else None
    if kept_by_key(table, entity, u.columns):
        return UniqueConstraint(columns=u.columns, enforced_by="table_key", source_table=source,
                                justification=f"the {table.name} item key is built from {cols}: a second row with "
                                              "the same values is the same item, and puts use attribute_not_exists")
    info = plan.idx.table(u.table)
    if u.key == "PRIMARY" and info is not None and len(u.columns) == 1 and \
            (col := info.column(u.columns[0])) is not None and col.auto_increment:
        return UniqueConstraint(columns=u.columns, enforced_by="not_enforced", source_table=source,
                                justification=f"{cols} is an auto-increment id and the {table.name} item key is not "
                                              "made of it alone: new ids must come from a generator that never "
                                              "repeats (UUIDs, or an atomic counter item)")
    unkeyable = [c for c in u.columns if plan.idx.key_type(u.table, c) is None or entity.attribute(c) is None]
    if unkeyable:
        return UniqueConstraint(columns=u.columns, enforced_by="not_enforced", source_table=source,
                                justification=f"{', '.join(unkeyable)} cannot be a key attribute, so no guard item "
                                              "can hold the value: check uniqueness in the application")
    if u.nulls != 0:
        held = f"the data holds {u.nulls} NULL(s)" if u.nulls else "its NULLs are not counted (large table)"
        return UniqueConstraint(columns=u.columns, enforced_by="not_enforced", source_table=source,
                                justification=f"{cols} allows NULL and {held}; a guard item cannot be keyed by NULL: "
                                              "make the columns NOT NULL to guard them, or check in the application")
    return UniqueConstraint(columns=u.columns, enforced_by="guard_item", source_table=source,
                            justification=f"{u.table}.{cols} must stay unique: a guard item per value, put with "
                                          "attribute_not_exists(PK) in the transaction that writes the row")


def plan_unique(plan: Plan) -> None:
    """Each planned table's unique_constraints, for every UNIQUE key of the MySQL tables it holds as items."""
    for u in schema_uniques(plan.idx.analysis):
        home = plan.homes.get(u.table)
        if home is None or home.kind == "embedded" or home.entity is None:
            continue
        table = plan.tables[home.table]
        if u.key == "PRIMARY" and kept_by_key(table, home.entity, u.columns):
            continue
        constraint = _constraint(plan, table, home.entity, u)
        if constraint.enforced_by == "guard_item":
            constraint.guard_table, constraint.guard_entity = guard_of(table, constraint)  # type: ignore[misc]
        table.unique_constraints.append(constraint)


def _guard_op(kind: str, guard: tuple[str, str], columns: list[str], old: bool, why: str) -> Operation:
    value = f"{guard[1]}#" + "#".join(f"{{{'old_' if old else ''}{c}}}" for c in columns)
    put = kind == "PutItem"
    return Operation(type=kind, table=guard[0], entity=guard[1],  # type: ignore[arg-type]
                     key_condition=KeyCondition(pk_attribute="PK", pk_value=value, sk_attribute="SK",
                                                sk_operator="=", sk_value=GUARD_SK),
                     filter="attribute_not_exists(PK)" if put else None, description=why)


def guard_ops(s: Stmt, table: TableDesign, entity: EntityDesign) -> list[Operation]:
    """The guard writes a write statement on `entity` needs, in the same transaction."""
    ops: list[Operation] = []
    changed = {c.column.lower() for c in s.selected}
    for constraint in table.unique_constraints:
        guard = guard_of(table, constraint)
        if guard is None or (constraint.source_table and constraint.source_table.lower() != entity.source_table.lower()):
            continue
        cols, what = constraint.columns, f"{entity.source_table} ({', '.join(constraint.columns)})"
        if s.keys.statement == "insert":
            ops.append(_guard_op("PutItem", guard, cols, False, f"claim the value: keeps {what} unique"))
        elif s.keys.statement == "delete":
            ops.append(_guard_op("DeleteItem", guard, cols, False, f"release the value of {what}"))
        elif changed & {c.lower() for c in cols}:
            ops.append(_guard_op("DeleteItem", guard, cols, True, f"release the old value of {what}"))
            ops.append(_guard_op("PutItem", guard, cols, False, f"claim the new value: keeps {what} unique"))
    return ops
