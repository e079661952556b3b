"""Where each MySQL table lives in the recommended design (its "home"), decided from the access
patterns before any operation is mapped:

- embedded: a junction table read only from one side, with few rows per parent (measured) and
  no write pattern, becomes a list inside the parent's item (a film's actors);
- member: a child listed by its parent's key in an order (a customer's recent rentals), whose
  parent is itself read by key, joins the parent in one item collection (multi-entity table,
  `PARENT#{id}` / `CHILD#{order column}#{child key}`);
- own: every other table gets its own table keyed by its natural primary key, so no row is lost
  even when no pattern reads it yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from mysql2ddb.tools.modeling import naming
from mysql2ddb.tools.modeling.design import Denormalization, Dropped, EntityDesign, KeyDef, TableDesign
from mysql2ddb.tools.modeling.recommend_attrs import EMBED_MAX, own_attribute
from mysql2ddb.tools.modeling.recommend_schema import AUDIT_COLUMNS, SchemaIndex, value_class
from mysql2ddb.tools.modeling.registry import AccessPattern
from mysql2ddb.tools.modeling.sql_keys import RangeUse, SelectUse, StatementKeys
from mysql2ddb.tools.modeling.table_keys import CHOOSE_HINT, keyless_note, synthetic_attribute


def pascal(name: str) -> str:
    """`film_category` -> `FilmCategory`, `countrylanguage` -> `CountryLanguage` (naming.py)."""
    return naming.pascal(name)


def plural(name: str) -> str:
    word = pascal(name)
    lower = word.lower()
    if lower.endswith(("staff", "data", "info", "media", "series", "inventory")):
        return word
    if lower.endswith("y") and lower[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is")):
        return word  # already plural: `items`, `orders`
    if lower.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


@dataclass
class Stmt:
    """One statement of one pattern, resolved against the schema."""

    pattern: AccessPattern
    pos: int
    keys: StatementKeys
    main: str
    eq: list[str] = field(default_factory=list)
    in_list: bool = False
    ranges: list[RangeUse] = field(default_factory=list)
    order: list[tuple[str, str, str]] = field(default_factory=list)  # (table, column, ASC|DESC)
    selected: list[SelectUse] = field(default_factory=list)
    null_checks: list[tuple[str, str]] = field(default_factory=list)
    repeats: float = 1.0  # executions per run of the pattern (a loop), measured

    @property
    def write(self) -> bool:
        return self.keys.statement in ("insert", "update", "delete")

    @property
    def paged(self) -> bool:
        return self.keys.limit is not None or self.keys.offset


def resolve_statements(idx: SchemaIndex, patterns: list[AccessPattern]) -> list[Stmt]:
    out: list[Stmt] = []
    for pattern in patterns:
        parsed = [(s.keys, s.repeats_avg) for s in pattern.statements if s.keys is not None]
        for pos, (keys, repeats) in enumerate(parsed):
            main = keys.table and idx.table(keys.table)
            if keys.parse_error or not main:
                continue
            tables = [keys.table] + [t for t in keys.tables if t != keys.table]
            stmt = Stmt(pattern=pattern, pos=pos, keys=keys, main=main.name, repeats=repeats)
            for e in keys.equality:
                if idx.resolve(e.table, e.column, tables) == main.name and main.column(e.column):
                    stmt.eq.append(main.column(e.column).name)  # type: ignore[union-attr]
                    stmt.in_list = stmt.in_list or e.in_list
            stmt.ranges = [r for r in keys.ranges if idx.resolve(r.table, r.column, tables) == main.name]
            for o in keys.order_by:
                table = idx.resolve(o.table, o.column, tables)
                if table:
                    stmt.order.append((table, o.column, o.direction))
            for s in keys.columns:
                table = idx.resolve(s.table, s.column, tables) if s.column != "*" else idx.name(s.table or main.name)
                if table:
                    stmt.selected.append(s.model_copy(update={"table": table}))
            stmt.null_checks = [(t, n.column) for n in keys.null_checks if (t := idx.resolve(n.table, n.column, tables))]
            out.append(stmt)
    return out


HomeKind = Literal["own", "member", "embedded"]


@dataclass
class Home:
    kind: HomeKind
    table: str  # the design table holding the rows (embedded: the parent's table)
    entity: EntityDesign | None = None
    parent: str | None = None  # member/embedded: the MySQL parent table
    fk: list[str] = field(default_factory=list)  # member/embedded: this table's columns to the parent
    sk_order: str | None = None  # member: the column its sort key orders by
    list_attribute: str | None = None  # embedded: the parent's list attribute


@dataclass
class Plan:
    idx: SchemaIndex
    stmts: list[Stmt]
    homes: dict[str, Home] = field(default_factory=dict)
    tables: dict[str, TableDesign] = field(default_factory=dict)
    denormalizations: list[Denormalization] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table_name(self, wanted: str) -> str:
        """A DynamoDB table name not used yet in this design (3-255 characters)."""
        name = wanted if len(wanted) >= 3 else f"{wanted}Table"
        n = 2
        while name.lower() in {t.lower() for t in self.tables}:
            name, n = f"{wanted}{n}", n + 1
        return name

    def entity_of(self, mysql_table: str) -> EntityDesign | None:
        home = self.homes.get(mysql_table)
        return home.entity if home else None

    def writes_to(self, mysql_table: str) -> bool:
        return any(s.write and s.main == mysql_table for s in self.stmts)


def _embeddable_junctions(plan: Plan) -> dict[str, tuple[str, list[str]]]:
    """junction -> (parent side, junction columns to it) for junctions every read reaches from one side."""
    idx, out = plan.idx, {}
    for name in {s.main for s in plan.stmts if idx.is_junction(s.main)}:
        rel = idx.junction(name)
        reads = [s for s in plan.stmts if s.main == name]
        if rel is None or plan.writes_to(name) or any(s.paged or s.order for s in reads):
            continue
        sides = {rel.parent: list(rel.columns), rel.child: list(rel.via_columns)}
        chosen = {(side, tuple(cols)) for s in reads for side, cols in sides.items()
                  if sorted(c.lower() for c in s.eq) == sorted(c.lower() for c in cols)}
        if len(chosen) != 1:
            continue
        side, cols = next(iter(chosen))
        bound = idx.junction_bound(name, side)
        if bound is not None and bound <= EMBED_MAX and len(idx.primary_key(side)) == len(cols):
            out[name] = (side, list(cols))
    return out


def _collections(plan: Plan, embedded: set[str]) -> dict[str, tuple[str, list[str], str, str]]:
    """child -> (parent, fk columns, order column, direction) for children listed by parent key in order."""
    idx, out = plan.idx, {}
    read_by_key = {s.main for s in plan.stmts if not s.write and s.eq and
                   sorted(c.lower() for c in s.eq) == sorted(c.lower() for c in idx.primary_key(s.main))}
    parents: set[str] = set()
    for s in plan.stmts:
        if s.write or s.main in out or s.main in embedded or idx.is_junction(s.main) or not s.eq:
            continue
        fk = idx.foreign_key(s.main, s.eq)
        order = [(t, c, d) for t, c, d in s.order if t == s.main]
        if fk is None or not order or fk.ref_table == s.main or len(idx.primary_key(fk.ref_table)) != 1:
            continue
        parent = idx.name(fk.ref_table)
        if parent not in read_by_key or parent in out or parent in embedded or idx.is_junction(parent):
            continue
        if s.main in parents or not idx.sortable_as_text(s.main, order[0][1]) or not idx.primary_key(s.main):
            continue
        out[s.main] = (parent, list(fk.columns), order[0][1], order[0][2])
        parents.add(parent)
    return out


def _key(plan: Plan, table: str, column: str, justification: str) -> KeyDef:
    typ = plan.idx.key_type(table, column) or "S"
    source = f"{table}.{column}" if plan.idx.column(table, column) is not None else None  # None: the row hash
    return KeyDef(attribute=column, type=typ, source_column=source, justification=justification)  # type: ignore[arg-type]


KEY_WHY = {"primary": "natural key of {t}", "unique_pair": "{t}'s unique pair of foreign keys (its id is a surrogate)",
           "unique": "UNIQUE NOT NULL key of {t} (it has no primary key)",
           "unique_no_nulls": "UNIQUE key of {t} (no primary key; no NULL in the data)",
           "chosen": "the key you chose for {t} (it has no primary key)",
           "synthetic": "a hash of the whole {t} row (your choice: it has no key)"}


def _entity(plan: Plan, table: str) -> EntityDesign:
    attrs = []
    info = plan.idx.table(table)
    for col in info.columns if info else []:
        if value_class(col) is None:
            plan.dropped.append(Dropped(source_table=table, column=col.name,
                                        reason=f"type {col.type} has no DynamoDB mapping; convert it in a view first"))
            continue
        attrs.append(own_attribute(plan.idx, table, col.name))
    key = plan.idx.key_of(table)
    if info is not None and key is not None and key.origin == "synthetic":
        attrs.insert(0, synthetic_attribute(info))
    return EntityDesign(name=table.upper(), source_table=table, attributes=attrs)


def _own_table(plan: Plan, table: str) -> None:
    idx = plan.idx
    key = idx.key_of(table)
    pk = list(key.columns) if key is not None else []
    if key is None or not pk:
        reason = key.reason if key is not None and key.reason else "no usable key"
        plan.dropped.append(Dropped(source_table=table, reason=f"{reason}: DynamoDB items need a unique key; "
                                    + CHOOSE_HINT.format(t=table) + ", then recommend again"))
        plan.notes.append(keyless_note(key) if key is not None else f"{table} has no usable key")
        return
    if key.warning:
        plan.notes.append(key.warning)
    why = KEY_WHY[key.origin or "primary"].format(t=table)
    entity = _entity(plan, table)
    name = plan.table_name(plural(table))
    reads = [s for s in plan.stmts if s.main == table]
    if len(pk) == 2:
        lead = next((c for s in reads for c in pk if [c.lower()] == [e.lower() for e in s.eq]), pk[0])
        pk = [lead] + [c for c in pk if c != lead]
    served = sorted({s.pattern.id for s in reads}) or ["no pattern yet"]
    if len(pk) <= 2 and all(idx.key_type(table, c) for c in pk):
        design = TableDesign(name=name, purpose=f"{table} rows by their {'primary ' if key.origin == 'primary' else ''}key "
                                                 f"({', '.join(served)})",
                             partition_key=_key(plan, table, pk[0], why),
                             sort_key=_key(plan, table, pk[1], f"second part of {table}'s key") if len(pk) == 2 else None,
                             entities=[entity])
    else:  # a 3+ column key (or one with a non-key type) becomes one templated key pair
        entity.pk_template = f"{table.upper()}#{{{pk[0]}}}"
        entity.sk_template = "#".join(f"{{{c}}}" for c in pk[1:]) or table.upper()
        design = TableDesign(name=name, type="multi-entity", purpose=f"{table} rows by their composite key",
                             partition_key=KeyDef(attribute="PK", justification=f"{table}.{pk[0]}"),
                             sort_key=KeyDef(attribute="SK", justification=f"rest of {table}'s key"),
                             entities=[entity])
    plan.tables[name] = design
    plan.homes[table] = Home(kind="own", table=name, entity=entity)


def _collection_table(plan: Plan, parent: str, members: dict[str, tuple[str, list[str], str, str]]) -> None:
    idx = plan.idx
    ppk = idx.primary_key(parent)[0]
    pentity = _entity(plan, parent)
    pentity.pk_template, pentity.sk_template = f"{parent.upper()}#{{{ppk}}}", parent.upper()
    name = plan.table_name(pascal(parent) + "".join(plural(c) for c in members))
    entities = [pentity]
    for child, (_, fk, order_col, direction) in members.items():
        centity = _entity(plan, child)
        centity.pk_template = f"{parent.upper()}#{{{fk[0]}}}"
        centity.sk_template = f"{child.upper()}#{{{order_col}}}#" + "#".join(f"{{{c}}}" for c in idx.primary_key(child))
        entities.append(centity)
        plan.homes[child] = Home(kind="member", table=name, entity=centity, parent=parent, fk=fk, sk_order=order_col)
    children = ", ".join(members)
    table = TableDesign(
        name=name, type="multi-entity", purpose=f"a {parent} and its {children} in one item collection",
        partition_key=KeyDef(attribute="PK", template=f"{parent.upper()}#{{{ppk}}}",
                             justification=f"patterns start from one {parent}",
                             distribution=f"{idx.rows(parent) or '?'} {parent} partitions"),
        sort_key=KeyDef(attribute="SK", justification=f"{parent.upper()} for the {parent} item, then "
                        + ", ".join(f"{c.upper()}#<{o}>#<key>" for c, (_, _, o, _) in members.items())
                        + " in order"),
        entities=entities)
    plan.tables[name] = table
    plan.homes[parent] = Home(kind="own", table=name, entity=pentity)


def plan_homes(plan: Plan) -> None:
    idx = plan.idx
    embedded = _embeddable_junctions(plan)
    collections = _collections(plan, set(embedded))
    by_parent: dict[str, dict[str, tuple[str, list[str], str, str]]] = {}
    for child, spec in collections.items():
        by_parent.setdefault(spec[0], {})[child] = spec
    for parent, members in by_parent.items():
        _collection_table(plan, parent, members)
    for table in idx.tables:
        if table not in plan.homes and table not in embedded:
            _own_table(plan, table)
    for junction, (side, cols) in embedded.items():
        parent_home = plan.homes.get(side)
        if parent_home is None or parent_home.entity is None:
            _own_table(plan, junction)
            continue
        plan.homes[junction] = Home(kind="embedded", table=parent_home.table, parent=side, fk=cols)
        info = idx.table(junction)
        rel = idx.junction(junction)
        keep = {c.lower() for c in (rel.columns + rel.via_columns)} if rel else set()
        for col in info.columns if info else []:
            if col.name.lower() not in keep:
                reason = ("audit timestamp of the link row" if col.name.lower() in AUDIT_COLUMNS
                          else "link-row detail not carried by the embedded list")
                plan.dropped.append(Dropped(source_table=junction, column=col.name, reason=reason))
