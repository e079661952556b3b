"""Item sizes measured from the data, not estimated: the design is written as a contract and each
table's view query is run and converted exactly as the copy will (tools/execution/plan.py), so the
average and largest item of every design table are the real ones (full read, or a random sample
for big tables, said so). The result is what `item_sizes` means everywhere in modeling."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.core.db import Dsn
from mysql2ddb.tools.modeling.design import Design
from mysql2ddb.tools.modeling.sizes import ITEM_LIMIT_BYTES, ItemSize
from mysql2ddb.tools.core.pricing import Prices, load_prices


class MeasuredSizes(BaseModel):
    sizes: dict[str, ItemSize] = Field(default_factory=dict)
    sampled: dict[str, int] = Field(default_factory=dict, description="tables measured on a sample: rows read")
    rejected: dict[str, int] = Field(default_factory=dict, description="rows the converter refuses, per table")

    def item_sizes(self) -> dict[str, dict[str, Any]]:
        """The `item_sizes` argument of the validator, cost and render (item_sizes.json)."""
        return {name: size.model_dump(mode="json") for name, size in self.sizes.items()}

    def summary(self) -> str:
        over = [n for n, s in self.sizes.items() if s.largest > ITEM_LIMIT_BYTES]
        text = f"Item sizes measured for {len(self.sizes)} table(s) from the data, converted as the copy will."
        if self.sampled:
            text += " Sampled: " + ", ".join(f"{t} ({n:,} rows)" for t, n in self.sampled.items()) + "."
        if over:
            text += " Over 400 KB: " + ", ".join(over) + "."
        if self.rejected:
            text += " Rows the converter refuses: " + ", ".join(f"{t} ({n})" for t, n in self.rejected.items()) + "."
        return text

    def tables(self) -> list[Table]:
        rows = [[name, f"{s.items:,}" if s.items is not None else "?", f"{s.avg_bytes:,.1f}",
                 f"{s.max_bytes:,.0f}" if s.max_bytes is not None else "?"] for name, s in self.sizes.items()]
        return [Table("Measured item sizes", ["table", "items", "avg bytes", "max bytes"], rows)]


def measure_item_sizes(design: Design, dsn: Dsn, *, schema: Any = None, prices: Prices | None = None,
                       options: Any = None, progress: Any = None) -> MeasuredSizes:
    from mysql2ddb.tools.contract.catalog import read_catalog_sync
    from mysql2ddb.tools.execution.plan import copy_plan
    from mysql2ddb.tools.modeling.to_contract import design_to_contract

    contract = design_to_contract(design, schema)
    catalog = read_catalog_sync(dsn, {s for t in contract.tables for s in _sources(design, t.table)})
    plan = copy_plan(contract, dsn, catalog, prices or load_prices(), options, progress=progress)
    out = MeasuredSizes()
    for t in plan.table_plans:
        out.sizes[t.table] = ItemSize(avg_bytes=t.avg_item_bytes, max_bytes=float(t.max_item_bytes), items=t.items,
                                      source="measured")
        if t.measured == "sample":
            out.sampled[t.table] = t.measured_rows
        if t.rejected:
            out.rejected[t.table] = t.rejected
    return out


def _sources(design: Design, table: str) -> list[str]:
    found = design.table(table)
    return found.source_tables() if found else []
