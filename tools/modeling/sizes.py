"""Item sizes per design table: measured ones from the caller (streamed items, or MySQL
AVG_ROW_LENGTH), else estimated from the schema's average row sizes, else the design's own
declared estimate. Every size says where it came from, so the cost report can say how much to
trust it. Also the size of a GSI's projected copy of an item."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from mysql2ddb.tools.modeling.design import GsiDesign, TableDesign
from mysql2ddb.tools.modeling.inputs import SchemaFacts

ITEM_LIMIT_BYTES = 400 * 1024
DEFAULT_ITEM_BYTES = 1024  # used (and flagged "assumed") when nothing better is known
KEY_BYTES = 40  # a typical key attribute: name plus a short string or number
DENORMALIZED_ATTR_BYTES = 24  # a copied scalar when only the row size of the source is known

# source_rows: from the entities' source tables' average row size (schema analysis or AVG_ROW_LENGTH)
SizeSource = Literal["measured", "source_rows", "declared", "assumed"]


class ItemSize(BaseModel):
    avg_bytes: float
    max_bytes: float | None = Field(None, description="largest item; None when only an average is known")
    items: int | None = Field(None, description="item count (rows of the entities' source tables)")
    source: SizeSource = "measured"
    attribute_bytes: dict[str, float] = Field(
        default_factory=dict, description="average bytes per attribute (name + value), when measured")

    @property
    def largest(self) -> float:
        return self.max_bytes if self.max_bytes is not None else self.avg_bytes


def _coerce(value: Any) -> ItemSize:
    if isinstance(value, ItemSize):
        return value
    if isinstance(value, (int, float)):
        return ItemSize(avg_bytes=float(value))
    data = dict(value)
    if "avg_bytes" not in data:
        data["avg_bytes"] = data.pop("avg", None) or data.pop("avg_item_bytes", None) or data.pop("average", 0)
    if "max_bytes" not in data:
        data["max_bytes"] = data.pop("max", None) or data.pop("max_item_bytes", None)
    data.setdefault("source", "measured")
    return ItemSize.model_validate({k: v for k, v in data.items() if k in ItemSize.model_fields})


def entity_items(table: TableDesign, schema: SchemaFacts) -> int | None:
    counts = []
    for entity in table.entities:
        facts = schema.table(entity.source_table)
        if facts is None or facts.rows is None:
            return None
        counts.append(facts.rows)
    return sum(counts)


def estimate_size(table: TableDesign, schema: SchemaFacts) -> ItemSize:
    """Rows-weighted average of the entities' source row sizes plus copied attributes."""
    weighted, total_rows = 0.0, 0
    for entity in table.entities:
        facts = schema.table(entity.source_table)
        if facts is None or facts.avg_row_bytes is None:
            break
        copied = sum(1 for a in entity.attributes if not a.is_plain)
        size = facts.avg_row_bytes + copied * DENORMALIZED_ATTR_BYTES + (2 * KEY_BYTES if entity.pk_template else 0)
        rows = max(facts.rows or 1, 1)
        weighted += size * rows
        total_rows += rows
    else:
        if total_rows:
            return ItemSize(avg_bytes=round(weighted / total_rows, 1), items=entity_items(table, schema),
                            source="source_rows")
    items = entity_items(table, schema)
    if table.estimated_item_size_bytes:
        return ItemSize(avg_bytes=float(table.estimated_item_size_bytes), items=items, source="declared")
    return ItemSize(avg_bytes=float(DEFAULT_ITEM_BYTES), items=items, source="assumed")


def resolve_item_sizes(tables: list[TableDesign], schema: SchemaFacts,
                       measured: dict[str, Any] | None = None) -> dict[str, ItemSize]:
    """One ItemSize per design table: the caller's measurement when given (by design table name),
    otherwise an estimate; a measurement without an item count borrows it from the schema."""
    out: dict[str, ItemSize] = {}
    for table in tables:
        raw = (measured or {}).get(table.name)
        if raw is None:
            out[table.name] = estimate_size(table, schema)
            continue
        size = _coerce(raw)
        if size.items is None:
            size = size.model_copy(update={"items": entity_items(table, schema)})
        out[table.name] = size
    return out


def projected_bytes(table: TableDesign, gsi: GsiDesign, size: ItemSize) -> float:
    """Average size of the GSI's copy of an item: keys only, keys + included attributes, or all."""
    if gsi.projection == "ALL":
        return size.avg_bytes
    keys = set(table.key_attributes()) | {gsi.partition_key.attribute}
    if gsi.sort_key:
        keys.add(gsi.sort_key.attribute)
    included = set(gsi.projected_attributes) if gsi.projection == "INCLUDE" else set()
    names = keys | included
    if size.attribute_bytes:
        total = sum(size.attribute_bytes.get(n, KEY_BYTES) for n in names)
    else:
        per_attr = size.avg_bytes / max(len(table.attribute_names()), 1)
        total = len(keys) * min(KEY_BYTES, per_attr * 2) + len(included) * per_attr
    return min(size.avg_bytes, total)
