"""The downstream config: the `mcpServers` JSON shape clients already use, plus an optional
`mysql2ddb` block per server saying which of our services it serves. Services no server
claims use the direct adapters.

It comes only from the file the user named (MYSQL2DDB_MCP_SERVERS_FILE), never from a tool
argument: each server in it is a program this process starts. Its env and header values are
secrets (SecretStr: never in a repr or a dump), and so is a password in its url or in a URL among
its args; `secrets()` lists them so every message built from a downstream failure can be
redacted (`redact`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Literal
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError

from mysql2ddb.tools.core.errors import ConfigError

Service = Literal["mysql", "dynamodb", "glue", "s3"]
SERVICES: tuple[Service, ...] = ("mysql", "dynamodb", "glue", "s3")


class ServerBinding(BaseModel):
    services: list[Service]


MIN_SECRET = 3  # shorter values are not secrets, and redacting them would garble every message


def _url_secrets(text: str | None) -> list[str]:
    """The password and query values of a URL (tokens are often passed as ?key=...)."""
    if not text or "://" not in text:
        return []
    try:
        parts = urlsplit(text)
        found = [parts.password or ""] + [value for _, value in parse_qsl(parts.query)]
    except ValueError:
        return []
    return [v for v in found if v]


class ServerConfig(BaseModel):
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, SecretStr] = Field(default_factory=dict)
    url: str | None = None
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    mysql2ddb: ServerBinding | None = None

    def plain_env(self) -> dict[str, str]:
        """The environment for the child process (the only place the values are unwrapped)."""
        return {k: v.get_secret_value() for k, v in self.env.items()}

    def plain_headers(self) -> dict[str, str]:
        return {k: v.get_secret_value() for k, v in self.headers.items()}

    def secrets(self) -> list[str]:
        values = [*self.plain_env().values(), *self.plain_headers().values(), *_url_secrets(self.url)]
        for arg in self.args:
            values += _url_secrets(arg)
        return [v for v in values if len(v) >= MIN_SECRET]

    def __repr__(self) -> str:  # a password in the url or an argument stays out of reprs and logs
        return redact(super().__repr__(), self.secrets())

    __str__ = __repr__


class DownstreamConfig(BaseModel):
    mcpServers: dict[str, ServerConfig] = Field(default_factory=dict)  # noqa: N815 - the shape clients use

    def secrets(self) -> list[str]:
        return [v for server in self.mcpServers.values() for v in server.secrets()]

    def server_for(self, service: Service) -> tuple[str, ServerConfig] | None:
        for name, server in self.mcpServers.items():
            if server.mysql2ddb and service in server.mysql2ddb.services:
                return name, server
        return None


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (longest first, so one inside another goes too) replaced by ***."""
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def load_downstream_config(source: Path | str | dict[str, Any] | None) -> DownstreamConfig:
    if source is None:
        return DownstreamConfig()
    where = "downstream config"
    try:
        data = source if isinstance(source, dict) else json.loads(Path(source).read_text())
        where = str(source) if not isinstance(source, dict) else where
        config = DownstreamConfig.model_validate(data)
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(str(exc), where=where, remedy="point MYSQL2DDB_MCP_SERVERS_FILE at a readable mcpServers JSON file") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"{'/'.join(map(str, first['loc']))}: {first['msg']}", where=where,
                          remedy='write it as {"mcpServers": {"name": {"command": ..., "args": [...], "env": {...}, '
                          '"mysql2ddb": {"services": ["mysql"]}}}}') from None
    for name, server in config.mcpServers.items():
        if not (server.command or server.url):
            raise ConfigError(f"server {name!r} has neither command nor url", where=where,
                              remedy="give a stdio command or an HTTP url")
    return config
