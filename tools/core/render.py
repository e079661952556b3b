"""Every result renders three ways from one description: JSON (structured content, --json),
markdown (chat) and a rich table (terminal). A result model implements `tables()` (and
optionally `summary()`); the three renderings are derived here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Sequence

from mysql2ddb.tools.core.workspace import to_jsonable


@dataclass
class Table:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def markdown_table(table: Table) -> str:
    def esc(v: Any) -> str:
        return _cell(v).replace("|", "\\|").replace("\n", " ")

    lines = [f"### {table.title}", "", "| " + " | ".join(table.headers) + " |"]
    lines.append("|" + "|".join("---" for _ in table.headers) + "|")
    lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in table.rows]
    return "\n".join(lines)


def to_markdown(result: Any) -> str:
    parts: list[str] = []
    summary = getattr(result, "summary", None)
    if callable(summary):
        parts.append(summary())
    for table in result.tables():
        parts.append(markdown_table(table))
    return "\n\n".join(parts) + "\n"


def to_json(result: Any) -> str:
    return json.dumps(to_jsonable(result), indent=2, default=str)


def print_rich(result: Any, console: Any = None) -> None:
    from rich.console import Console
    from rich.table import Table as RichTable

    console = console or Console()
    summary = getattr(result, "summary", None)
    if callable(summary):
        text = summary()
        if console.is_terminal:  # a person reading: bold and code spans rendered, not shown as ** and `
            from rich.markdown import Markdown

            console.print(Markdown(text))
        else:  # piped or captured: the text as written, greppable
            console.print(text, markup=False)
    for table in result.tables():
        if not console.is_terminal:  # piped to a file or a CI log: every cell whole, one row a line
            console.print(markdown_table(table) + "\n", markup=False, soft_wrap=True, highlight=False)
            continue
        rich_table = RichTable(title=table.title)
        for header in table.headers:
            rich_table.add_column(str(header))
        for row in table.rows:
            rich_table.add_row(*(_cell(v) for v in row))
        console.print(rich_table)
