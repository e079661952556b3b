"""Which access patterns can be replayed, and with which request: a read pattern of one SELECT whose
design mapping is one GetItem, BatchGetItem of GetItems, or Query on a table the contract holds.
Everything else is reported with the reason (a write: replay never writes; no mapping; a Scan;
several requests in a row; a table or entity the contract lacks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mysql2ddb.tools.contract.model import Contract, ContractTable, Entity, JsonConstructionJoin
from mysql2ddb.tools.execution.spec import table_spec
from mysql2ddb.tools.modeling.coverage import render_key
from mysql2ddb.tools.modeling.design import Design, Operation
from mysql2ddb.tools.modeling.registry import AccessPattern
from mysql2ddb.tools.replay.report import PatternReplay

REPLAYED = ("GetItem", "BatchGetItem", "Query")


@dataclass
class Plan:
    pattern: AccessPattern
    op: Operation
    table: ContractTable
    entity: Entity | None
    spec: dict[str, Any]
    result: PatternReplay

    @property
    def source(self) -> str:
        return self.entity.source_table if self.entity else self.table.source_table

    @property
    def sql(self) -> str:
        return self.pattern.statements[0].sql

    @property
    def fingerprint(self) -> str | None:
        return self.pattern.statements[0].fingerprint

    def key_op(self) -> Operation:
        """The keyed request itself (a BatchGetItem's GetItem)."""
        return self.op.actions[0] if self.op.type == "BatchGetItem" else self.op

    def names(self) -> list[str] | None:
        """Attributes compared: those the pattern reads, else what an index projects, else all."""
        op = self.key_op()
        if op.attributes:
            return list(op.attributes)
        gsi = next((g for g in self.table.gsis or [] if g.index_name == op.index), None)
        if gsi is None or gsi.projection == "ALL":
            return None
        return list(dict.fromkeys(self.table.key_names + [gsi.pk] + ([gsi.sk] if gsi.sk else [])
                                  + list(gsi.projected_attributes or [])))

    def embedded(self) -> list[str]:
        """Attributes the request reads that embed a list of child rows (json-construction)."""
        attrs = {a.name: a for a in (self.entity.attributes if self.entity else self.table.attributes)}
        return [n for n in self.key_op().attributes if n in attrs and isinstance(attrs[n].join, JsonConstructionJoin)]


def served_by(op: Operation) -> str:
    where = f"{op.table or ''}" + (f".{op.index}" if op.index else "")
    text = f"{op.type} {where}".strip()
    key = render_key(op.key_condition) if op.key_condition else ""
    if op.type == "BatchGetItem" and op.actions:
        key = render_key(op.actions[0].key_condition)
        text = f"BatchGetItem {op.actions[0].table}"
    text += f" [{key}]" if key else ""
    if op.scan_forward is False:
        text += " descending"
    if op.limit:
        text += f" limit {op.limit}"
    if op.filter:
        text += f" filter {op.filter}"
    if op.select == "COUNT":
        text += " count"
    return text


def plan(pattern: AccessPattern, design: Design, contract: Contract, catalog: Any) -> Plan | PatternReplay:
    result = PatternReplay(pattern_id=pattern.id, description=pattern.description, kind=pattern.kind)
    mapping = design.mapping(pattern.id)
    if mapping is not None:
        result.served_by = "; ".join(served_by(op) for op in mapping.operations)

    def refuse(why: str, status: str = "not_servable") -> PatternReplay:
        result.status, result.why = status, why  # type: ignore[assignment]
        return result

    if pattern.kind == "write":
        return refuse("a write pattern: replay never writes (verify and the live sync check what writes do)",
                      "skipped")
    if len(pattern.statements) != 1 or not pattern.statements[0].sql:
        return refuse(f"{len(pattern.statements)} statements: replay compares one SELECT at a time")
    if mapping is None or not mapping.operations:
        return refuse("the design maps no request to it")
    if len(mapping.operations) != 1:
        return refuse(f"served by {len(mapping.operations)} requests in a row: replay compares one request's answer")
    op = mapping.operations[0]
    keyed = op.actions[0] if op.type == "BatchGetItem" and len(op.actions) == 1 else op
    if op.type == "Scan":
        return refuse(f"it needs a Scan of {op.table}" + (f".{op.index}" if op.index else ""))
    if op.type not in REPLAYED or keyed.type not in ("GetItem", "Query"):
        return refuse(f"served by {op.type}: replay sends GetItem, BatchGetItem of GetItems or Query")
    table = contract.table(keyed.table or "")
    if table is None:
        return refuse(f"the contract has no table {keyed.table}")
    entity = None
    if table.is_multi_entity:
        entities = table.entities or []
        entity = next((e for e in entities if e.entity_type == (keyed.entity or op.entity)), None)
        if entity is None and len(entities) == 1:
            entity = entities[0]
        if entity is None:
            return refuse(f"the request names no entity of multi-entity {table.table} "
                          f"({', '.join(e.entity_type for e in entities)})")
    return Plan(pattern, op, table, entity, table_spec(table, catalog), result)
