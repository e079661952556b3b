"""All settings in one class. Environment prefix MYSQL2DDB_; secrets are SecretStr and never echoed.

Read from the environment by a few lines here rather than pydantic-settings: every value is one
string (lists are split by the validators below), and importing pydantic-settings (with the
asyncio and dotenv it pulls in) cost every CLI start about 50 ms, a fifth of `analyze log` on a
4 MB log. Keyword arguments win over the environment, as before; a value pydantic refuses is a
ConfigError naming the variable."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from mysql2ddb.tools.core.errors import ConfigError

ENV_PREFIX = "MYSQL2DDB_"


def _from_environment(fields: Any, environ: Any = None) -> dict[str, str]:
    """MYSQL2DDB_<FIELD> for each field, the name's case ignored (as the shells and CI files that
    set them vary)."""
    env = os.environ if environ is None else environ
    wanted = {ENV_PREFIX + name.upper(): name for name in fields}
    return {wanted[key.upper()]: value for key, value in env.items() if key.upper() in wanted}


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    def __init__(self, **values: Any) -> None:
        from_env = _from_environment(type(self).model_fields)
        try:
            super().__init__(**{**from_env, **values})
        except ValidationError as exc:
            first = exc.errors()[0]
            name = str(first["loc"][0]) if first["loc"] else ""
            source = f"{ENV_PREFIX}{name.upper()}" if name in from_env and name not in values else name
            raise ConfigError(f"{first['msg']}", where=f"settings: {source}",
                              remedy=f"give {source} a valid value ({len(exc.errors())} problem(s) in all)") from None

    workdir: Path = Field(Path("mysql2ddb-work"), description="where every artifact lands")
    dsn: SecretStr | None = Field(None, description="mysql://user:password@host:port/database")
    mysql_password: SecretStr | None = Field(None, description="password, when the DSN has none")
    mysql_password_file: Path | None = Field(None, description="file holding the password")

    aws_region: str = "us-east-1"
    aws_endpoint_url: str | None = Field(
        None, description="DynamoDB/S3/Glue endpoint; 'embedded' is the workspace's local endpoint (a moto server "
                          "on 127.0.0.1, started when needed, kept until `local stop`)"
    )
    allow_writes: bool = Field(False, description="let MCP tools that write run without a per-call confirm")

    http_host: str = "127.0.0.1"
    http_port: int = 8765
    http_token: SecretStr | None = Field(None, description="bearer token the HTTP transport requires")
    http_allowed_origins: list[str] = Field(
        default_factory=list,
        description="browser origins (comma separated) the HTTP transport accepts besides its own localhost ones",
    )

    prices_file: Path | None = Field(None, description="override for the DynamoDB price sheet")
    log_level: str = "INFO"
    exact_count_threshold: int = Field(
        1_000_000, description="tables above this many estimated rows get an estimated count, marked so"
    )
    mcp_servers_file: Path | None = Field(None, description="downstream MCP servers, mcpServers JSON shape")
    read_dirs: list[Path] = Field(
        default_factory=list,
        description="directories MCP tools may read besides the workspace (query logs), separated by the OS path "
                    "separator (':' on Linux)")

    @field_validator("read_dirs", mode="before")
    @classmethod
    def _split_dirs(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in value.split(os.pathsep) if part.strip()]
        return value

    @field_validator("http_allowed_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):  # from the environment: "http://a:1, http://b:2"
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def password(self) -> str | None:
        if self.mysql_password is not None:
            return self.mysql_password.get_secret_value()
        if self.mysql_password_file is not None:
            return self.mysql_password_file.read_text().strip()
        return None
