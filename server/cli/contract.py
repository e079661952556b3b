"""`mysql2ddb contract validate FILE --dsn DSN [--json]`: every problem of a contract at once, each
with its JSON pointer path and a remedy; exit status 1 when the contract is invalid."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mysql2ddb.server.cli.common import EXIT_INVALID, DsnOpt, JsonOpt, emit, handle_errors, request

contract_app = typer.Typer(help="Migration contracts: validate against the schema and the live database.",
                           no_args_is_help=True)


@contract_app.command("validate")
@handle_errors
def validate(
    file: Path = typer.Argument(..., help="the contract JSON file"),
    dsn: Optional[str] = DsnOpt,
    as_json: bool = JsonOpt,
    schema_only: bool = typer.Option(False, "--schema-only", help="check the shape only, without a database"),
) -> None:
    """Validate FILE against the reference JSON Schema and the live database."""
    import asyncio

    from mysql2ddb.tools.usecases.contract import validate_contract

    outcome = asyncio.run(validate_contract(request(), path=str(file), dsn=dsn, schema_only=schema_only,
                                            database_required=True))
    emit(outcome, as_json)
    if not outcome.valid:
        raise typer.Exit(EXIT_INVALID)


def register(app: typer.Typer) -> None:
    app.add_typer(contract_app, name="contract")
