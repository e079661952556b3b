"""Jinja2 templates for MCP prompts and rendered artifacts. StrictUndefined everywhere: a
template that names a missing variable fails loudly instead of rendering a blank."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["md_cell"] = lambda v: "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")
    return env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
