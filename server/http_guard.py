"""The first gate of the streamable HTTP transport, ahead of everything FastMCP runs.

A web page the user happens to visit can make the browser POST to 127.0.0.1 (cross-site request)
or, through DNS rebinding, to a foreign name that resolves to 127.0.0.1. The MCP transport spec asks
servers to refuse both: a request whose `Origin` is not one of ours, or (on a loopback bind) whose
`Host` is not a loopback name with our port, gets 403. Requests without `Origin` (non-browser
clients) go on to the bearer-token check, which answers 401 with `WWW-Authenticate: Bearer`.
Every refusal is JSON saying why and what to do (FastMCP's own guard answers a bare 403/421, and its
token check tells the client to re-register with OAuth, which does not apply to a static token).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from mysql2ddb.server.http_auth import token_matches
from mysql2ddb.tools.core.errors import ConfigError

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
TOKEN_ENV = "MYSQL2DDB_HTTP_TOKEN"
ORIGINS_ENV = "MYSQL2DDB_HTTP_ALLOWED_ORIGINS"


def is_loopback(host: str) -> bool:
    name = host.strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def bind_warning(host: str, explicit: bool) -> str | None:
    """None for a loopback bind. A non-loopback one must come from `--host` itself (not a setting
    left in the environment) and earns a warning, since anyone who can reach it may try tokens."""
    if is_loopback(host):
        return None
    if not explicit:
        raise ConfigError(
            f"the HTTP transport would bind {host!r}, which is reachable from other machines",
            where="MYSQL2DDB_HTTP_HOST",
            remedy="bind 127.0.0.1 (the default), or pass --host on the command line to expose it deliberately",
        )
    return (
        f"WARNING: the MCP server listens on {host}, reachable from other machines; only the bearer token "
        f"stands between them and the tools. Host names are not checked on this bind; browser origins other "
        f"than localhost must be listed in {ORIGINS_ENV}."
    )


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _normalized_origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


@dataclass(frozen=True)
class GuardPolicy:
    """What the guard lets through, fixed when the server starts."""

    port: int
    token: str
    allowed_hosts: frozenset[str]  # empty: Host is not checked (non-loopback bind)
    allowed_origins: frozenset[str]

    @classmethod
    def for_bind(cls, host: str, port: int, token: str, extra_origins: list[str]) -> "GuardPolicy":
        names = {*LOOPBACK_NAMES, _url_host(host).lower()}
        authorities = {f"{name}:{port}" for name in names} | (names if port == 80 else set())  # :80 may be left out
        hosts = frozenset(authorities) if is_loopback(host) else frozenset()
        origins = {f"http://{a}" for a in authorities} | {_normalized_origin(o) for o in extra_origins}
        return cls(port=port, token=token, allowed_hosts=hosts, allowed_origins=frozenset(origins))

    def refusal(self, headers: Headers) -> tuple[int, dict[str, Any], list[tuple[bytes, bytes]]] | None:
        """(status, body, extra headers) for a request to refuse, None for one to let through."""
        host = headers.get("host", "")
        if self.allowed_hosts and host.lower() not in self.allowed_hosts:
            return 403, _body(
                "forbidden_host", "Host header",
                f"Host {host!r} is not this server's loopback address (a DNS-rebinding attempt looks like this)",
                f"connect to http://127.0.0.1:{self.port}/mcp (or localhost / [::1] with port {self.port})",
            ), []
        for origin in headers.getlist("origin"):
            if _normalized_origin(origin) not in self.allowed_origins:
                return 403, _body(
                    "forbidden_origin", "Origin header",
                    f"requests from the web origin {origin!r} are refused (cross-site requests to a local MCP server)",
                    f"use a non-browser MCP client, or add the origin to {ORIGINS_ENV} (comma separated) "
                    "when that page is trusted",
                ), []
        return self._token_refusal(headers.get("authorization", ""))

    def _token_refusal(self, authorization: str) -> tuple[int, dict[str, Any], list[tuple[bytes, bytes]]] | None:
        scheme, _, candidate = authorization.partition(" ")
        if scheme.lower() == "bearer" and candidate.strip():
            if token_matches(candidate.strip(), self.token):
                return None
            return 401, _body(
                "invalid_token", "Authorization header", "the bearer token does not match this server's",
                f"send 'Authorization: Bearer <{TOKEN_ENV}>' with the value the server was started with",
            ), [(b"www-authenticate", b'Bearer realm="mysql2ddb", error="invalid_token"')]
        return 401, _body(
            "missing_token", "Authorization header", "the request carries no bearer token",
            f"send 'Authorization: Bearer <{TOKEN_ENV}>' with the value the server was started with",
        ), [(b"www-authenticate", b'Bearer realm="mysql2ddb"')]


def _body(code: str, where: str, why: str, remedy: str) -> dict[str, Any]:
    return {"code": code, "where": where, "why": why, "remedy": remedy}


class HttpGuard:
    """ASGI middleware applying a GuardPolicy to every HTTP request; lifespan events pass through."""

    def __init__(self, app: ASGIApp, policy: GuardPolicy):
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no WebSocket route exists; refuse rather than leave a side door
            await send({"type": "websocket.close", "code": 1008})
            return
        refused = self.policy.refusal(Headers(scope=scope))
        if refused is None:
            await self.app(scope, receive, send)
            return
        status, body, extra = refused
        payload = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *extra]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
