"""Where an item attribute's value comes from, in one line a reviewer can check against MySQL:
a column of the row (`column film.title`), a column reached by a join (`join via language`), a
calculation, a JSON document built from related rows (`json-construction`), and whether it is a
denormalized copy. Used by the gate reviews and the data model document alike."""

from __future__ import annotations

from typing import Any

from mysql2ddb.tools.contract.model import Attribute


def _join(attr: Attribute) -> str:
    join: Any = attr.join
    if join.type == "json-construction":
        c = join.construction
        bits = [f"json-construction: {c.type} of `{join.target_table}` ({', '.join(c.select_columns)})"]
        if c.order_by:
            bits.append(f"ordered by {c.order_by}")
        if c.limit:
            bits.append(f"at most {c.limit:g}")
        return ", ".join(bits)
    if join.type == "chain":
        hops = " -> ".join(f"`{h.target_table}`" for h in join.joins)
        if join.chain_separator is not None:  # every hop's value, joined into one text
            values = ", ".join(f"`{h.select_column}`" for h in join.joins)
            return f"join via {hops}: {values} joined by {join.chain_separator!r}"
        return f"join via {hops}: `{join.joins[-1].select_column if join.joins else '?'}`"
    if join.type == "conditional":
        return (f"join via `{join.target_table}` (conditional): `{join.select_column}` if {join.condition}, "
                f"else {join.else_value!r}")
    if join.type == "self-join":
        text = f"join via `{attr.source_table}` (self-join as {join.join_alias}): `{join.select_column}`"
        return text + (f", else {join.null_value!r}" if join.null_value is not None else "")
    return f"join via `{join.target_table}` ({join.type}): `{join.select_column}`"


def _calculation(attr: Attribute) -> str:
    calc: Any = attr.calculation
    if calc.type == "aggregate":
        return f"calculation: {calc.operation}({calc.select_column}) over `{calc.target_table}`"
    if calc.type == "case":
        whens = " ".join(f"WHEN {c.when} THEN {c.then}" for c in calc.cases)
        other = f" ELSE {calc.else_}" if calc.else_ is not None else ""
        return f"calculation: CASE {whens}{other} END"
    return f"calculation: {calc.type}"


def origin(attr: Attribute) -> str:
    """One line: the kind of source and what it reads."""
    if attr.join is not None:
        text = _join(attr)
    elif attr.calculation is not None:
        text = _calculation(attr)
    else:
        text = f"column `{attr.source_table}.{', '.join(attr.source_columns)}`"
    if attr.transformation is not None:
        t = attr.transformation
        text += f", {t.type}" + (f" `{t.format}`" if t.format else "")
    if attr.denormalized:
        text += ", denormalized"
    return text


def origin_of(raw: Any) -> str:
    """`origin` for an attribute given as JSON (a contract file may not parse as a whole)."""
    if isinstance(raw, Attribute):
        return origin(raw)
    try:
        return origin(Attribute.model_validate(raw))
    except ValueError:
        return "not readable as a contract attribute"
