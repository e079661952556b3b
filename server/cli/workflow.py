"""`mysql2ddb status`."""

from __future__ import annotations

import typer

from mysql2ddb.server.cli.common import JsonOpt, emit, handle_errors, request


def register(app: typer.Typer) -> None:
    @app.command()
    @handle_errors
    def status(as_json: bool = JsonOpt) -> None:
        """Where the migration stands and the exact command to run next."""
        from mysql2ddb.tools.usecases import workflow

        emit(workflow.status(request()), as_json)
