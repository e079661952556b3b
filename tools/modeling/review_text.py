"""The text of the table, design and contract reviews: what the user approves, spelled out.

Per table: the key layout with types (attribute, type, and the column or template it is built
from), every attribute with its DynamoDB type and origin (tools/modeling/origins.py), the GSIs
with their key schema and projection, the access patterns it serves; then what the use case adds
(`TableExtras`): the table's warnings, its monthly cost and example items built from real rows.

Works on the artifacts' JSON as stored (a design section or a contract table), so a file that
does not parse as a whole is still shown. Nothing here prints a missing value as `None`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mysql2ddb.tools.modeling.origins import origin_of

LONG_TEXT = 160  # example values longer than this are cut for reading
LIST_ITEMS = 3  # and lists longer than this


@dataclass
class TableExtras:
    """What the review adds to a table's section (computed by tools/usecases/review_extras.py)."""

    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be checked, and why
    cost: str = ""
    examples: list[dict[str, Any]] = field(default_factory=list)  # plain JSON items
    examples_note: str = ""  # where the examples come from, or why there are none


def show(value: Any, missing: str = "-") -> str:
    """A value for the text: never `None`."""
    if value is None or value == "":
        return missing
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def cell(value: Any) -> str:
    return show(value).replace("|", "\\|").replace("\n", " ")


def _table(head: list[str], rows: list[list[Any]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + \
        ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]


# ---- design sections ------------------------------------------------------------------------------

def _key_source(key: dict[str, Any], table: dict[str, Any]) -> str:
    """The template, else the key attribute's own origin (what is migrated), else the column named."""
    if key.get("template"):
        return f"built as `{key['template']}`"
    for entity in table.get("entities") or []:
        for attr in (entity.get("attributes") or []) if isinstance(entity, dict) else []:
            if isinstance(attr, dict) and attr.get("name") == key.get("attribute"):
                return f"from {origin_of(attr)}"
    if key.get("source_column"):
        return f"from column `{key['source_column']}`"
    return "source not given"


def _design_key(role: str, key: Any, table: dict[str, Any]) -> str:
    if not isinstance(key, dict):
        return f"- {role}: not given"
    text = f"- {role}: `{show(key.get('attribute'))}` ({show(key.get('type'), 'S')}), "
    field_name = "pk_template" if role == "Partition key" else "sk_template"
    entities = [e for e in table.get("entities") or [] if isinstance(e, dict)]
    if table.get("type") == "multi-entity" and not key.get("template"):
        text += "built per entity: " + "; ".join(f"{show(e.get('name'))} `{show(e.get(field_name))}`"
                                                  for e in entities)
    else:
        text += _key_source(key, table)
    if key.get("justification"):
        text += f": {key['justification']}"
    if key.get("distribution"):
        text += f" ({key['distribution']})"
    return text


def _gsi_key(key: Any) -> str:
    if not isinstance(key, dict):
        return "-"
    return f"`{show(key.get('attribute'))}` ({show(key.get('type'), 'S')})"


def _projection(projection: Any, attributes: Any) -> str:
    text = show(projection, "ALL")
    return text + (f" ({', '.join(attributes)})" if projection == "INCLUDE" and attributes else "")


def _attribute_rows(entities: list[dict[str, Any]], name_key: str, multi: bool) -> list[str]:
    rows = []
    for entity in entities:
        for attr in entity.get("attributes") or []:
            if not isinstance(attr, dict):
                continue
            row = [attr.get("name"), attr.get("type"), origin_of(attr), attr.get("justification")]
            rows.append(([entity.get(name_key)] if multi else []) + row)
    if not rows:
        return ["No attributes are listed."]
    head = (["entity"] if multi else []) + ["attribute", "type", "origin", "note"]
    return _table(head, rows)


def design_table_text(design: dict[str, Any], table: dict[str, Any]) -> str:
    name = table.get("name")
    lines = [f"## Table `{show(name)}` ({show(table.get('type'), 'single-entity')})"]
    if table.get("purpose"):
        lines.append(table["purpose"])
    lines += ["", "Key layout:", _design_key("Partition key", table.get("partition_key"), table)]
    if table.get("sort_key"):
        lines.append(_design_key("Sort key", table.get("sort_key"), table))
    for gsi in table.get("gsis") or []:
        sk = f", sort key {_gsi_key(gsi.get('sort_key'))}" if gsi.get("sort_key") else ""
        lines.append(f"- GSI `{show(gsi.get('name'))}`: partition key {_gsi_key(gsi.get('partition_key'))}{sk}; "
                     f"projection {_projection(gsi.get('projection'), gsi.get('projected_attributes'))}"
                     + (f": {gsi['purpose']}" if gsi.get("purpose") else ""))
    entities = [e for e in table.get("entities") or [] if isinstance(e, dict)]
    for entity in entities:
        keys = "".join(f", {k} `{entity[k]}`" for k in ("pk_template", "sk_template") if entity.get(k))
        lines.append(f"- Entity `{show(entity.get('name'))}` from `{show(entity.get('source_table'))}`{keys}")
    lines += ["", "Attributes:", ""] + _attribute_rows(entities, "name", table.get("type") == "multi-entity") + [""]
    for mapping in design.get("pattern_mappings") or []:
        operations = mapping.get("operations") or []
        if any(_touches(op, name) for op in operations):
            lines.append(f"- Serves {show(mapping.get('pattern_id'))}: {'; '.join(_operation(op) for op in operations)}")
    for d in design.get("denormalizations") or []:
        if d.get("table") == name:
            lines.append(f"- Denormalized {', '.join(d.get('attributes') or [])} from `{show(d.get('source_table'))}`: "
                         f"{show(d.get('justification'))}"
                         + (f" (kept current: {d['update_strategy']})" if d.get("update_strategy") else ""))
    if table.get("estimated_item_size_bytes"):
        lines.append(f"- Estimated item size: {show(table['estimated_item_size_bytes'])} bytes")
    return "\n".join(lines).rstrip()


def _touches(op: dict[str, Any], table: Any) -> bool:
    return op.get("table") == table or any(_touches(a, table) for a in op.get("actions") or [])


def _operation(op: dict[str, Any]) -> str:
    target = op.get("table") or ""
    if op.get("index"):
        target += f".{op['index']}"
    inner = ", ".join(_operation(a) for a in op.get("actions") or [])
    return f"{show(op.get('type'), '')} {target}".strip() + (f" [{inner}]" if inner else "")


# ---- contract tables ------------------------------------------------------------------------------

def _attr_type(table: dict[str, Any], name: Any) -> str:
    for attr in table.get("attributes") or []:
        if isinstance(attr, dict) and attr.get("name") == name:
            return show(attr.get("type"), "?")
    for entity in table.get("entities") or []:
        for attr in (entity.get("attributes") or []) if isinstance(entity, dict) else []:
            if isinstance(attr, dict) and attr.get("name") == name:
                return show(attr.get("type"), "?")
    return "S" if table.get("type") == "multi-entity" else "?"


def _contract_key(role: str, name: Any, table: dict[str, Any]) -> str:
    text = f"- {role}: `{show(name)}` ({_attr_type(table, name)}), "
    entities = [e for e in table.get("entities") or [] if isinstance(e, dict)]
    if table.get("type") == "multi-entity":
        field_name = "pk_template" if role == "Partition key" else "sk_template"
        return text + "built per entity: " + "; ".join(f"{show(e.get('entity_type'))} `{show(e.get(field_name))}`"
                                                      for e in entities)
    attr = next((a for a in table.get("attributes") or [] if isinstance(a, dict) and a.get("name") == name), None)
    return text + (f"from {origin_of(attr)}" if attr else "not one of the attributes")


def contract_table_text(table: dict[str, Any]) -> str:
    lines = [f"## Table `{show(table.get('table'))}` ({show(table.get('type'))}, from "
             f"`{show(table.get('source_table'))}`)", "", "Key layout:",
             _contract_key("Partition key", table.get("pk"), table)]
    if table.get("sk"):
        lines.append(_contract_key("Sort key", table.get("sk"), table))
    for gsi in table.get("gsis") or []:
        sk = f", sort key `{gsi['sk']}` ({_attr_type(table, gsi['sk'])})" if gsi.get("sk") else ""
        lines.append(f"- GSI `{show(gsi.get('index_name'))}`: partition key `{show(gsi.get('pk'))}` "
                     f"({_attr_type(table, gsi.get('pk'))}){sk}; projection "
                     f"{_projection(gsi.get('projection'), gsi.get('projected_attributes'))}")
    multi = table.get("type") == "multi-entity"
    entities = [e for e in table.get("entities") or [] if isinstance(e, dict)] if multi else \
        [{"entity_type": table.get("table"), "attributes": table.get("attributes") or []}]
    lines += ["", "Attributes:", ""] + _attribute_rows(entities, "entity_type", multi) + [""]
    lines.append(f"- Serves: {', '.join(table.get('satisfies') or []) or 'no access pattern listed'}; "
                 f"estimated item size {show(table.get('estimated_item_size_bytes'), '?')} bytes")
    return "\n".join(lines)


# ---- what the use case adds -----------------------------------------------------------------------

def _shorten(value: Any) -> Any:
    """Long text cut, long lists cut to their first LIST_ITEMS members: for reading, and said so."""
    if isinstance(value, str) and len(value) > LONG_TEXT:
        return f"{value[:LONG_TEXT]}... ({len(value):,} characters)"
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        head = [_shorten(v) for v in value[:LIST_ITEMS]]
        return head + ([f"... {len(value) - LIST_ITEMS} more ({len(value)} in all)"] if len(value) > LIST_ITEMS else [])
    return value


def item_json(item: dict[str, Any]) -> str:
    """One attribute per line, each value as compact JSON."""
    lines = [f"  {json.dumps(k, ensure_ascii=False)}: {json.dumps(_shorten(v), ensure_ascii=False)}"
             for k, v in item.items()]
    return "{\n" + ",\n".join(lines) + "\n}"


def extras_text(extras: TableExtras, *, examples: bool = True) -> str:
    lines = ["", "Warnings:"]
    lines += [f"- {w}" for w in extras.warnings] or ["- no warning for this table"]
    lines += [f"- not checked: {n}" for n in extras.notes]
    if extras.cost:
        lines += ["", f"Cost: {extras.cost}"]
    if examples:
        lines += ["", f"Example items ({extras.examples_note}):" if extras.examples else
                  f"Example items: {extras.examples_note or 'none'}"]
        for item in extras.examples:
            lines += ["", "```json", item_json(item), "```"]
    return "\n".join(lines)


def patterns_text(items: list[Any]) -> str:
    lines = ["# Access patterns", "", "| id | description | kind | rps peak | rps avg | consistency |",
             "|---|---|---|---|---|---|"]
    for p in items:
        p = p if isinstance(p, dict) else {}
        lines.append("| " + " | ".join(cell(p.get(k)) for k in ("id", "description", "kind")) + " | "
                     + " | ".join(cell(show(p.get(k), "unknown")) for k in ("rps_peak", "rps_average"))
                     + f" | {cell(p.get('consistency'))} |")
    return "\n".join(lines)
