"""Keys, indexes and item size of one table: the table's pk/sk and every GSI key are produced by
an attribute of a key type (S, N, B) whose source fits it; multi-entity keys are built from
templates whose placeholders name the entity's attributes; projections name known attributes;
the estimated item fits DynamoDB's 400 KB."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mysql2ddb.tools.contract.catalog import Catalog

if TYPE_CHECKING:
    from mysql2ddb.tools.contract.findings import Findings
    from mysql2ddb.tools.contract.findings import AttrInfo

ITEM_LIMIT = 400 * 1024
MAX_GSIS = 20
MAX_PROJECTED = 100  # non-key attributes projected, summed over a table's indexes
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{3,255}$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_TEMPLATE_TYPES = {"S", "N", "BOOL"}  # renderable into key text (§2)


def check_table_name_rules(name: str, path: str, what: str, out: "Findings") -> None:
    if not _NAME.match(name):
        out.error(path, f"`{name}` is not a valid DynamoDB {what} name",
                  "use 3-255 characters from A-Z a-z 0-9 _ - .")


def _composite(name: str, path: str, out: "Findings") -> None:
    out.error(path, f"composite key name `{name}` is not defined by the contract schema (§10)",
              "add an attribute that builds the value (a `case` calculation with "
              "{\"when\": \"TRUE\", \"then\": \"CONCAT(t.a, '#', t.b)\"}) and name that attribute here, "
              "or use a multi-entity table whose sk_template builds it")


def _key_type(info: "AttrInfo", role: str, out: "Findings", table_key: bool) -> None:
    where = f"{info.path}/type"
    if info.type not in ("S", "N", "B"):
        out.error(where, f"{role} `{info.name}` has type {info.type}; DynamoDB keys are S, N or B",
                  "declare it S (text, dates), N (numbers) or B (bytes)")
        return
    cls, source = info.value_class, info.source or f"a {info.value_class} value"
    if info.type == "N" and cls not in (None, "numeric", "bool"):
        out.error(where, f"{role} `{info.name}` is N but comes from {source}: non-numeric keys would be rejected",
                  "declare it S, or take the key from a numeric column")
    elif info.type == "B" and cls not in (None, "binary", "spatial"):
        out.error(where, f"{role} `{info.name}` is B but comes from {source}", "declare it S, or take a binary column")
    elif info.type == "S" and cls in ("binary", "spatial"):
        out.warn(where, f"{role} `{info.name}` is S but comes from {source}", "declare it B, or convert it to text in SQL")
    if table_key and info.via_join:
        out.warn(where, f"{role} `{info.name}` comes through a join ({source}): a row whose join finds nothing "
                 "has no key and goes to the reject file (§3, §4)",
                 "keep it if the foreign key is enforced; otherwise key on a column of the source table")
    elif table_key and info.nullable:
        out.warn(where, f"{role} `{info.name}` can be NULL ({source}): such rows have no key and go to the reject file (§4)",
                 "key on a NOT NULL column, or accept those rejects")


def _template(text: Any, path: str, entity: dict[str, Any], names: dict[str, "AttrInfo"], out: "Findings") -> bool:
    """Check one template; True when it has a placeholder (varies per row)."""
    if not isinstance(text, str):
        return False
    stripped = _PLACEHOLDER.sub("", text)
    if "{" in stripped or "}" in stripped:
        out.error(path, f"template {text!r} has unbalanced braces", "write placeholders as {attribute_name}")
    placeholders = _PLACEHOLDER.findall(text)
    for name in placeholders:
        info = names.get(name)
        if info is None:
            known = ", ".join(f"`{n}`" for n in names) or "(none)"
            out.error(path, f"placeholder {{{name}}} names no attribute of entity `{entity.get('entity_type')}`",
                      f"use one of its attributes: {known} (§2), or add an attribute named `{name}`")
        elif info.type not in _TEMPLATE_TYPES:
            out.error(path, f"placeholder {{{name}}} is a {info.type} attribute, which does not render into key text",
                      "use an S or N attribute in the template")
        elif info.nullable:
            out.warn(path, f"placeholder {{{name}}} can be NULL ({info.source}): such rows get no key and are rejected",
                     "build keys from NOT NULL columns")
    return bool(placeholders)


def _multi_entity_keys(table: dict[str, Any], path: str, infos: list["AttrInfo"], out: "Findings") -> None:
    has_sk = isinstance(table.get("sk"), str) and table.get("sk")
    for e, entity in enumerate(table.get("entities") or []):
        if not isinstance(entity, dict):
            continue
        epath = f"{path}/entities/{e}"
        names = {i.name: i for i in infos if i.entity == e}
        varies = _template(entity.get("pk_template"), f"{epath}/pk_template", entity, names, out)
        sk_template = entity.get("sk_template")
        if has_sk:
            if isinstance(sk_template, str) and not sk_template:
                out.error(f"{epath}/sk_template", "the table has a sort key but this entity's sk_template is empty",
                          'give a template, e.g. "PROFILE" or "ORDER#{order_id}"')
            varies = _template(sk_template, f"{epath}/sk_template", entity, names, out) or varies
        elif isinstance(sk_template, str) and sk_template:
            out.error(f"{epath}/sk_template", "the table has no sort key (`sk`), so this template would be lost",
                      'set the table\'s "sk" (e.g. "SK"), or make sk_template ""')
        if not varies:
            out.error(f"{epath}/pk_template", "neither template has a placeholder: every row gets the same key",
                      "put the entity's identifying attribute in a template, e.g. USER#{user_id}")


def _lookup(name: str, table: dict[str, Any], infos: list["AttrInfo"]) -> list["AttrInfo"]:
    return [i for i in infos if i.name == name]


def _key_ref(name: Any, path: str, role: str, table: dict[str, Any], infos: list["AttrInfo"], out: "Findings",
             table_key: bool) -> None:
    if not isinstance(name, str):
        return
    multi = table.get("type") == "multi-entity"
    if multi and name in (table.get("pk"), table.get("sk")) and not table_key:
        return  # a GSI on the generic key attributes: S text from the templates
    found = _lookup(name, table, infos)
    if not found:
        if "#" in name:
            _composite(name, path, out)
            return
        known = ", ".join(f"`{i.name}`" for i in infos[:15]) or "(none)"
        where = "any entity" if multi else "the table"
        out.error(path, f"{role} `{name}` is not an attribute of {where}",
                  f"add an attribute named `{name}` from the column that identifies the item, or name one of: {known}")
        return
    types = {i.type for i in found}
    if len(types) > 1:
        out.error(path, f"{role} `{name}` has different types across entities: {', '.join(sorted(map(str, types)))}",
                  "give the attribute one type in every entity (a key attribute has one type per table)")
    for info in found:
        _key_type(info, role, out, table_key)


def _gsis(table: dict[str, Any], path: str, infos: list["AttrInfo"], out: "Findings") -> None:
    gsis = table.get("gsis") if isinstance(table.get("gsis"), list) else []
    if len(gsis) > MAX_GSIS:
        out.error(f"{path}/gsis", f"{len(gsis)} GSIs: DynamoDB allows {MAX_GSIS} per table", "merge or drop indexes")
    known = {i.name for i in infos} | {k for k in (table.get("pk"), table.get("sk")) if isinstance(k, str)}
    seen: set[str] = set()
    projected = 0
    for g, gsi in enumerate(gsis):
        if not isinstance(gsi, dict):
            continue
        gpath = f"{path}/gsis/{g}"
        name = gsi.get("index_name")
        if isinstance(name, str):
            if name in seen:
                out.error(f"{gpath}/index_name", f"duplicate index name `{name}`", "give each index its own name")
            seen.add(name)
            check_table_name_rules(name, f"{gpath}/index_name", "index", out)
        _key_ref(gsi.get("pk"), f"{gpath}/pk", f"GSI `{name}` partition key", table, infos, out, False)
        if gsi.get("sk") is not None:
            _key_ref(gsi.get("sk"), f"{gpath}/sk", f"GSI `{name}` sort key", table, infos, out, False)
        attrs = gsi.get("projected_attributes")
        projection = gsi.get("projection", "ALL")
        if projection == "INCLUDE" and not attrs:
            out.error(f"{gpath}/projected_attributes", "projection INCLUDE names no attributes",
                      "list the non-key attributes to project, or use KEYS_ONLY")
        if attrs and projection in ("ALL", "KEYS_ONLY"):
            out.warn(f"{gpath}/projected_attributes", f"projected_attributes are ignored with projection {projection}",
                     "drop them, or use projection INCLUDE")
        for k, attr in enumerate(attrs if isinstance(attrs, list) else []):
            if isinstance(attr, str) and attr not in known:
                out.error(f"{gpath}/projected_attributes/{k}", f"projected attribute `{attr}` is not an attribute of the table",
                          f"name an attribute of the table: {', '.join(sorted(known)[:15])}")
        if projection == "INCLUDE" and isinstance(attrs, list):
            projected += len(attrs)
    if projected > MAX_PROJECTED:
        out.error(f"{path}/gsis", f"{projected} projected attributes across indexes: DynamoDB allows {MAX_PROJECTED}",
                  "project fewer attributes, or use projection ALL")


def _item_size(table: dict[str, Any], path: str, infos: list["AttrInfo"], out: "Findings") -> None:
    declared = table.get("estimated_item_size_bytes")
    if isinstance(declared, (int, float)) and declared > ITEM_LIMIT:
        out.error(f"{path}/estimated_item_size_bytes", f"declared item size {declared:,.0f} bytes exceeds 400 KB",
                  "split the item or move large values (e.g. to S3) and store a reference")
    groups: dict[int | None, list["AttrInfo"]] = {}
    for info in infos:
        groups.setdefault(info.entity, []).append(info)
    keys = sum(len(str(k)) + 64 for k in (table.get("pk"), table.get("sk")) if table.get("type") == "multi-entity" and k)
    for entity, members in groups.items():
        typical = keys + sum(len(i.name.encode()) + i.typical for i in members)
        worst = keys + sum(len(i.name.encode()) + i.worst for i in members)
        where = path if entity is None else f"{path}/entities/{entity}"
        largest = sorted(members, key=lambda i: -i.worst)[:3]
        detail = ", ".join(f"`{i.name}` up to {i.worst:,} B" for i in largest)
        if typical > ITEM_LIMIT:
            out.error(where, f"estimated item size {typical / 1024:,.0f} KB exceeds DynamoDB's 400 KB ({detail})",
                      "drop or shorten large attributes, lower json-construction limits, or keep blobs in S3")
        elif worst > ITEM_LIMIT:
            out.warn(where, f"items can reach {worst / 1024:,.0f} KB when values reach their column maxima ({detail})",
                     "rows whose item exceeds 400 KB go to the reject file; bound the large values if that matters")


def check_keys(table: dict[str, Any], path: str, infos: list["AttrInfo"], catalog: Catalog | None,
               out: "Findings") -> None:
    if table.get("type") == "multi-entity":
        for field in ("pk", "sk"):
            name = table.get(field)
            if isinstance(name, str) and "#" in name:
                _composite(name, f"{path}/{field}", out)
        _multi_entity_keys(table, path, infos, out)
    else:
        _key_ref(table.get("pk"), f"{path}/pk", "partition key", table, infos, out, True)
        if table.get("sk") is not None:
            _key_ref(table.get("sk"), f"{path}/sk", "sort key", table, infos, out, True)
    _gsis(table, path, infos, out)
    _item_size(table, path, infos, out)
