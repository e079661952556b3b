"""Each access pattern mapped to the requests that serve it on the planned tables, derived from
its SQL: WHERE equality on the item's key -> GetItem; on a partition key -> Query (ORDER BY/range
on the sort key); on other columns -> Query on a GSI keyed by them; a prefix search -> a GSI on a
computed initial; an anti-join count -> a flag filtered with Select=COUNT. Writes become
Put/Update/Delete, with the copies they invalidate updated and the parents they reference
checked, all in one TransactWriteItems when more than one item changes."""

from __future__ import annotations

from mysql2ddb.tools.modeling.design import EntityDesign, KeyCondition, Operation, TableDesign
from mysql2ddb.tools.modeling.recommend_ops import Mapper, item_key
from mysql2ddb.tools.modeling.recommend_plan import Home, Stmt

RANGE_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "between": "between"}


def _filters(m: Mapper, s: Stmt, entity: EntityDesign, used: set[str]) -> tuple[list[str], list[str]]:
    """(filter terms, attributes they read): extra equalities, ranges off the key, anti-joins, IS NULL."""
    terms, attrs = [], []
    for col in s.eq:
        if col not in used and entity.attribute(col):
            terms.append(f"{col} = :{col}")
            attrs.append(col)
    for r in s.ranges:
        if r.column in used or not entity.attribute(r.column):
            continue
        term = {"prefix": f"begins_with({r.column}, :{r.column})", "between":
                f"{r.column} BETWEEN :{r.column}_from AND :{r.column}_to"}.get(r.operator, f"{r.column} {r.operator} :{r.column}")
        terms.append(term if r.operator != "like" else f"contains({r.column}, :{r.column})")
        attrs.append(r.column)
    for edge, hop in m.child_edges(s):
        if edge.left and any(t == hop.source for t, _ in s.null_checks):
            flag = m.open_flag(s, entity, edge, hop)
            terms.append(f"{flag} = :none")
            attrs.append(flag)
    for table, col in s.null_checks:
        if table == entity.source_table and entity.attribute(col):
            terms.append(f"attribute_not_exists({col})")
            attrs.append(col)
    return terms, attrs


def _direction(s: Stmt, column: str | None) -> bool | None:
    for _, col, direction in s.order:
        if col == column:
            return direction == "ASC"
    return None


def _query(m: Mapper, s: Stmt, table: TableDesign, entity: EntityDesign, index: str | None, pk: str,
           sk: str | None, sk_op: str | None, needs: list[str], used: set[str]) -> Operation:
    terms, filter_attrs = _filters(m, s, entity, used)
    if index:
        m.needs[(table.name, index)].update(needs + filter_attrs)
    kc = KeyCondition(pk_attribute=pk, pk_value=f":{pk}")
    if sk and sk_op:
        kc.sk_attribute, kc.sk_operator = sk, sk_op  # type: ignore[assignment]
        kc.sk_value = f":{sk}_from" if sk_op == "between" else f":{sk}"
        kc.sk_value_to = f":{sk}_to" if sk_op == "between" else None
    count = "COUNT" in s.keys.aggregates
    return Operation(type="Query", table=table.name, index=index, key_condition=kc, filter=" AND ".join(terms) or None,
                     limit=s.keys.limit, scan_forward=_direction(s, sk), select="COUNT" if count else None,
                     attributes=[] if count else [a for a in needs if a != "*"],
                     items=m.items(s.main, pk if entity.attribute(pk) else None, s.keys.limit))


def _gsi_read(m: Mapper, s: Stmt, table: TableDesign, entity: EntityDesign, needs: list[str]) -> Operation:
    idx = m.idx
    eqs = [c for c in s.eq if entity.attribute(c)]
    why = f"{s.pattern.id}: {s.pattern.description}"
    if eqs:
        pk = max(eqs, key=lambda c: (idx.distinct(s.main, c) or 0, -eqs.index(c)))
        rest = [c for c in eqs if c != pk]
        sk, op = (rest[0], "=") if rest else (None, None)
        ranges = [r for r in s.ranges if r.operator in RANGE_OPS or r.operator == "prefix"]
        if sk is None and ranges:
            r = ranges[0]
            sk = r.column
            op = RANGE_OPS.get(r.operator) or ("begins_with" if idx.key_type(s.main, sk) == "S" else None)
        if sk is None and s.order:
            t, col, _ = s.order[0]
            sk = m.attribute_for(s, entity, t, col)
        gsi = m.gsi(table, entity, pk, sk, needs, why)
        if gsi is None and sk is not None:
            sk, op = None, None
            gsi = m.gsi(table, entity, pk, None, needs, why)
        if gsi is not None:
            return _query(m, s, table, entity, gsi.name, pk, sk, op, needs, {pk} | ({sk} if op else set()))
    prefix = next((r for r in s.ranges if r.operator == "prefix" and idx.key_type(s.main, r.column) == "S"), None)
    if prefix is not None and entity.attribute(prefix.column):
        initial = m.initial(entity, prefix.column)
        gsi = m.gsi(table, entity, initial, prefix.column, needs, why)
        if gsi is not None:
            op = _query(m, s, table, entity, gsi.name, initial, prefix.column, "begins_with", needs,
                        {initial, prefix.column})
            op.items = m.items(s.main, prefix.column, s.keys.limit) * 4
            op.description = f"{initial} = the prefix's first letter; begins_with({prefix.column}, :prefix)"
            return op
    terms, _ = _filters(m, s, entity, set())
    m.plan.notes.append(f"{s.pattern.id} has no key to query on: served by a Scan of {table.name}; give it an "
                        "equality or prefix condition, or accept the Scan for a small, rarely read table")
    return Operation(type="Scan", table=table.name, filter=" AND ".join(terms) or None,
                     attributes=[a for a in needs if a != "*"], items=float(idx.rows(s.main) or 1))


def map_read(m: Mapper, s: Stmt) -> list[Operation]:
    home = m.plan.homes.get(s.main)
    if home is None or (home.kind != "embedded" and home.entity is None):
        m.plan.notes.append(f"{s.pattern.id} reads {s.main}, which the design drops")
        return []
    if home.kind == "embedded":
        entity, name = m.embed(s, home)
        table = m.table_of(entity)
        return [Operation(type="GetItem", table=table.name, key_condition=item_key(table, entity),
                          attributes=[name], entity=entity.name if table.is_multi_entity else None)]
    entity = home.entity
    assert entity is not None
    table = m.plan.tables[home.table]
    needs = m.selected(s, entity)
    ent = entity.name if table.is_multi_entity else None
    eq = {c.lower() for c in s.eq}
    pk_cols = {c.lower() for c in m.idx.primary_key(s.main)}
    if home.kind == "member" and eq == {c.lower() for c in home.fk}:
        terms, filter_attrs = _filters(m, s, entity, set(home.fk))
        return [Operation(type="Query", table=table.name, entity=ent, filter=" AND ".join(terms) or None,
                          key_condition=KeyCondition(pk_attribute="PK", pk_value=entity.pk_template or ":pk",
                                                     sk_attribute="SK", sk_operator="begins_with",
                                                     sk_value=f"{entity.name}#"),
                          limit=s.keys.limit, scan_forward=_direction(s, home.sk_order),
                          attributes=[a for a in needs if a != "*"],
                          items=m.items(s.main, home.fk[0], s.keys.limit))]
    if table.is_multi_entity and eq and eq == pk_cols and not s.in_list:
        return [Operation(type="GetItem", table=table.name, key_condition=item_key(table, entity), entity=ent,
                          attributes=[a for a in needs if a != "*"])]
    if not table.is_multi_entity:
        pk = table.partition_key.attribute
        sk = table.sort_key.attribute if table.sort_key else None
        if pk in s.eq and (sk is None or sk in s.eq):
            kind = "BatchGetItem" if s.in_list else "GetItem"
            op = Operation(type="GetItem", table=table.name, key_condition=item_key(table, entity),
                           attributes=[a for a in needs if a != "*"])
            return [Operation(type="BatchGetItem", actions=[op]) if kind == "BatchGetItem" else op]
        ordered_by_key = all(t == s.main and c == sk for t, c, _ in s.order[:1])
        if pk in s.eq and not s.in_list and ordered_by_key:
            r = next((r for r in s.ranges if r.column == sk), None)
            op_ = (RANGE_OPS.get(r.operator) or ("begins_with" if r.operator == "prefix" else None)) if r else None
            return [_query(m, s, table, entity, None, pk, sk if op_ else None, op_, needs, {pk, sk or ""})]
    return [_gsi_read(m, s, table, entity, needs)]


def locate_item(m: Mapper, s: Stmt, home: Home, table: TableDesign, entity: EntityDesign,
            extra: list[str]) -> tuple[list[Operation], KeyCondition | None]:
    """How a write finds its item: directly by key, or a Query on a GSI of its WHERE columns first."""
    eq = {c.lower() for c in s.eq}
    if not table.is_multi_entity:
        keys = {a.lower() for a in table.key_attributes()}
        if keys <= eq:
            return [], item_key(table, entity)
    elif home.kind == "own" and eq == {c.lower() for c in m.idx.primary_key(s.main)}:
        return [], item_key(table, entity)
    lookup = _gsi_read(m, s, table, entity, extra)
    lookup.description = "find the item's key, then write it"
    if lookup.type == "Scan":
        return [lookup], None
    values = {"pk": f":{table.partition_key.attribute}"}
    if table.sort_key:
        values["sk"] = f":{table.sort_key.attribute}"
    return [lookup], item_key(table, entity, values)
