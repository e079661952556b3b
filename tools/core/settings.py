"""All settings in one class. Environment prefix MYSQL2DDB_; secrets are SecretStr and never echoed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MYSQL2DDB_", extra="ignore")

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
    http_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="browser origins (comma separated) the HTTP transport accepts besides its own localhost ones",
    )

    prices_file: Path | None = Field(None, description="override for the DynamoDB price sheet")
    log_level: str = "INFO"
    exact_count_threshold: int = Field(
        1_000_000, description="tables above this many estimated rows get an estimated count, marked so"
    )
    mcp_servers_file: Path | None = Field(None, description="downstream MCP servers, mcpServers JSON shape")
    read_dirs: Annotated[list[Path], NoDecode] = Field(
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
