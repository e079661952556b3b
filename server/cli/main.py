"""The `mysql2ddb` command. Each stage adds its commands from its own module."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mysql2ddb import __version__
from mysql2ddb.server.cli.common import STATE, handle_errors, settings
from mysql2ddb.tools.core.errors import ConfigError
from mysql2ddb.server.plugins import present_modules

app = typer.Typer(name="mysql2ddb", help="Move a MySQL application onto Amazon DynamoDB.", no_args_is_help=True)

CLI_MODULES = (
    "mysql2ddb.server.cli.analysis",
    "mysql2ddb.server.cli.modeling",
    "mysql2ddb.server.cli.modeling_design",
    "mysql2ddb.server.cli.modeling_keys",
    "mysql2ddb.server.cli.contract",
    "mysql2ddb.server.cli.execution",
    "mysql2ddb.server.cli.live",
    "mysql2ddb.server.cli.workflow",
    "mysql2ddb.server.cli.glue",
    "mysql2ddb.server.cli.gates",
    "mysql2ddb.server.cli.demo",
    "mysql2ddb.server.cli.local",
    "mysql2ddb.server.cli.s3_import",
    "mysql2ddb.server.cli.replay",
)


@app.callback()
def main(
    workdir: Optional[Path] = typer.Option(None, "--workdir", help="workspace directory (default ./mysql2ddb-work)"),
    log_level: str = typer.Option("WARNING", "--log-level", help="stderr log level"),
) -> None:
    from mysql2ddb.tools.core.logging_setup import configure_logging  # not needed for --help

    STATE["workdir"] = workdir
    configure_logging(log_level)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command()
@handle_errors
def serve(
    transport: str = typer.Option("stdio", "--transport", help="stdio (default) or http"),
    host: Optional[str] = typer.Option(
        None, "--host", help="HTTP bind address (default 127.0.0.1; a non-loopback one must be given here)"
    ),
    port: Optional[int] = typer.Option(None, "--port", help="HTTP port"),
) -> None:
    """Run the MCP server (stdio by default; --transport http binds 127.0.0.1 and needs a bearer token)."""
    from mysql2ddb.server.app import create_server
    from mysql2ddb.tools.core.logging_setup import configure_logging

    s = settings()
    configure_logging(s.log_level)
    if transport == "stdio":
        create_server(s).run(transport="stdio", show_banner=False)
        return
    if transport != "http":
        raise ConfigError(f"unknown transport {transport!r}", where="--transport", remedy="use stdio or http")
    if s.http_token is None or not s.http_token.get_secret_value():
        raise ConfigError(
            "the HTTP transport needs a bearer token",
            where="MYSQL2DDB_HTTP_TOKEN",
            remedy="set MYSQL2DDB_HTTP_TOKEN to a long random string; clients send it as 'Authorization: Bearer ...'",
        )
    from starlette.middleware import Middleware

    from mysql2ddb.server.http_auth import bearer_verifier
    from mysql2ddb.server.http_guard import GuardPolicy, HttpGuard, bind_warning

    bind, bind_port, token = host or s.http_host, port or s.http_port, s.http_token.get_secret_value()
    warning = bind_warning(bind, explicit=host is not None)
    if warning:
        typer.echo(warning, err=True)
    guard = Middleware(HttpGuard, policy=GuardPolicy.for_bind(bind, bind_port, token, s.http_allowed_origins))
    mcp = create_server(s, auth=bearer_verifier(token))
    # Our guard checks Host/Origin and answers with JSON bodies; FastMCP's own guard would run before it
    # (it is inserted outermost) and answer bare 421/403, so it is switched off here, not lost.
    mcp.run(transport="http", host=bind, port=bind_port, show_banner=False,
            middleware=[guard], host_origin_protection=False)


for _module in present_modules(CLI_MODULES):
    _module.register(app)


def run() -> None:
    app()
