"""recommend_design: an algorithmic baseline DynamoDB design from the schema analysis and the
access patterns, so an assistant without design skill (and the demo) starts from something sound.

Multi-table, natural keys: every MySQL table keeps its rows under its own primary key, except a
junction read from one side with few rows per parent (embedded as a list in the parent) and a
child listed in order by its parent's key when the parent is itself read by key (one item
collection). Each pattern's SQL then decides its request (recommend_map / recommend_writes):
parent columns it joins are copied in, secondary access paths get GSIs, writes keep the copies
in step inside one transaction. Each UNIQUE key is kept by the table key or a guard item written in
the same transaction, or knowingly not enforced (recommend_unique). The result is validated and
priced like any submitted design; the assistant refines it from there.
"""

from __future__ import annotations

from typing import Any

from mysql2ddb.tools.modeling.design import Design, TableDesign
from mysql2ddb.tools.modeling.recommend_ops import Mapper
from mysql2ddb.tools.modeling.recommend_plan import Plan, plan_homes, resolve_statements
from mysql2ddb.tools.modeling.recommend_schema import SchemaIndex
from mysql2ddb.tools.modeling.recommend_unique import plan_unique
from mysql2ddb.tools.modeling.recommend_writes import map_pattern
from mysql2ddb.tools.modeling.unique_keys import complete_guards
from mysql2ddb.tools.modeling.registry import as_patterns

PHILOSOPHY = (
    "Multi-table, natural keys, driven by the access patterns. Every MySQL table keeps its rows under its own "
    "primary key, so nothing is lost, except where a pattern reads rows together: a junction with few rows per "
    "parent is embedded as a list in the parent item, and a child listed in order by its parent is stored in the "
    "parent's item collection. Columns a pattern joins from a parent are copied in, each copy justified by the "
    "pattern. Other access paths get a GSI that projects only what its queries read. Writes that change copies or "
    "reference parents run in one transaction. This is a baseline built by rules: review each table, and refine it "
    "where the workload or the product knows better.")


def _order(design_tables: list[TableDesign], mappings: list[Any], pattern_ids: list[str]) -> list[TableDesign]:
    first: dict[str, int] = {}
    for m in mappings:
        pos = pattern_ids.index(m.pattern_id) if m.pattern_id in pattern_ids else len(pattern_ids)
        for op, _ in m.leaves():
            if op.table and op.table not in first:
                first[op.table] = pos
    return sorted(design_tables, key=lambda t: (first.get(t.name, len(pattern_ids) + 1), t.name))


def recommend_design(schema: Any, patterns: Any, *, name: str = "recommended") -> Design:
    """`schema`: SchemaAnalysis or its JSON (analysis/schema.json); `patterns`: the registry, its
    AccessPatterns or their JSON. Patterns without SQL are left unmapped (noted) for the assistant."""
    idx = SchemaIndex(schema)
    pats = as_patterns(patterns)
    plan = Plan(idx=idx, stmts=resolve_statements(idx, pats))
    plan_homes(plan)
    plan_unique(plan)
    mapper = Mapper(plan)
    mappings = []
    for pattern in pats:
        stmts = [s for s in plan.stmts if s.pattern is pattern]
        if not stmts:
            plan.notes.append(f"{pattern.id} has no SQL this tool can read: map it by hand (submit_design)")
            continue
        mapping = map_pattern(mapper, pattern.id, stmts)
        mapping.description = pattern.description or None
        mappings.append(mapping)
    mapper.finish_projections()
    ids = [p.id for p in pats]
    design = Design(name=name, approach="multi-table", philosophy=PHILOSOPHY,
                    tables=_order(list(plan.tables.values()), mappings, ids), pattern_mappings=mappings,
                    denormalizations=plan.denormalizations, dropped=plan.dropped,
                    notes=list(dict.fromkeys(plan.notes)))
    return complete_guards(design)  # the guard tables of the guard_item unique constraints
