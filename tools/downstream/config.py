"""The downstream config: the `mcpServers` JSON shape clients already use, plus an optional
`mysql2ddb` block per server saying which of our services it serves. Services no server
claims use the direct adapters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from mysql2ddb.tools.core.errors import ConfigError

Service = Literal["mysql", "dynamodb", "glue", "s3"]
SERVICES: tuple[Service, ...] = ("mysql", "dynamodb", "glue", "s3")


class ServerBinding(BaseModel):
    services: list[Service]


class ServerConfig(BaseModel):
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    mysql2ddb: ServerBinding | None = None


class DownstreamConfig(BaseModel):
    mcpServers: dict[str, ServerConfig] = Field(default_factory=dict)  # noqa: N815 - the shape clients use

    def server_for(self, service: Service) -> tuple[str, ServerConfig] | None:
        for name, server in self.mcpServers.items():
            if server.mysql2ddb and service in server.mysql2ddb.services:
                return name, server
        return None


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
