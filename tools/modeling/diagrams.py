"""Mermaid pictures of a design (text, never SVG): per table its item-collection layout, i.e. the
partition key, the sort-key patterns under it, the entity whose rows become those items (with
its attributes), and each GSI with the entities it indexes (an entity without the index's key
attributes is not in that sparse index).

    flowchart LR
      t["Table CustomerRentals"] --> pk["partition key PK (S)<br/>CUSTOMER#{customer_id}"]
      pk --> sk0["sort key SK = PROFILE"] --> e0["CUSTOMER item from customer<br/>..."]
"""

from __future__ import annotations

from mysql2ddb.tools.modeling.design import EntityDesign, KeyDef, TableDesign, template_fields

SHOWN_ATTRIBUTES = 6


def label(text: str) -> str:
    """A quoted node label: mermaid ends it at a double quote, so quotes become entity codes."""
    return '"' + text.replace('"', "#quot;") + '"'


def _key_text(role: str, key: KeyDef, built: str | None) -> str:
    head = f"{role} {key.attribute} ({key.type})"
    return head + (f"<br/>{built}" if built else "")


def _key_source(key: KeyDef, entity: EntityDesign | None) -> str | None:
    if key.template:
        return key.template
    attr = entity.attribute(key.attribute) if entity else None
    if attr is not None and attr.is_plain:
        return f"from {attr.source_table}.{', '.join(attr.source_columns)}"
    if attr is not None and attr.join is not None:
        column = getattr(attr.join, "select_column", None)
        return f"from {column} (joined)" if column else "from a join"
    if attr is not None:
        return "calculated"
    return f"from {key.source_column}" if key.source_column else None


def _entity_text(entity: EntityDesign) -> str:
    names = entity.attribute_names()
    shown = ", ".join(names[:SHOWN_ATTRIBUTES]) + (f", +{len(names) - SHOWN_ATTRIBUTES} more"
                                                   if len(names) > SHOWN_ATTRIBUTES else "")
    return f"{entity.name} item from {entity.source_table}<br/>{shown}"


def _carries(entity: EntityDesign, key: KeyDef | None) -> bool:
    """Whether the entity's items hold this key attribute (a plain attribute or a template's fields)."""
    if key is None:
        return True
    if key.template:
        return all(entity.attribute(f) is not None for f in template_fields(key.template))
    return entity.attribute(key.attribute) is not None


def item_collection_diagram(table: TableDesign) -> str:
    lines = ["flowchart LR", f"  t[{label('Table ' + table.name)}]"]
    pk, sk = table.partition_key, table.sort_key
    if table.is_multi_entity:
        templates = list(dict.fromkeys(e.pk_template or pk.template or "" for e in table.entities))
        lines.append(f"  pk[{label(_key_text('partition key', pk, ' or '.join(t for t in templates if t)))}]")
        lines.append("  t --> pk")
        for i, entity in enumerate(table.entities):
            below = "pk"
            if sk is not None:
                lines.append(f"  sk{i}[{label(f'sort key {sk.attribute} = {entity.sk_template or sk.template or chr(63)}')}]")
                lines.append(f"  pk --> sk{i}")
                below = f"sk{i}"
            lines.append(f"  e{i}[{label(_entity_text(entity))}]")
            lines.append(f"  {below} --> e{i}")
    else:
        entity = table.entities[0] if table.entities else None
        lines.append(f"  pk[{label(_key_text('partition key', pk, _key_source(pk, entity)))}]")
        lines.append("  t --> pk")
        below = "pk"
        if sk is not None:
            lines.append(f"  sk0[{label(_key_text('sort key', sk, _key_source(sk, entity)))}]")
            lines.append("  pk --> sk0")
            below = "sk0"
        for i, e in enumerate(table.entities):
            lines.append(f"  e{i}[{label(_entity_text(e))}]")
            lines.append(f"  {below} --> e{i}")
    for j, gsi in enumerate(table.gsis):
        keys = f"pk {gsi.partition_key.attribute} ({gsi.partition_key.type})"
        if gsi.sort_key:
            keys += f", sk {gsi.sort_key.attribute} ({gsi.sort_key.type})"
        projection = gsi.projection + (f": {', '.join(gsi.projected_attributes)}" if gsi.projected_attributes else "")
        lines.append(f"  g{j}[{label(f'GSI {gsi.name}<br/>{keys}<br/>projection {projection}')}]")
        for i, entity in enumerate(table.entities):
            if _carries(entity, gsi.partition_key) and _carries(entity, gsi.sort_key):
                lines.append(f"  e{i} -.->|indexed by| g{j}")
    return "\n".join(lines)
