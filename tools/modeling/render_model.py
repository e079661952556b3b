"""`dynamodb_data_model.md`: the design as a reviewer reads it (philosophy, each table's key
layout with a mermaid picture of its item collection, entities and where every attribute comes
from, example items when the caller built them from real rows, how each access pattern is
served, the decisions, cost, hot partitions, alternatives and warnings), rendered with jinja2 from
prompts/dynamodb_data_model.md.j2. All numbers are formatted here so the document is stable."""

from __future__ import annotations

from typing import Any, Iterable

from pydantic import BaseModel

from mysql2ddb.prompts import render
from mysql2ddb.tools.contract.model import Attribute
from mysql2ddb.tools.modeling.alternatives import AlternativesReport, design_alternatives, format_delta
from mysql2ddb.tools.modeling.cost import CostReport, estimate_cost
from mysql2ddb.tools.modeling.coverage import render_key
from mysql2ddb.tools.modeling.diagrams import item_collection_diagram
from mysql2ddb.tools.modeling.design import Design, KeyDef, Operation, TableDesign
from mysql2ddb.tools.modeling.hot_partitions import HotPartitionReport, analyze_hot_partitions
from mysql2ddb.tools.modeling.inputs import PatternFacts, patterns_facts, schema_facts
from mysql2ddb.tools.modeling.origins import origin
from mysql2ddb.tools.modeling.review_text import item_json
from mysql2ddb.tools.modeling.unique_decisions import unique_rows
from mysql2ddb.tools.modeling.validate_design import DesignValidation, validate_design
from mysql2ddb.tools.core.pricing import Prices

TEMPLATE = "dynamodb_data_model.md.j2"
ARTIFACT = "dynamodb_data_model.md"


class DesignAnalysis(BaseModel):
    """Everything computed about one design: validation, cost, hot partitions, alternatives."""

    validation: DesignValidation
    cost: CostReport
    hot_partitions: HotPartitionReport
    alternatives: AlternativesReport


def analyze_design(design: Design, schema: Any, patterns: Iterable[Any], item_sizes: dict[str, Any] | None = None,
                   prices: Prices | None = None) -> DesignAnalysis:
    facts = schema_facts(schema)
    pats = patterns_facts(patterns)
    return DesignAnalysis(
        validation=validate_design(design, schema, pats, item_sizes),  # the analysis: its UNIQUE keys too
        cost=estimate_cost(design, pats, facts, item_sizes, prices),
        hot_partitions=analyze_hot_partitions(design, facts, pats, item_sizes),
        alternatives=design_alternatives(design, pats, facts, item_sizes, prices),
    )


def _usd(value: float) -> str:
    return "<$0.01" if 0 < value < 0.005 else f"${value:,.2f}"


def _num(v: float | None, digits: int = 2) -> str:
    if v is None:
        return "?"
    text = f"{v:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _pct(v: float | None) -> str:
    return "?" if v is None else f"{v:.1%}"


def attribute_origin(attr: Attribute) -> str:
    """Where an attribute's value comes from, in one line (tools/modeling/origins.py)."""
    return origin(attr)


def _key_row(role: str, key: KeyDef | None, table: TableDesign) -> dict[str, str] | None:
    if key is None:
        return None
    if table.is_multi_entity and key.attribute in (table.partition_key.attribute,
                                                   table.sort_key.attribute if table.sort_key else None):
        field = "pk_template" if role == "partition key" else "sk_template"
        built = "; ".join(f"{e.name}: `{getattr(e, field)}`" for e in table.entities)
    else:
        built = f"`{key.template}`" if key.template else (key.source_column or key.attribute)
    return {"role": role, "attribute": key.attribute, "type": key.type, "built": built,
            "why": key.justification or "", "distribution": key.distribution or ""}


def _op_line(op: Operation) -> str:
    where = f"{op.table or ''}" + (f" (index {op.index})" if op.index else "")
    bits = [f"**{op.type}** {where}".rstrip()]
    if op.key_condition:
        bits.append(f"key `{render_key(op.key_condition)}`")
    if op.filter:
        bits.append(f"{'filter' if op.type in ('Query', 'Scan', 'GetItem') else 'condition'} `{op.filter}`")
    if op.update:
        bits.append(f"update `{op.update}`")
    if op.limit:
        bits.append(f"limit {op.limit}")
    if op.scan_forward is False:
        bits.append("newest first")
    if op.select == "COUNT":
        bits.append("count only")
    if op.consistent_read:
        bits.append("strongly consistent")
    if op.description:
        bits.append(f"({op.description})")
    return ", ".join(bits)


def _mapping_lines(design: Design, pattern_id: str) -> list[dict[str, str]]:
    """Markdown list lines: a container's actions are nested under it."""
    mapping = design.mapping(pattern_id)
    lines: list[dict[str, str]] = []
    for op in (mapping.operations if mapping else []):
        if op.actions:
            lines.append({"indent": "", "text": f"**{op.type}** of {len(op.actions)} actions:"})
            lines += [{"indent": "  ", "text": _op_line(a)} for a in op.actions]
        else:
            lines.append({"indent": "", "text": _op_line(op)})
    return lines


def data_model_context(design: Design, analysis: DesignAnalysis, patterns: list[PatternFacts],
                       examples: dict[str, Any] | None = None) -> dict[str, Any]:
    v, cost, hot, alts = analysis.validation, analysis.cost, analysis.hot_partitions, analysis.alternatives
    tables = []
    for t in design.tables:
        found = (examples or {}).get(t.name)
        keys = [r for r in (_key_row("partition key", t.partition_key, t), _key_row("sort key", t.sort_key, t)) if r]
        tables.append({
            "name": t.name, "purpose": t.purpose or "", "type": t.type, "sources": ", ".join(t.source_tables()),
            "key_rows": keys,
            "gsis": [{"name": g.name, "pk": f"{g.partition_key.attribute} ({g.partition_key.type})",
                      "sk": f"{g.sort_key.attribute} ({g.sort_key.type})" if g.sort_key else "",
                      "projection": g.projection + (f": {', '.join(g.projected_attributes)}"
                                                    if g.projected_attributes else ""),
                      "purpose": g.purpose or ""} for g in t.gsis],
            "entities": [{"name": e.name, "source": e.source_table,
                          "pk": e.pk_template or "", "sk": e.sk_template or "",
                          "attributes": [{"name": a.name, "type": a.type, "origin": attribute_origin(a),
                                          "note": a.justification or ""} for a in e.attributes]}
                         for e in t.entities],
            "diagram": item_collection_diagram(t),
            "examples": [item_json(i) for i in (found.items if found else [])],
            "examples_note": found.note if found else "",
            "patterns": ", ".join(design.patterns_served_by(t.name)) or "none",
            "on_demand": _usd(cost.table_usd(t.name)), "provisioned": _usd(cost.table_usd(t.name, "provisioned")),
        })
    coverage = {p.pattern_id: p for p in v.patterns}
    return {
        "design": design, "tables": tables, "validation": v,
        "gsi_count": sum(len(t.gsis) for t in design.tables),
        "source_count": len({s for t in design.tables for s in t.source_tables()}),
        "patterns": [{"id": p.id, "description": p.description, "avg": _num(p.rps_average), "peak": _num(p.rps_peak),
                      "kind": p.kind, "consistency": p.consistency,
                      "latency": f"{_num(p.latency_ms, 0)} ms" if p.latency_ms is not None else "",
                      "served": "yes" if coverage[p.id].covered else "NO",
                      "scan": coverage[p.id].scan,
                      "problems": "; ".join(coverage[p.id].problems + [q for c in coverage[p.id].operations
                                                                        for q in c.problems]),
                      "lines": _mapping_lines(design, p.id)} for p in patterns],
        "cost": cost,
        "capacity": [{"name": c.name, "count": "?" if c.items is None else f"{c.items:,}",
                      "bytes": _num(c.item_bytes, 0), "source": c.size_source.replace("_", " "),
                      "ru": _num(c.read_units_avg), "wu": _num(c.write_units_avg),
                      "on_demand": _usd(c.on_demand_usd), "prov": f"{c.provisioned_rcu}/{c.provisioned_wcu}",
                      "provisioned": _usd(c.provisioned_usd), "storage": _usd(c.storage_usd)} for c in cost.capacity],
        "pattern_costs": [{"id": p.pattern_id, "ru": _num(p.read_units_per_call), "wu": _num(p.write_units_per_call),
                           "gsi": _num(p.gsi_write_units_per_call),
                           "usd": _usd(p.on_demand_usd) if p.priced else "rate unknown"} for p in cost.patterns],
        "totals": {"on_demand": _usd(cost.on_demand_usd), "provisioned": _usd(cost.provisioned_usd),
                   "storage": _usd(cost.storage_usd)},
        "hot": hot, "hot_summary": hot.summary(),
        "hot_rows": [{"name": k.name, "key": k.key_attribute, "source": k.source_column or "computed",
                      "distinct": "?" if k.distinct is None else f"{k.distinct:,}", "share": _pct(k.top_share),
                      "basis": k.basis, "ru": _num(k.read_units_peak), "wu": _num(k.write_units_peak),
                      "ru_util": _pct(k.read_utilization), "wu_util": _pct(k.write_utilization), "risk": k.risk,
                      "advice": k.advice or ""} for k in hot.keys],
        "alternatives": [{"title": a.title, "subject": a.subject, "dimension": a.dimension.replace("_", " "),
                          "monthly": _usd(a.alternative_usd), "delta": format_delta(a.delta_usd),
                          "pros": "; ".join(a.pros), "cons": "; ".join(a.cons),
                          "assumptions": "; ".join(a.assumptions)} for a in alts.alternatives],
        "alternatives_baseline": _usd(alts.on_demand_usd),
        "unique_rows": unique_rows(v.unique_constraints),
    }


class TableItems(BaseModel):
    """Example items of one table for the document: plain JSON, and where they come from."""

    items: list[dict[str, Any]]
    note: str


def render_data_model(design: Design, analysis: DesignAnalysis, patterns: Iterable[Any],
                      examples: dict[str, TableItems] | None = None) -> str:
    """`examples`: per design table, items built from real rows (tools/usecases/review_extras.py)."""
    return render(TEMPLATE, **data_model_context(design, analysis, patterns_facts(patterns), examples))
