"""Relationships from the schema's structure, before any data is read:

- every foreign key to a table of the same database is a parent->child relationship, declared
  1:1 when the child's FK columns are unique (a unique index within them), 1:N otherwise;
- a junction table (its primary key, or a unique key, is exactly the columns of two foreign
  keys) links its two parents M:N;
- a column with no constraint that carries another table's single-column primary key name
  (`film_text.film_id` -> `film.film_id`) is an *inferred* relationship: nothing enforces it, so
  its orphans matter most.

cardinality.py then measures each from the data.
"""

from __future__ import annotations

from mysql2ddb.tools.analysis.schema_model import ForeignKey, Relationship, TableInfo

GENERIC_KEY_NAMES = frozenset({"id", "uuid", "guid", "code", "name", "key", "pk"})
_INT_TYPES = frozenset({"tinyint", "smallint", "mediumint", "int", "integer", "bigint"})
_TEXT_TYPES = frozenset({"char", "varchar"})


def unique_sets(info: TableInfo) -> list[set[str]]:
    """Column sets the table keeps unique (primary key and unique indexes)."""
    return [{c.lower() for c in i.columns} for i in info.indexes if i.unique]


def is_unique(info: TableInfo, columns: list[str]) -> bool:
    """True when some unique index lies within `columns` (so `columns` cannot repeat)."""
    wanted = {c.lower() for c in columns}
    return any(s and s <= wanted for s in unique_sets(info))


def _family(data_type: str) -> str:
    if data_type in _INT_TYPES:
        return "int"
    if data_type in _TEXT_TYPES:
        return "text"
    return data_type


def _fk_relationship(child: TableInfo, fk: ForeignKey) -> Relationship:
    declared = "1:1" if is_unique(child, fk.columns) else "1:N"
    return Relationship(parent=fk.ref_table, child=child.name, columns=list(fk.columns),
                        ref_columns=list(fk.ref_columns), cardinality=declared, declared_cardinality=declared,
                        source="foreign_key", name=fk.name)


def junction_pair(info: TableInfo) -> tuple[ForeignKey, ForeignKey] | None:
    """The two foreign keys whose columns make up the primary key (or a unique key), in key order."""
    fks = [fk for fk in info.foreign_keys if fk.ref_schema is None]
    keys = [info.primary_key] + [u.columns for u in info.unique_keys]
    for key in keys:
        wanted = [c.lower() for c in key]
        if not wanted:
            continue
        for i, a in enumerate(fks):
            for b in fks[i + 1:]:
                cols_a, cols_b = {c.lower() for c in a.columns}, {c.lower() for c in b.columns}
                if cols_a & cols_b or (cols_a | cols_b) != set(wanted) or len(wanted) != len(cols_a) + len(cols_b):
                    continue
                first = min(wanted.index(c) for c in cols_a) < min(wanted.index(c) for c in cols_b)
                return (a, b) if first else (b, a)
    return None


def _junction_relationship(info: TableInfo, pair: tuple[ForeignKey, ForeignKey]) -> Relationship:
    a, b = pair
    return Relationship(parent=a.ref_table, child=b.ref_table, columns=list(a.columns), ref_columns=list(a.ref_columns),
                        cardinality="M:N", declared_cardinality="M:N", source="junction", via=info.name,
                        via_columns=list(b.columns), via_ref_columns=list(b.ref_columns))


def _inferred(tables: list[TableInfo]) -> list[Relationship]:
    owners: dict[str, list[TableInfo]] = {}
    for t in tables:
        if len(t.primary_key) == 1 and t.primary_key[0].lower() not in GENERIC_KEY_NAMES:
            owners.setdefault(t.primary_key[0].lower(), []).append(t)
    out: list[Relationship] = []
    for child in tables:
        constrained = {c.lower() for fk in child.foreign_keys for c in fk.columns}
        own_pk = [c.lower() for c in child.primary_key]
        for column in child.columns:
            name = column.name.lower()
            if name in constrained or name not in owners:
                continue
            candidates = [p for p in owners[name] if p.name != child.name]
            named = [p for p in candidates if name in (p.name.lower() + "_id", p.name.lower() + "id")]
            if own_pk == [name] or len(candidates) != 1:
                candidates = named  # sharing a key name: only the table the name points at is the parent
            if len(candidates) != 1:
                continue
            parent = candidates[0]
            ref = parent.column(parent.primary_key[0])
            if ref is None or _family(ref.data_type) != _family(column.data_type):
                continue
            declared = "1:1" if is_unique(child, [column.name]) else "1:N"
            out.append(Relationship(parent=parent.name, child=child.name, columns=[column.name],
                                    ref_columns=[ref.name], cardinality=declared, declared_cardinality=declared,
                                    source="inferred"))
    return out


def derive_relationships(tables: list[TableInfo]) -> list[Relationship]:
    known = {t.name for t in tables}
    out: list[Relationship] = []
    for info in tables:
        out += [_fk_relationship(info, fk) for fk in info.foreign_keys
                if fk.ref_schema is None and fk.ref_table in known]
    for info in tables:
        pair = junction_pair(info)
        if pair is not None and all(fk.ref_table in known for fk in pair):
            out.append(_junction_relationship(info, pair))
    return out + _inferred(tables)
