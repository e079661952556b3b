"""`mysql2ddb status`."""

from __future__ import annotations

import typer

from mysql2ddb.server.cli.common import JsonOpt, emit, handle_errors, workspace
from mysql2ddb.tools.usecases.workflow import workflow_status


def register(app: typer.Typer) -> None:
    @app.command()
    @handle_errors
    def status(as_json: bool = JsonOpt) -> None:
        """Where the migration stands and what comes next."""
        emit(workflow_status(workspace()), as_json)
