"""The schema analysis artifacts: `analysis/schema.json` (the model, verbatim), the table
structure report `01_3_table_structure_analysis.md` and the entity-relationship report
`01_3_entity_relationships.md` with a mermaid erDiagram. All three derive from SchemaAnalysis."""

from __future__ import annotations

import re
from typing import Any

from mysql2ddb.tools.core.render import Table, markdown_table
from mysql2ddb.tools.analysis.schema_model import Relationship, SchemaAnalysis, TableInfo

SCHEMA_JSON = "analysis/schema.json"
STRUCTURE_MD = "01_3_table_structure_analysis.md"
RELATIONSHIPS_MD = "01_3_entity_relationships.md"
FULL_DIAGRAM_TABLES = 40  # above this, the diagram lists key columns only
_MERMAID_WORD = re.compile(r"[^A-Za-z0-9_]")


def _md(table: Table) -> str:
    return markdown_table(table)


def _column_rows(info: TableInfo) -> list[list[Any]]:
    pk = {c.lower() for c in info.primary_key}
    fk = {c.lower() for f in info.foreign_keys for c in f.columns}
    rows = []
    for c in info.columns:
        keys = [k for k, on in (("PK", c.name.lower() in pk), ("FK", c.name.lower() in fk)) if on]
        extra = [x for x, on in (("auto_increment", c.auto_increment), ("JSON", c.is_json),
                                  ("spatial", c.is_spatial)) if on]
        if c.generated:
            extra.append(f"{'stored' if c.generated_stored else 'virtual'} = {c.generated}")
        default = f"{c.default}" + (" (expression)" if c.default_is_expression else "") if c.default is not None else ""
        rows.append([c.name, c.type, "yes" if c.nullable else "no", default, " ".join(keys), c.charset, "; ".join(extra)])
    return rows


def table_section(info: TableInfo) -> str:
    rows = f"{info.rows:,}" + (" (estimated)" if info.rows_estimated else "")
    parts = [f"## `{info.name}`", "",
             f"Rows: {rows}. Engine: {info.engine or '?'}. Measured average row: "
             f"{info.avg_row_bytes if info.avg_row_bytes is not None else '?'} bytes. "
             f"Primary key: ({', '.join(info.primary_key) or 'none'})."]
    parts += ["", _md(Table("Columns", ["column", "type", "null", "default", "key", "charset", "extra"],
                            _column_rows(info)))]
    if info.indexes:
        parts += ["", _md(Table("Indexes", ["index", "columns", "unique", "kind", "est. distinct"],
                                [[i.name, ", ".join(i.columns), "yes" if i.unique else "", i.kind, i.cardinality]
                                 for i in info.indexes]))]
    if info.foreign_keys:
        parts += ["", _md(Table("Foreign keys", ["constraint", "columns", "references", "on delete", "on update"],
                                [[f.name, ", ".join(f.columns), f"{f.ref_table}({', '.join(f.ref_columns)})",
                                  f.on_delete, f.on_update] for f in info.foreign_keys]))]
    return "\n".join(parts)


def structure_markdown(analysis: SchemaAnalysis) -> str:
    parts = [f"# Table structure analysis: `{analysis.database}`", "", analysis.summary(), "",
             _md(analysis.report().tables()[0])]
    for info in analysis.tables:
        parts += ["", table_section(info)]
    if analysis.views:
        parts += ["", "## Views", ""]
        for view in analysis.views:
            parts += [f"### `{view.name}`", "", f"Columns: {', '.join(c.name for c in view.columns)}.", ""]
            if view.definition:
                parts += ["```sql", view.definition, "```", ""]
    if analysis.triggers:
        parts += ["", _md(Table("Triggers", ["trigger", "table", "timing", "event"],
                                [[t.name, t.table, t.timing, t.event] for t in analysis.triggers])),
                  "", "Triggers run logic DynamoDB will not: move it into the application or a stream consumer."]
    skew = [k for k in analysis.key_stats if not k.unique]
    if skew:
        parts += ["", _md(Table("Candidate keys: distribution", ["table", "columns", "distinct", "nulls",
                                                                 "top value", "top share", "estimated"],
                                [[k.table, ", ".join(k.columns), k.distinct, k.nulls,
                                  k.top_values[0].value if k.top_values else None, k.top_share,
                                  "yes" if k.estimated else ""] for k in skew]))]
    return "\n".join(parts) + "\n"


def mermaid_name(name: str) -> str:
    cleaned = _MERMAID_WORD.sub("_", name)
    return cleaned if cleaned[:1].isalpha() else f"t_{cleaned}"


def _attribute(info: TableInfo, column: Any) -> str:
    keys = []
    if column.name.lower() in {c.lower() for c in info.primary_key}:
        keys.append("PK")
    if any(column.name.lower() in {c.lower() for c in f.columns} for f in info.foreign_keys):
        keys.append("FK")
    if any(column.name.lower() in {c.lower() for c in u.columns} for u in info.unique_keys):
        keys.append("UK")
    comment = column.type.replace('"', "'")
    key_text = f" {', '.join(keys)}" if keys else ""
    return f"        {mermaid_name(column.data_type)} {mermaid_name(column.name)}{key_text} \"{comment}\""


def _number(value: float) -> str:
    return f"{value:,.1f}".rstrip("0").rstrip(".")


def edge_label(rel: Relationship) -> str:
    """The relationship's columns and its cardinality, measured from the data when it was: 1:1, or
    1:N / M:N with the most and the mean children per parent (`declared` when above the threshold)."""
    label = f"via {rel.via}" if rel.via else ", ".join(rel.columns)
    label += f", {rel.cardinality}"
    if not rel.measured:
        return label + " declared"
    if rel.cardinality != "1:1" and rel.max_children is not None:
        label += f" max {rel.max_children:,}"
        if rel.avg_children is not None:
            label += f" avg {_number(rel.avg_children)}"
    return label.replace('"', "'")


def _edge(rel: Relationship) -> str:
    shape = {"1:1": "||--o|", "1:N": "||--o{", "M:N": "}o--o{"}[rel.cardinality]
    if rel.source == "inferred":
        shape = shape.replace("--", "..")
    return f"    {mermaid_name(rel.parent)} {shape} {mermaid_name(rel.child)} : \"{edge_label(rel)}\""


def er_diagram(analysis: SchemaAnalysis) -> str:
    full = len(analysis.tables) <= FULL_DIAGRAM_TABLES
    lines = ["erDiagram"]
    for info in analysis.tables:
        keyed = {c.lower() for c in info.primary_key} | {c.lower() for f in info.foreign_keys for c in f.columns}
        columns = [c for c in info.columns if full or c.name.lower() in keyed]
        if not columns:
            continue
        lines.append(f"    {mermaid_name(info.name)} {{")
        lines += [_attribute(info, c) for c in columns]
        lines.append("    }")
    lines += [_edge(r) for r in analysis.relationships]
    return "\n".join(lines)


def relationships_markdown(analysis: SchemaAnalysis) -> str:
    rows = [[r.parent, r.child, ", ".join(r.columns), r.cardinality, r.declared_cardinality, r.source, r.via,
             r.max_children, r.avg_children, r.max_parents, r.orphans, "yes" if r.measured else "no"]
            for r in analysis.relationships]
    note = ("Cardinality is measured from the data (max children per parent), falling back to the declared one "
            "when a child table is above the row threshold. Each edge's label gives the columns, the cardinality "
            "and, when measured, the most (max) and mean (avg) children per parent; `declared` marks one taken "
            "from the constraints alone. Dotted edges are inferred (same key name, no constraint).")
    return "\n".join([
        f"# Entity relationships: `{analysis.database}`", "", note, "",
        "```mermaid", er_diagram(analysis), "```", "",
        _md(Table("Relationships", ["parent", "child", "columns", "cardinality", "declared", "source", "via",
                                    "max children", "avg children", "max parents", "orphans", "measured"], rows)),
    ]) + "\n"


def write_schema_artifacts(analysis: SchemaAnalysis, workspace: Any) -> list[str]:
    """Write the three artifacts; returns their workspace-relative paths."""
    workspace.write_json(SCHEMA_JSON, analysis)
    workspace.write_text(STRUCTURE_MD, structure_markdown(analysis))
    workspace.write_text(RELATIONSHIPS_MD, relationships_markdown(analysis))
    return [SCHEMA_JSON, STRUCTURE_MD, RELATIONSHIPS_MD]
