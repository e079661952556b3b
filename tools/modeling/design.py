"""The DynamoDB design: tables, keys, GSIs, which MySQL entities live in each table and how
every attribute is built, how each access pattern is served, and the decisions behind it
(denormalization, dropped columns, philosophy).

The assistant submits one of these (`submit_design`), `recommend_design` builds one, the
validator checks it against the schema and the patterns, cost/hot partitions price it, and
design->contract turns it into a migration contract mechanically: an entity's attributes ARE
contract `Attribute`s, its key templates are the contract's pk/sk templates.

Conventions
- Key templates use `{attribute}` placeholders naming attributes of the same entity
  (`CUSTOMER#{customer_id}`); a key with no template is the attribute itself (natural key).
- A single-entity table has exactly one entity whose key attributes are plain attributes.
  A multi-entity table's entities each give `pk_template` (and `sk_template` when the table
  has a sort key); the key attributes are then built from the templates.
- A pattern served by several calls lists them all; a transaction is ONE operation of type
  TransactWriteItems/TransactGetItems whose `actions` are the Put/Update/Delete/ConditionCheck
  (or Get) inside it. BatchGetItem/BatchWriteItem carry their requests as `actions` too.
"""

from __future__ import annotations

import re
from typing import Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field

from mysql2ddb.tools.contract.model import Attribute

KeyType = Literal["S", "N", "B"]
Projection = Literal["ALL", "KEYS_ONLY", "INCLUDE"]
OperationType = Literal[
    "GetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheck",
    "TransactWriteItems", "TransactGetItems", "BatchGetItem", "BatchWriteItem",
]
SkOperator = Literal["=", "begins_with", "between", "<", "<=", ">", ">="]
READ_OPERATIONS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})
WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
CONTAINERS = frozenset({"TransactWriteItems", "TransactGetItems", "BatchGetItem", "BatchWriteItem"})
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class _Strict(BaseModel):
    # Typos in a submitted design must fail loudly (with a JSON pointer), not vanish.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def template_fields(template: str | None) -> list[str]:
    """Attribute names a key template reads: `CUSTOMER#{customer_id}` -> ['customer_id']."""
    return PLACEHOLDER.findall(template or "")


class KeyDef(_Strict):
    """One key attribute of a table or GSI."""

    attribute: str = Field(description="the item attribute holding the key, e.g. 'film_id' or 'PK'")
    type: KeyType = "S"
    source_column: str | None = Field(
        None, description="natural key: the MySQL column it comes from ('customer.customer_id' or 'customer_id')")
    template: str | None = Field(
        None, description="built key, e.g. 'CUSTOMER#{customer_id}' (multi-entity tables: per entity instead)")
    justification: str | None = Field(None, description="why this key (shown at the table review gate)")
    distribution: str | None = Field(None, description="how traffic spreads over its values")


class GsiDesign(_Strict):
    name: str
    partition_key: KeyDef
    sort_key: KeyDef | None = None
    projection: Projection = "ALL"
    projected_attributes: list[str] = Field(
        default_factory=list, description="non-key attributes copied to the index (INCLUDE only)")
    purpose: str | None = None


class EntityDesign(_Strict):
    """A MySQL source (one row per item) mapped into a table."""

    name: str = Field(description="entity type, e.g. 'CUSTOMER'; for single-entity tables usually the table's noun")
    source_table: str = Field(description="the MySQL table whose rows become this entity's items")
    pk_template: str | None = Field(None, description="multi-entity: 'CUSTOMER#{customer_id}'")
    sk_template: str | None = Field(None, description="multi-entity: 'RENTAL#{rental_date}#{rental_id}'")
    attributes: list[Attribute] = Field(description="contract attributes: source column, join, calculation...")
    description: str | None = None

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)

    def attribute_names(self) -> list[str]:
        return [a.name for a in self.attributes]


EnforcedBy = Literal["table_key", "guard_item", "not_enforced"]


class UniqueConstraint(_Strict):
    """A UNIQUE key of a MySQL table mapped into this table, and how DynamoDB keeps it unique:
    `table_key` (the item key's columns lie within the unique columns, and items are put with
    attribute_not_exists), `guard_item` (one small item per value, pk `<GUARD>#<value>`, put in the
    same TransactWriteItems with attribute_not_exists(PK)), or `not_enforced` (knowingly not kept)."""

    columns: list[str] = Field(description="the unique key's MySQL columns")
    enforced_by: EnforcedBy
    source_table: str | None = Field(None, description="the MySQL table (default: the table's first entity's)")
    guard_table: str | None = Field(
        None, description="guard_item: the design table holding the guard items (default '<table>UniqueValues')")
    guard_entity: str | None = Field(
        None, description="guard_item: the guard entity's name (default '<SOURCE>_<COLUMNS>', its pk prefix)")
    justification: str | None = None


class TableDesign(_Strict):
    name: str
    purpose: str | None = None
    type: Literal["single-entity", "multi-entity"] = "single-entity"
    partition_key: KeyDef
    sort_key: KeyDef | None = None
    gsis: list[GsiDesign] = Field(default_factory=list)
    entities: list[EntityDesign]
    estimated_item_size_bytes: int | None = Field(None, description="filled from measurements when known")
    unique_constraints: list[UniqueConstraint] = Field(
        default_factory=list, description="how each UNIQUE key of the MySQL tables mapped here is kept")

    @property
    def is_multi_entity(self) -> bool:
        return self.type == "multi-entity"

    def gsi(self, name: str) -> GsiDesign | None:
        return next((g for g in self.gsis if g.name == name), None)

    def key_schema(self, index: str | None = None) -> tuple[KeyDef, KeyDef | None] | None:
        """(pk, sk) of the table (index None) or of one GSI; None when the GSI does not exist."""
        if index is None:
            return self.partition_key, self.sort_key
        gsi = self.gsi(index)
        return (gsi.partition_key, gsi.sort_key) if gsi else None

    def key_attributes(self) -> list[str]:
        return [self.partition_key.attribute] + ([self.sort_key.attribute] if self.sort_key else [])

    def attribute_names(self) -> list[str]:
        """Every attribute an item of this table may carry (keys first, then by first appearance)."""
        names = self.key_attributes()
        for entity in self.entities:
            names += [n for n in entity.attribute_names() if n not in names]
        return names

    def source_tables(self) -> list[str]:
        """MySQL tables feeding this table: the entities' sources and every joined table."""
        out: list[str] = []
        for entity in self.entities:
            for name in [entity.source_table] + [t for a in entity.attributes for t in attribute_tables(a)]:
                if name not in out:
                    out.append(name)
        return out


class KeyCondition(_Strict):
    """`pk = :v [AND sk <op> :v]`. Values are placeholders or templates (`CUSTOMER#{customer_id}`)."""

    pk_attribute: str
    pk_value: str = Field(":pk", description="what the caller supplies, e.g. ':film_id' or 'CUSTOMER#{customer_id}'")
    sk_attribute: str | None = None
    sk_operator: SkOperator | None = None
    sk_value: str | None = None
    sk_value_to: str | None = Field(None, description="upper bound for 'between'")


class Operation(_Strict):
    type: OperationType
    table: str | None = Field(None, description="the table (None only on Transact*/Batch* containers)")
    index: str | None = Field(None, description="a GSI name on `table` (Query/Scan only)")
    key_condition: KeyCondition | None = Field(None, description="Query: the key condition; GetItem/Update/Put/Delete: the full key")
    filter: str | None = Field(None, description="FilterExpression (reads) or ConditionExpression (writes)")
    update: str | None = Field(None, description="UpdateExpression")
    limit: int | None = None
    scan_forward: bool | None = None
    consistent_read: bool = False
    select: Literal["ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"] | None = None
    attributes: list[str] = Field(
        default_factory=list, description="attributes the pattern needs back (checked against GSI projections)")
    entity: str | None = Field(None, description="entity read or written, for multi-entity tables")
    items: float = Field(1, description="expected items touched per call (Query: items returned), for cost")
    actions: list[Operation] = Field(default_factory=list, description="Transact*/Batch*: the requests inside")
    description: str | None = None

    def leaves(self) -> Iterator[Operation]:
        """The table-level requests: the operation itself, or each action of a container."""
        if self.type in CONTAINERS and self.actions:
            for action in self.actions:
                yield from action.leaves()
        else:
            yield self


class PatternMapping(_Strict):
    pattern_id: str
    operations: list[Operation] = Field(description="calls made, in order; a transaction is one TransactWriteItems")
    description: str | None = None

    def leaves(self) -> Iterator[tuple[Operation, bool]]:
        """(table-level request, inside a transaction?) for every request the pattern makes."""
        for op in self.operations:
            transactional = op.type in ("TransactWriteItems", "TransactGetItems")
            for leaf in op.leaves():
                yield leaf, transactional


class Denormalization(_Strict):
    table: str
    attributes: list[str] = Field(description="the copied attributes (or the embedded collection)")
    source_table: str = Field(description="the MySQL table the copies come from")
    source_columns: list[str] = Field(default_factory=list)
    kind: Literal["copy", "embed", "aggregate", "duplicate-table"] = "copy"
    justification: str
    update_strategy: str | None = Field(None, description="how copies stay current when the source changes")
    patterns: list[str] = Field(default_factory=list, description="pattern ids it serves")


class Dropped(_Strict):
    source_table: str
    column: str | None = Field(None, description="None: the whole table is deliberately not migrated")
    reason: str


class Design(_Strict):
    name: str = "design"
    approach: Literal["multi-table", "single-table"] = "multi-table"
    philosophy: str = Field("", description="design philosophy, in a few sentences")
    tables: list[TableDesign]
    pattern_mappings: list[PatternMapping] = Field(default_factory=list)
    denormalizations: list[Denormalization] = Field(default_factory=list)
    dropped: list[Dropped] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def table(self, name: str) -> TableDesign | None:
        return next((t for t in self.tables if t.name == name), None)

    def mapping(self, pattern_id: str) -> PatternMapping | None:
        return next((m for m in self.pattern_mappings if m.pattern_id == pattern_id), None)

    def patterns_served_by(self, table: str) -> list[str]:
        """Pattern ids with at least one request on `table` (the contract's `satisfies`)."""
        return [m.pattern_id for m in self.pattern_mappings if any(op.table == table for op, _ in m.leaves())]

    def is_dropped(self, source_table: str, column: str | None = None) -> Dropped | None:
        """The decision dropping a whole table (column None) or one column ('*' = in every table)."""
        for d in self.dropped:
            table_ok = d.source_table == source_table or (d.source_table == "*" and column is not None)
            if table_ok and (d.column is None or d.column == column):
                return d
        return None


_REF = re.compile(r"`?([A-Za-z_][A-Za-z0-9_$]*)`?\.`?([A-Za-z_][A-Za-z0-9_$]*)`?")
_FROM = re.compile(r"\b(?:FROM|JOIN)\s+`?([A-Za-z_][A-Za-z0-9_$]*)`?", re.IGNORECASE)


def _fragments(attr: Attribute) -> list[str]:
    """Every SQL fragment of an attribute: select columns, join conditions, conditions, cases."""
    texts: list[str] = []
    for part in (attr.join, attr.calculation):
        if part is None:
            continue
        for hop in getattr(part, "joins", None) or []:
            texts += [hop.select_column, hop.join_condition]
        for name in ("select_column", "join_condition", "condition"):
            value = getattr(part, name, None)
            if isinstance(value, str):
                texts.append(value)
        texts += list(getattr(part, "join_conditions", None) or [])
        construction = getattr(part, "construction", None)
        if construction is not None:
            texts += list(construction.select_columns.values()) + [construction.order_by or ""]
        for case in getattr(part, "cases", None) or []:
            texts += [case.when, case.then]
    return [t for t in texts if t]


def attribute_tables(attr: Attribute) -> list[str]:
    """MySQL tables an attribute reads besides its source table: join/aggregate targets and
    tables its fragments name (`film_actor` in a json-construction's subquery)."""
    out: list[str] = []
    for part in (attr.join, attr.calculation):
        if part is None:
            continue
        out += [h.target_table for h in getattr(part, "joins", None) or []]
        target = getattr(part, "target_table", None)
        if target:
            out.append(target)
    for text in _fragments(attr):
        out += [t for t, _ in _REF.findall(text)] + _FROM.findall(text)
    return [t for t in dict.fromkeys(out) if t != attr.source_table]


def attribute_sources(attr: Attribute) -> list[tuple[str, str]]:
    """(table, column) pairs an attribute reads: its source columns, and every `t.c` in its
    fragments (select columns and the join columns they go through)."""
    pairs = [(attr.source_table, c) for c in attr.source_columns]
    for text in _fragments(attr):
        for pair in _REF.findall(text):
            if pair not in pairs:
                pairs.append(pair)
    return pairs


_EXPR_WORDS = {
    "set", "remove", "add", "delete", "and", "or", "not", "between", "in", "if_not_exists", "list_append",
    "attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains", "size", "true", "false",
}


def expression_attributes(text: str | None) -> list[str]:
    """Attribute names a DynamoDB expression reads or writes (`held_by = :s AND size(x) > :n`
    -> ['held_by', 'x']): identifiers that are not `:values`, `#names`, keywords or quoted text."""
    if not text:
        return []
    text = re.sub(r"'[^']*'|\"[^\"]*\"", " ", text)
    out: list[str] = []
    for match in re.finditer(r"(?<![:#\w.])([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()", text):
        name = match.group(1)
        if name.lower() not in _EXPR_WORDS and name not in out:
            out.append(name)
    return out
