"""`mysql2ddb analyze schema|log`: the analysis commands, each in its own module (policy and input
resolution in tools/usecases/analysis.py)."""

from __future__ import annotations

import typer

from mysql2ddb.server.plugins import present_modules

analyze_app = typer.Typer(help="Stage 1: read the live schema and the query logs (read-only).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    for module in present_modules(("mysql2ddb.server.cli.analyze_schema", "mysql2ddb.server.cli.analyze_log")):
        module.register(analyze_app)
    app.add_typer(analyze_app, name="analyze")
