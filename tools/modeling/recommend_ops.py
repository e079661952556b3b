"""Building blocks for mapping patterns onto the planned tables: item keys, GSIs (reused when
their keys match, projections grown to what the queries read), copies of joined parent columns
along the statement's own joins, embedded lists, filters, and the denormalization record."""

from __future__ import annotations

from dataclasses import dataclass, field

from mysql2ddb.tools.modeling.design import Denormalization, EntityDesign, GsiDesign, KeyCondition, KeyDef, TableDesign
from mysql2ddb.tools.modeling.recommend_attrs import (
    Hop, copy_attribute, embed_attribute, initial_attribute, junction_condition, open_child_attribute,
)
from mysql2ddb.tools.modeling.recommend_plan import Home, Plan, Stmt, pascal, plural

KEY_TYPES = ("S", "N", "B")


@dataclass
class Edge:
    a: str
    a_cols: list[str]
    b: str
    b_cols: list[str]
    conditions: list[str] = field(default_factory=list)
    left: bool = False


def item_key(table: TableDesign, entity: EntityDesign, values: dict[str, str] | None = None) -> KeyCondition:
    """Full primary key of one entity's item; values are `:attr` placeholders or the entity's templates."""
    values = values or {}
    if table.is_multi_entity:
        return KeyCondition(pk_attribute=table.partition_key.attribute,
                            pk_value=values.get("pk", entity.pk_template or ":pk"),
                            sk_attribute=table.sort_key.attribute if table.sort_key else None,
                            sk_operator="=" if table.sort_key else None,
                            sk_value=values.get("sk", entity.sk_template) if table.sort_key else None)
    pk, sk = table.partition_key.attribute, table.sort_key.attribute if table.sort_key else None
    return KeyCondition(pk_attribute=pk, pk_value=values.get("pk", f":{pk}"), sk_attribute=sk,
                        sk_operator="=" if sk else None, sk_value=values.get("sk", f":{sk}") if sk else None)


class Mapper:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.idx = plan.idx
        self.needs: dict[tuple[str, str], set[str]] = {}  # (table, gsi) -> attributes read through it

    # ---- joins of a statement ----------------------------------------------------------------

    def edges(self, s: Stmt) -> list[Edge]:
        tables = [s.main] + s.keys.tables
        out: list[Edge] = []
        for join in s.keys.joins:
            groups: dict[tuple[str, str], Edge] = {}
            for a, b in join.pairs:
                ta, tb = self.idx.resolve(a.table, a.column, tables), self.idx.resolve(b.table, b.column, tables)
                if not ta or not tb or ta == tb:
                    continue
                edge = groups.setdefault((ta, tb), Edge(ta, [], tb, [], list(join.conditions), join.kind == "left"))
                edge.a_cols.append(a.column)
                edge.b_cols.append(b.column)
            out += groups.values()
        return out

    def _parent_hop(self, edge: Edge, source: str) -> Hop | None:
        """The edge walked from `source` towards a parent (FK or the target's primary key)."""
        if edge.a == source:
            src, src_cols, dst, dst_cols = edge.a, edge.a_cols, edge.b, edge.b_cols
        elif edge.b == source:
            src, src_cols, dst, dst_cols = edge.b, edge.b_cols, edge.a, edge.a_cols
        else:
            return None
        is_fk = self.idx.foreign_key(src, src_cols, dst) is not None
        is_pk = sorted(c.lower() for c in dst_cols) == sorted(c.lower() for c in self.idx.primary_key(dst))
        return Hop(src, list(src_cols), dst, list(dst_cols)) if (is_fk or is_pk) and not edge.conditions else None

    def parent_path(self, s: Stmt, target: str) -> list[Hop] | None:
        frontier: list[tuple[str, list[Hop]]] = [(s.main, [])]
        seen = {s.main}
        edges = self.edges(s)
        while frontier:
            table, path = frontier.pop(0)
            for edge in edges:
                hop = self._parent_hop(edge, table)
                if hop is None or hop.target in seen:
                    continue
                if hop.target == target:
                    return path + [hop]
                seen.add(hop.target)
                frontier.append((hop.target, path + [hop]))
        return None

    def child_edges(self, s: Stmt) -> list[tuple[Edge, Hop]]:
        """LEFT joins from the main table to a child (child.fk = main.key), with the child->main hop."""
        out = []
        for edge in self.edges(s):
            for child, main in ((edge.a, edge.b), (edge.b, edge.a)):
                if main != s.main:
                    continue
                cols = edge.a_cols if edge.a == child else edge.b_cols
                main_cols = edge.b_cols if edge.a == child else edge.a_cols
                if self.idx.foreign_key(child, cols, main) is not None:
                    out.append((edge, Hop(child, list(cols), main, list(main_cols))))
        return out

    # ---- attributes ---------------------------------------------------------------------------

    def add_attribute(self, entity: EntityDesign, attr) -> str:
        existing = entity.attribute(attr.name)
        if existing is None:
            entity.attributes.append(attr)
        return attr.name

    def copy(self, s: Stmt, entity: EntityDesign, target: str, column: str, alias: str | None) -> str | None:
        """Attribute of `entity` holding `target.column`, copied along the statement's joins."""
        path = self.parent_path(s, target)
        if path is None:
            return None
        first = path[0]
        if len(path) == 1 and column in first.target_cols:  # the join column itself: the local FK
            local = entity.attribute(first.source_cols[first.target_cols.index(column)])
            if local is not None:
                return local.name
        for attr in entity.attributes:  # the same copy made for another pattern
            join = attr.join
            if join is not None and getattr(join, "select_column", None) == f"{target}.{column}":
                return attr.name
        name = alias or column
        if entity.attribute(name) is not None:
            name = f"{target}_{column}"
        why = f"{s.pattern.id} reads {target}.{column} with the {s.main}; copied so one read serves it"
        self.add_attribute(entity, copy_attribute(self.idx, name, path, column, why))
        self.record(entity, name, target, [column], "copy", why, s.pattern.id,
                    f"a change to {target}.{column} rewrites the copies")
        return name

    def attribute_for(self, s: Stmt, entity: EntityDesign, table: str, column: str, alias: str | None = None) -> str | None:
        if table == entity.source_table:
            attr = entity.attribute(column)
            return attr.name if attr else None
        return self.copy(s, entity, table, column, alias)

    def selected(self, s: Stmt, entity: EntityDesign) -> list[str]:
        out: list[str] = []
        for sel in s.selected:
            if sel.column == "*":
                out.append("*") if sel.table == entity.source_table else None
                continue
            name = self.attribute_for(s, entity, sel.table or s.main, sel.column, sel.alias)
            if name and name not in out:
                out.append(name)
            elif not name:
                self.plan.notes.append(f"{s.pattern.id}: {sel.table}.{sel.column} is not reachable from "
                                       f"{s.main} through a parent join; read it separately")
        return out

    def initial(self, entity: EntityDesign, column: str) -> str:
        return self.add_attribute(entity, initial_attribute(entity.source_table, column))

    def open_flag(self, s: Stmt, entity: EntityDesign, edge: Edge, hop: Hop) -> str:
        attr = open_child_attribute(self.idx, entity.source_table, hop.source, hop, edge.conditions,
                                    f"{s.pattern.id} counts {entity.source_table} rows without a matching "
                                    f"{hop.source}; the flag replaces the anti-join")
        name = self.add_attribute(entity, attr)
        self.record(entity, name, hop.source, hop.source_cols, "copy", attr.justification or "", s.pattern.id,
                    f"writes to {hop.source} set and reset it in the same transaction")
        return name

    def embed(self, s: Stmt, home: Home) -> tuple[EntityDesign, str]:
        """The parent's list attribute carrying an embedded junction's other side."""
        idx, junction = self.idx, s.main
        rel = idx.junction(junction)
        parent = home.parent or ""
        other = rel.child if rel and rel.parent == parent else (rel.parent if rel else "")
        to_other = list(rel.via_columns if rel and rel.parent == parent else rel.columns) if rel else []
        other_pk = idx.primary_key(other)
        entity = self.plan.homes[parent].entity
        assert entity is not None
        wanted = list(other_pk) + [c.column for c in s.selected if c.table == other and c.column != "*"]
        if any(c.column == "*" and c.table == other for c in s.selected):
            info = idx.table(other)
            wanted += [c.name for c in info.columns] if info else []
        name = home.list_attribute or plural(other).lower()
        current = entity.attribute(name)
        if current is not None and current.join is not None:
            wanted = list(current.join.construction.select_columns) + wanted  # type: ignore[union-attr]
            entity.attributes.remove(current)
        wanted = list(dict.fromkeys(wanted))
        order = [c for t, c, _ in s.order if t == other] or list(other_pk)
        condition = junction_condition(parent, idx.primary_key(parent), junction, home.fk, to_other, other, other_pk)
        why = (f"{s.pattern.id} lists a {parent}'s {other} rows: embedded (at most "
               f"{idx.junction_bound(junction, parent)} per {parent}, measured) so one GetItem serves it")
        entity.attributes.append(embed_attribute(idx, name, parent, idx.primary_key(parent), other, condition,
                                                 wanted, order, why))
        home.list_attribute = name
        self.record(entity, name, other, wanted, "embed", why, s.pattern.id,
                    f"a change to {junction} or to a listed {other} rewrites the list of each {parent} concerned")
        return entity, name

    def record(self, entity: EntityDesign, attr: str, source: str, columns: list[str], kind: str, why: str,
               pattern: str, strategy: str) -> None:
        table = self.table_of(entity).name
        for d in self.plan.denormalizations:
            if d.table == table and d.source_table == source and d.kind == kind:
                d.attributes = list(dict.fromkeys(d.attributes + [attr]))
                d.source_columns = list(dict.fromkeys(d.source_columns + columns))
                d.patterns = sorted(set(d.patterns) | {pattern})
                return
        self.plan.denormalizations.append(Denormalization(
            table=table, attributes=[attr], source_table=source, source_columns=list(columns), kind=kind,  # type: ignore[arg-type]
            justification=why, update_strategy=strategy, patterns=[pattern]))

    def table_of(self, entity: EntityDesign) -> TableDesign:
        return next(t for t in self.plan.tables.values() if any(e is entity for e in t.entities))

    # ---- indexes ------------------------------------------------------------------------------

    def key_def(self, entity: EntityDesign, attribute: str, why: str) -> KeyDef | None:
        attr = entity.attribute(attribute)
        if attr is None or attr.type not in KEY_TYPES:
            return None
        source = f"{attr.source_table}.{attr.source_column}" if attr.is_plain and isinstance(attr.source_column, str) else None
        return KeyDef(attribute=attribute, type=attr.type, source_column=source, justification=why)  # type: ignore[arg-type]

    def gsi(self, table: TableDesign, entity: EntityDesign, pk: str, sk: str | None, needs: list[str],
            purpose: str) -> GsiDesign | None:
        pk_def = self.key_def(entity, pk, purpose)
        sk_def = self.key_def(entity, sk, purpose) if sk else None
        if pk_def is None or (sk and sk_def is None):
            return None
        found = next((g for g in table.gsis if g.partition_key.attribute == pk and
                      (g.sort_key.attribute if g.sort_key else None) == sk), None)
        if found is None:
            found = GsiDesign(name=f"By{pascal(pk)}" + (pascal(sk) if sk else ""), partition_key=pk_def,
                              sort_key=sk_def, projection="KEYS_ONLY", purpose=purpose)
            table.gsis.append(found)
        elif purpose not in (found.purpose or ""):
            found.purpose = f"{found.purpose}; {purpose}"
        self.needs.setdefault((table.name, found.name), set()).update(needs)
        return found

    def finish_projections(self) -> None:
        for table in self.plan.tables.values():
            for gsi in table.gsis:
                needs = self.needs.get((table.name, gsi.name), set())
                keys = set(table.key_attributes()) | {gsi.partition_key.attribute}
                keys |= {gsi.sort_key.attribute} if gsi.sort_key else set()
                extra = sorted(needs - keys)
                if "*" in extra:
                    gsi.projection, gsi.projected_attributes = "ALL", []
                elif extra:
                    gsi.projection, gsi.projected_attributes = "INCLUDE", extra
                else:
                    gsi.projection, gsi.projected_attributes = "KEYS_ONLY", []

    def items(self, table: str, column: str | None, limit: int | None) -> float:
        """Expected items a Query returns: the LIMIT, else rows per distinct value of its key column."""
        if limit is not None:
            return float(limit)
        rows, distinct = self.idx.rows(table), self.idx.distinct(table, column) if column else None
        if rows and distinct:
            return round(max(1.0, rows / distinct), 1)
        return 1.0
