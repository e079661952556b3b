"""`mysql2ddb serve`: the MCP server on stdio (default) or Streamable HTTP (bearer token, Host and
Origin checked)."""

from __future__ import annotations

from typing import Optional

import typer

from mysql2ddb.server.cli.common import handle_errors, settings
from mysql2ddb.tools.core.errors import ConfigError


def register(app: typer.Typer) -> None:
    app.command()(handle_errors(serve))


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
