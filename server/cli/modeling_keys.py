"""`mysql2ddb model key TABLE --columns a,b | --synthetic`: the key of a table that has no usable
one, checked against the data when a DSN is known, kept in table_keys.json."""

from __future__ import annotations

from typing import Optional

import typer

from mysql2ddb.server.cli.common import DsnOpt, JsonOpt, emit, handle_errors, request
from mysql2ddb.server.cli.modeling import model_app


@handle_errors
def key(table: str = typer.Argument(..., help="the MySQL table without a usable key"),
        columns: Optional[str] = typer.Option(None, "--columns", help="key columns, comma-separated"),
        synthetic: bool = typer.Option(False, "--synthetic", help="key by a hash of the whole row"),
        dsn: Optional[str] = DsnOpt, as_json: bool = JsonOpt) -> None:
    """Choose the key of a table without a primary key (columns, or a synthetic row hash)."""
    import asyncio

    from mysql2ddb.tools.usecases import modeling as uc

    names = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    emit(asyncio.run(uc.choose_table_key(request(), table, names, synthetic, dsn)).result, as_json)


def register(app: typer.Typer) -> None:
    model_app.command("key")(key)
