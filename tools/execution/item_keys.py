"""An item's key as one text: how verification, the copy's rejects, the live sync and replay name
items (host side only; the converter shipped to Glue does not need it)."""

from __future__ import annotations

from base64 import b64encode as _B64

from mysql2ddb.tools.execution.convert import _BINARY, canonical_number


def _key_part(av: dict) -> str:
    (kind, value), = av.items()
    if kind == "N":
        return canonical_number(value)
    return _B64(bytes(value)).decode("ascii") if kind == "B" and isinstance(value, _BINARY) else value


def key_text(item: dict, pk: str, sk: str | None) -> str:
    """The item's key as text: pk, or pk + TAB + sk; N in canonical text, B as base64."""
    text = _key_part(item[pk])
    return text + "\t" + _key_part(item[sk]) if sk else text
