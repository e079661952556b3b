"""Write patterns: each INSERT/UPDATE/DELETE becomes a Put/Update/Delete on the row's item, plus
an UpdateItem on every item whose derived attribute (an open-child flag, an embedded list) the
write changes, plus a ConditionCheck on each parent the new row references (the foreign key
DynamoDB does not enforce), plus the guard items of UNIQUE keys (recommend_unique.py). More than
one item changed -> one TransactWriteItems. A statement repeated in a loop (its measured average
repetitions per transaction) touches that many items in each of its requests (`items`), which is
what the cost model multiplies."""

from __future__ import annotations

from mysql2ddb.tools.contract.model import Attribute, ConditionalJoin, JsonConstructionJoin
from mysql2ddb.tools.modeling.design import EntityDesign, Operation, PatternMapping, TableDesign
from mysql2ddb.tools.modeling.recommend_map import locate_item, map_read
from mysql2ddb.tools.modeling.recommend_ops import Mapper, item_key
from mysql2ddb.tools.modeling.recommend_plan import Stmt
from mysql2ddb.tools.modeling.recommend_unique import guard_ops

MAX_ACTIONS = 100


def _touches(attr: Attribute, table: str) -> str | None:
    """'flag' / 'list' when the attribute is derived from rows of `table` (a child of its item)."""
    join = attr.join
    if isinstance(join, ConditionalJoin) and join.target_table == table:
        return "flag"
    if isinstance(join, JsonConstructionJoin) and (join.target_table == table or table in join.join_condition):
        return "list"
    return None


def _fragment_columns(attr: Attribute, table: str) -> set[str]:
    join = attr.join
    texts = [getattr(join, n, "") or "" for n in ("condition", "join_condition", "select_column")]
    prefix = f"{table}."
    return {word[len(prefix):].strip("()',").lower() for text in texts for word in text.replace("(", " ").split()
            if word.startswith(prefix)}


def _dependents(m: Mapper, s: Stmt) -> list[tuple[TableDesign, EntityDesign, Attribute, str]]:
    changed = {c.column.lower() for c in s.selected}
    out = []
    for table in m.plan.tables.values():
        for entity in table.entities:
            for attr in entity.attributes:
                kind = _touches(attr, s.main)
                if kind is None or entity.source_table == s.main:
                    continue
                if s.keys.statement == "update" and not (changed & _fragment_columns(attr, s.main)):
                    continue
                out.append((table, entity, attr, kind))
    return out


def _maintenance(m: Mapper, s: Stmt, fk_cols: list[str]) -> list[Operation]:
    ops = []
    for table, entity, attr, kind in _dependents(m, s):
        key = item_key(table, entity)
        if kind == "flag":
            cond = f"{attr.name} = :none" if s.keys.statement == "insert" else None
            update = f"SET {attr.name} = " + (f":{attr.name}" if s.keys.statement == "insert" else ":none")
        else:
            cond, update = None, f"SET {attr.name} = :{attr.name}"
        ops.append(Operation(type="UpdateItem", table=table.name, key_condition=key, filter=cond, update=update,
                             entity=entity.name if table.is_multi_entity else None,
                             description=f"keep {table.name}.{attr.name} in step with {s.main}"))
        info = m.idx.table(s.main)
        for fk in info.foreign_keys if info else []:  # the written row names its dependent item by this FK
            if fk.ref_table.lower() == entity.source_table.lower():
                fk_cols += [c for c in fk.columns if c not in fk_cols]
    return ops


def _fk_checks(m: Mapper, s: Stmt) -> list[Operation]:
    info = m.idx.table(s.main)
    ops = []
    for fk in info.foreign_keys if info else []:
        parent = m.idx.name(fk.ref_table)
        home = m.plan.homes.get(parent)
        if parent == s.main or home is None or home.kind != "own" or home.entity is None:
            continue
        table = m.plan.tables[home.table]
        if sorted(c.lower() for c in fk.ref_columns) != sorted(c.lower() for c in m.idx.primary_key(parent)):
            continue
        key = item_key(table, home.entity)
        ops.append(Operation(type="ConditionCheck", table=table.name, key_condition=key,
                             filter=f"attribute_exists({table.partition_key.attribute})",
                             entity=home.entity.name if table.is_multi_entity else None,
                             description=f"the {parent} exists (replaces the foreign key {', '.join(fk.columns)})"))
    return ops


def map_write(m: Mapper, s: Stmt) -> tuple[list[Operation], list[Operation]]:
    """(lookups before the write, the write actions)."""
    home = m.plan.homes.get(s.main)
    if home is None:
        m.plan.notes.append(f"{s.pattern.id} writes {s.main}, which the design drops")
        return [], []
    if home.kind == "embedded":
        parent_home = m.plan.homes[home.parent or ""]
        table = m.plan.tables[parent_home.table]
        assert parent_home.entity is not None
        name = home.list_attribute or "items"
        return [], [Operation(type="UpdateItem", table=table.name, key_condition=item_key(table, parent_home.entity),
                              update=f"SET {name} = :{name}", description=f"rewrite the embedded {s.main} list")]
    entity = home.entity
    assert entity is not None
    table = m.plan.tables[home.table]
    ent = entity.name if table.is_multi_entity else None
    fk_cols: list[str] = []
    maintenance = _maintenance(m, s, fk_cols)
    if s.keys.statement == "insert":
        action = Operation(type="PutItem", table=table.name, key_condition=item_key(table, entity), entity=ent,
                           filter=f"attribute_not_exists({table.partition_key.attribute})")
        return [], [action] + guard_ops(s, table, entity) + maintenance + _fk_checks(m, s)
    lookups, key = locate_item(m, s, home, table, entity, [c for c in fk_cols if entity.attribute(c)])
    if key is None:
        return lookups, maintenance
    if s.keys.statement == "delete":
        action = Operation(type="DeleteItem", table=table.name, key_condition=key, entity=ent)
    else:
        sets = [c.column for c in s.selected if entity.attribute(c.column)]
        action = Operation(type="UpdateItem", table=table.name, key_condition=key, entity=ent,
                           update="SET " + ", ".join(f"{c} = :{c}" for c in sets) if sets else None)
    return lookups, [action] + guard_ops(s, table, entity) + maintenance


def _same_item(a: Operation, b: Operation) -> bool:
    ka, kb = a.key_condition, b.key_condition
    return a.table == b.table and a.entity == b.entity and ka is not None and kb is not None and \
        (ka.pk_value, ka.sk_value) == (kb.pk_value, kb.sk_value)


def _repeated(ops: list[Operation], repeats: float) -> list[Operation]:
    """A statement run `repeats` times per transaction (a loop, measured) touches that many items."""
    if repeats != 1:
        for op in ops:
            for leaf in op.leaves():
                leaf.items = round(leaf.items * repeats, 3)
    return ops


def map_pattern(m: Mapper, pattern_id: str, stmts: list[Stmt]) -> PatternMapping:
    operations: list[Operation] = []
    lookups: list[Operation] = []
    actions: list[Operation] = []
    for s in stmts:
        if not s.write:
            operations += _repeated(map_read(m, s), s.repeats)
            continue
        found, writes = map_write(m, s)
        lookups += _repeated(found, s.repeats)
        _repeated(writes, s.repeats)
        for op in writes:
            if not any(_same_item(op, done) for done in actions):
                actions.append(op)
    actions = [a for a in actions if a.type != "ConditionCheck"] + [a for a in actions if a.type == "ConditionCheck"]
    if len(actions) > MAX_ACTIONS:
        m.plan.notes.append(f"{pattern_id} changes {len(actions)} items: split it, a transaction holds {MAX_ACTIONS}")
        actions = actions[:MAX_ACTIONS]
    operations += lookups
    if len(actions) > 1:
        operations.append(Operation(type="TransactWriteItems", actions=actions,
                                    description="all or nothing, like the MySQL transaction"))
    else:
        operations += actions
    return PatternMapping(pattern_id=pattern_id, operations=operations)
