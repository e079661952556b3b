"""Contract attributes recommend_design builds: a source table's own columns, copies of a parent's
columns along foreign keys (one hop: foreign-key / multi-column join; several: chain), a list of
children embedded as native DynamoDB list (json-construction), a computed initial for prefix
searches (case), and a flag for "has an open child row" (conditional join) that a count can filter.

SQL fragments are built as sqlglot ASTs and rendered unquoted, the way contracts are written."""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from mysql2ddb.tools.contract.model import (
    Attribute, CaseCalculation, CaseWhen, ChainHop, ChainJoin, ConditionalJoin, Construction, ForeignKeyJoin,
    JsonConstructionJoin, MultiColumnJoin,
)
from mysql2ddb.tools.modeling.recommend_schema import SchemaIndex

EMBED_MAX = 100  # at most this many children embedded in one item (measured max must not exceed it)
NO_CHILD = "NONE"


def column(table: str, name: str) -> exp.Column:
    return exp.column(name, table=table)


def sql(node: exp.Expression) -> str:
    return node.sql(dialect="mysql")


def equalities(left_table: str, left_cols: list[str], right_table: str, right_cols: list[str]) -> list[exp.EQ]:
    return [exp.EQ(this=column(left_table, lc), expression=column(right_table, rc))
            for lc, rc in zip(left_cols, right_cols)]


def conjunction(parts: list[exp.Expression]) -> exp.Expression:
    return exp.and_(*parts) if len(parts) > 1 else parts[0]


@dataclass
class Hop:
    """One step along a foreign key: rows of `source` find their `target` row."""

    source: str
    source_cols: list[str]
    target: str
    target_cols: list[str]

    def condition(self) -> list[exp.EQ]:
        return equalities(self.target, self.target_cols, self.source, self.source_cols)


def own_attribute(idx: SchemaIndex, table: str, name: str) -> Attribute:
    return Attribute(name=name, type=idx.ddb_type(table, name), source_table=table, source_column=name)  # type: ignore[arg-type]


def copy_attribute(idx: SchemaIndex, name: str, path: list[Hop], target_column: str, justification: str) -> Attribute:
    """A parent's column copied into the item of `path[0].source` (one hop or a chain)."""
    first, last = path[0], path[-1]
    source_column: str | list[str] = first.source_cols[0] if len(first.source_cols) == 1 else list(first.source_cols)
    typ = idx.ddb_type(last.target, target_column)
    if len(path) == 1 and len(first.source_cols) == 1:
        join = ForeignKeyJoin(type="foreign-key", target_table=first.target, join_condition=sql(first.condition()[0]),
                              select_column=sql(column(first.target, target_column)))
    elif len(path) == 1:
        join = MultiColumnJoin(type="multi-column", target_table=first.target,
                               join_conditions=[sql(c) for c in first.condition()],
                               select_column=sql(column(first.target, target_column)))
    else:
        hops = []
        for i, hop in enumerate(path):
            select = path[i + 1].source_cols[0] if i + 1 < len(path) else target_column
            hops.append(ChainHop(target_table=hop.target, join_condition=sql(conjunction(hop.condition())),
                                 select_column=sql(column(hop.target, select))))
        join = ChainJoin(type="chain", joins=hops)
    return Attribute(name=name, type=typ, source_table=first.source, source_column=source_column, join=join,  # type: ignore[arg-type]
                     denormalized=True, justification=justification)


def embed_attribute(idx: SchemaIndex, name: str, parent: str, parent_cols: list[str], target: str,
                    join_condition: exp.Expression, select_columns: list[str], order_by: list[str],
                    justification: str) -> Attribute:
    """Children embedded in the parent's item as a list of maps, ordered, bounded by EMBED_MAX."""
    construction = Construction(type="array", limit=EMBED_MAX,
                                select_columns={c: sql(column(target, c)) for c in select_columns},
                                order_by=", ".join(sql(column(target, c)) for c in order_by) or None)
    return Attribute(name=name, type="L", source_table=parent,
                     source_column=parent_cols[0] if len(parent_cols) == 1 else list(parent_cols),
                     join=JsonConstructionJoin(type="json-construction", target_table=target,
                                               join_condition=sql(join_condition), construction=construction),
                     denormalized=True, justification=justification)


def junction_condition(parent: str, parent_cols: list[str], junction: str, to_parent: list[str],
                       to_other: list[str], other: str, other_cols: list[str]) -> exp.Expression:
    """`other.id IN (SELECT junction.other_id FROM junction WHERE junction.parent_id = parent.id)`."""
    sub = exp.select(*[column(junction, c) for c in to_other]).from_(exp.to_table(junction)).where(
        conjunction(equalities(junction, to_parent, parent, parent_cols)))
    if len(other_cols) == 1:
        return exp.In(this=column(other, other_cols[0]), query=exp.Subquery(this=sub))
    return exp.In(this=exp.Tuple(expressions=[column(other, c) for c in other_cols]), query=exp.Subquery(this=sub))


def initial_attribute(table: str, source: str) -> Attribute:
    """`UPPER(LEFT(col, 1))` ('#' for empty text): the partition key of a prefix-search index."""
    when = exp.NEQ(this=column(table, source), expression=exp.Literal.string(""))
    then = exp.Upper(this=exp.Left(this=column(table, source), expression=exp.Literal.number(1)))
    return Attribute(name=f"{source}_initial", type="S", source_table=table, source_column=source,
                     calculation=CaseCalculation(type="case", cases=[CaseWhen(when=sql(when), then=sql(then))],
                                                 **{"else": sql(exp.Literal.string("#"))}),
                     justification=f"prefix searches on {source} query one initial, then begins_with on the sort key")


def _condition_sql(text: str) -> exp.Expression:
    return sqlglot.parse_one(text, read="mysql", into=exp.Condition)


def open_child_attribute(idx: SchemaIndex, parent: str, child: str, hop: Hop, conditions: list[str],
                         justification: str) -> Attribute:
    """'<CHILD>#<child key>' while a matching child row exists (e.g. an open rental), else NONE."""
    child_pk = idx.primary_key(child) or hop.source_cols
    on = conjunction(equalities(child, hop.source_cols, parent, hop.target_cols) +
                     [_condition_sql(c) for c in conditions])
    exists = exp.Exists(this=exp.select(exp.Literal.number(1)).from_(exp.to_table(child)).where(on.copy()))
    label = exp.Concat(expressions=[exp.Literal.string(f"{child.upper()}#")] +
                       [column(child, c) for c in child_pk], safe=False, coalesce=False)
    name = f"open_{child}" if conditions else f"has_{child}"
    return Attribute(name=name, type="S", source_table=parent,
                     source_column=hop.target_cols[0] if len(hop.target_cols) == 1 else list(hop.target_cols),
                     join=ConditionalJoin(type="conditional", condition=sql(exists), target_table=child,
                                          join_condition=sql(on), select_column=sql(label), else_value=NO_CHILD),
                     denormalized=True, justification=justification)
