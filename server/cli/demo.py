"""`mysql2ddb demo`: Sakila end to end on the embedded default, the README's first command.

One design all the way: analysis of the live schema and the shared workload capture, the access
patterns, a recommended design with its validation, cost and data model, the contract generated
from that design and validated against the live database, then that contract's views, tables on
the embedded AWS endpoint, copy, verification and the report (tools/usecases/demo.py). The demo
answers the approval gates itself: the output and approvals.json say "approved by the demo"."""

from __future__ import annotations

from typing import Any, Optional

import typer

from mysql2ddb.server.cli.common import EXIT_INVALID, handle_errors, request

# tools.core.endpoints.EMBEDDED, written out: importing it here would pull the settings (pydantic),
# and tools.core.aws boto3, into `--help` (tests/test_start_imports.py checks the two agree)
EMBEDDED = "embedded"
DEMO_DSN = "mysql://root@127.0.0.1:3306/sakila_demo"


def register(app: typer.Typer) -> None:
    @app.command()
    @handle_errors
    def demo(
        dsn: str = typer.Option(DEMO_DSN, "--dsn", help="database to load Sakila into (it is replaced)"),
        endpoint_url: Optional[str] = typer.Option(EMBEDDED, "--endpoint-url", help="'embedded' (default) or a URL; empty for real AWS"),
        region: str = typer.Option("us-east-1", "--region"),
        dry_run: bool = typer.Option(False, "--dry-run", help="plan the migration only: no views, tables or items"),
    ) -> None:
        """Run Sakila end to end on one design: analysis, modeling, its contract, views, tables, copy, verification."""
        import asyncio

        from rich.console import Console
        from rich.rule import Rule

        from mysql2ddb.tools.core.progress import terminal_progress
        from mysql2ddb.tools.core.render import print_rich
        from mysql2ddb.tools.usecases.demo import run_demo, standing

        console = Console()

        def show(title: str, result: Any) -> None:
            console.print(Rule(f"[bold]{title}"))
            print_rich(result, console)

        progress = terminal_progress()
        req = request(progress)
        try:
            report = asyncio.run(run_demo(req, dsn, endpoint_url=endpoint_url or None, region=region, show=show,
                                          on_plan=lambda plan: print_rich(plan, console), say=console.print,
                                          dry_run=dry_run))
        finally:
            progress.close()
        show("Where the migration stands", standing(req))
        console.print(f"Artifacts: {req.workspace.root}")
        if not report.ok:
            raise typer.Exit(EXIT_INVALID)
