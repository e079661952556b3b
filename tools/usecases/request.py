"""One call's standing: who asks (an assistant over MCP, or the user's CLI), the settings and
workspace it runs against, and how it reports progress. Every use case resolves its inputs here,
so the DSN and its password, files, contracts, endpoints and write consent are decided once for
both front ends (tools/core/credentials.py, access.py, endpoints.py, consent.py say the rules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mysql2ddb.tools.core.access import Caller, FileAccess, file_access
from mysql2ddb.tools.core.consent import Consent, operation, require_consent
from mysql2ddb.tools.core.endpoints import resolve_endpoint, resolve_region
from mysql2ddb.tools.core.progress import NullProgress, ProgressSink
from mysql2ddb.tools.core.workspace import Workspace

if TYPE_CHECKING:  # the MySQL client (pymysql, sqlglot) loads only for a use case that reads MySQL
    from mysql2ddb.tools.core.db import Dsn
    from mysql2ddb.tools.core.settings import Settings

DEFAULT_CONTRACT = "contract.json"


@dataclass
class Request:
    settings: Settings
    workspace: Workspace
    caller: Caller
    progress: ProgressSink = field(default_factory=NullProgress)

    @classmethod
    def of(cls, settings: Settings, caller: Caller, progress: ProgressSink | None = None) -> "Request":
        return cls(settings, Workspace(settings.workdir), caller, progress or NullProgress())

    # -- the database -------------------------------------------------------------------------
    def dsn(self, text: str | None, where: str = "dsn") -> Dsn:
        from mysql2ddb.tools.core.credentials import resolve_dsn

        return resolve_dsn(text, self.settings, where=where)  # type: ignore[return-value]

    def optional_dsn(self, text: str | None, where: str = "dsn") -> Dsn | None:
        from mysql2ddb.tools.core.credentials import resolve_dsn

        return resolve_dsn(text, self.settings, where=where, required=False)

    # -- files ----------------------------------------------------------------------------------
    @property
    def files(self) -> FileAccess:
        return file_access(self.caller, self.workspace.root, self.settings.read_dirs)

    def readable(self, path: str | Path, where: str) -> Path:
        """A file the caller may read: relative paths are taken from the workspace over MCP and
        from the current directory in the CLI."""
        base = self.workspace.root if self.caller is Caller.MCP else None
        return self.files.check(path, where=where, base=base)

    def contract_path(self, path: str | None, where: str = "contract") -> Path:
        """The contract file: the workspace's contract.json by default; over MCP a workspace-relative
        path or one under MYSQL2DDB_READ_DIRS."""
        if not path:
            return self.workspace.path(DEFAULT_CONTRACT)
        return self.readable(path, where)

    def contract(self, path: str | None, where: str = "contract") -> Any:
        from mysql2ddb.tools.contract.load import load_contract

        return load_contract(self.contract_path(path, where))

    # -- AWS ------------------------------------------------------------------------------------
    def endpoint(self, given: str | None, where: str = "endpoint_url") -> str | None:
        return resolve_endpoint(given, self.settings, self.caller, where=where)

    def region(self, given: str | None) -> str:
        return resolve_region(given, self.settings)

    # -- writes ---------------------------------------------------------------------------------
    def consent(self, confirmed: bool) -> Consent:
        return Consent(confirmed=confirmed, server_allows=self.settings.allow_writes)

    def require_write(self, op_name: str, confirmed: bool) -> None:
        how = "confirm=true" if self.caller is Caller.MCP else "--yes"
        require_consent(operation(op_name), self.consent(confirmed), how=how)
