"""Stage modules register their own MCP tools and CLI commands; a stage not installed adds nothing."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Iterable, Iterator


def present_modules(names: Iterable[str]) -> Iterator[ModuleType]:
    """Import each named module that exists; an import error inside one is raised, not hidden."""
    for name in names:
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
