"""`mysql2ddb demo`: Sakila end to end on the embedded default, the README's first command.

Analysis of the live schema and the shared workload capture, the access-pattern registry, a
recommended design with its validation, cost and data model, the shared contract validated
against the live database, then views, tables on the embedded AWS endpoint, copy, verification
and the report. The demo answers the approval gates itself and says so in each record."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

import typer

from mysql2ddb.server.cli.common import EXIT_INVALID, handle_errors, request

if TYPE_CHECKING:
    from rich.console import Console

    from mysql2ddb.tools.core.db import Dsn

# tools.core.endpoints.EMBEDDED, written out: importing it would pull the settings (pydantic) into
# `--help` (tests/test_start_imports.py checks the two agree)
EMBEDDED = "embedded"
DEMO_DSN = "mysql://root@127.0.0.1:3306/sakila_demo"
DEMO_NOTE = "recorded by `mysql2ddb demo` (a non-interactive demonstration, not a user's approval)"


def _step(console: Console, title: str, fn: Callable[[], Any]) -> Any:
    from rich.rule import Rule

    from mysql2ddb.tools.core.render import print_rich

    console.print(Rule(f"[bold]{title}"))
    value = fn()
    shown = value.report() if callable(getattr(value, "report", None)) else value
    if callable(getattr(shown, "tables", None)):
        print_rich(shown, console)
    return value


def register(app: typer.Typer) -> None:
    @app.command()
    @handle_errors
    def demo(
        dsn: str = typer.Option(DEMO_DSN, "--dsn", help="database to load Sakila into (it is replaced)"),
        endpoint_url: Optional[str] = typer.Option(EMBEDDED, "--endpoint-url", help="'embedded' (default) or a URL; empty for real AWS"),
        region: str = typer.Option("us-east-1", "--region"),
    ) -> None:
        """Run Sakila end to end: analysis, modeling, the shared contract, views, tables, copy, verification, report."""
        from rich.console import Console
        from rich.rule import Rule

        from mysql2ddb.tools.core.render import print_rich
        from mysql2ddb.tools.usecases import corpora

        console = Console()
        req = request()
        ws, target = req.workspace, req.dsn(dsn, where="--dsn")
        shared = corpora.shared_dir()
        capture = shared / "corpora" / "sakila" / "workload-capture"

        _step(console, f"Loading Sakila into {target.redacted()}", lambda: corpora.ensure_sakila(target, force=True) and None)
        schema = _step(console, "Stage 1: schema analysis", lambda: _analyze_schema(target, ws))
        logs = _step(console, "Stage 1: query-log analysis (shared workload capture)",
                     lambda: _analyze_logs([capture / "general.log.gz"], ws))
        _step(console, "Stage 2: access patterns, design, validation, cost", lambda: _model(schema, logs, ws))
        contract = _step(console, "Stage 2: the shared contract, validated against the live database",
                         lambda: _contract(shared / "corpora" / "sakila" / "contract.json", target, ws))
        console.print(Rule("[bold]Stage 3: views, tables, copy, verification"))
        report = _migrate(contract, target, endpoint_url or None, region, ws, console)
        print_rich(report, console)
        from mysql2ddb.tools.usecases.workflow import workflow_status

        _step(console, "Where the migration stands", lambda: workflow_status(ws))
        console.print(f"Artifacts: {ws.root}")
        if not report.ok:
            raise typer.Exit(EXIT_INVALID)


def _analyze_schema(dsn: Dsn, ws: Any) -> Any:
    import asyncio

    from mysql2ddb.tools.analysis.schema import analyze_schema, write_schema_artifacts

    analysis = asyncio.run(analyze_schema(dsn))
    write_schema_artifacts(analysis, ws)
    return analysis


def _analyze_logs(paths: list[Path], ws: Any) -> Any:
    from mysql2ddb.tools.analysis.logs.analyze import analyze_logs, write_log_artifacts

    analysis = analyze_logs(paths)
    write_log_artifacts(analysis, ws)
    return analysis


def _model(schema: Any, logs: Any, ws: Any) -> Any:
    from mysql2ddb.tools.modeling import demo_flow

    return demo_flow.model_and_approve(schema, logs, ws, note=DEMO_NOTE)


def _contract(path: Path, dsn: Dsn, ws: Any) -> Any:
    import asyncio

    from mysql2ddb.tools.modeling import demo_flow

    return asyncio.run(demo_flow.adopt_contract(ws, path, dsn, note=DEMO_NOTE))


def _migrate(contract: Any, dsn: Dsn, endpoint: str | None, region: str, ws: Any, console: Console) -> Any:
    import asyncio

    from mysql2ddb.tools.core.aws import aws_clients
    from mysql2ddb.tools.core.progress import terminal_progress
    from mysql2ddb.tools.core.render import print_rich
    from mysql2ddb.tools.execution.pipeline import MigrateOptions, migrate

    progress = terminal_progress()
    try:
        with aws_clients(endpoint, region, say=console.print) as aws:
            return asyncio.run(migrate(contract, dsn, aws, ws, MigrateOptions(), progress,
                                       on_plan=lambda plan: print_rich(plan, console)))
    finally:
        progress.close()
