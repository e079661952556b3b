"""`validate_contract`: the migration contract against the reference JSON Schema and the live
database, every problem at once with its JSON pointer path and a remedy. Read-only: it reads
information_schema and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastmcp import FastMCP
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.common import Deps, annotations, mapped, result
from mysql2ddb.tools.core.errors import InputError
from mysql2ddb.tools.core.db import Dsn


def register(app: FastMCP, deps: Deps) -> None:
    def dsn_of(dsn: str | None) -> Dsn | None:
        s = deps.settings
        text = dsn or (s.dsn.get_secret_value() if s.dsn else None)
        return Dsn.parse(text, password=s.password()) if text else None

    def source_of(contract: dict[str, Any] | None, path: str | None) -> Any:
        if contract is not None and path is not None:
            raise InputError("both a contract and a path given", where="validate_contract",
                             remedy="pass the contract inline (contract=) or a file (path=), not both")
        if contract is not None:
            return contract
        candidate = Path(path or "contract.json")
        return candidate if candidate.is_absolute() else deps.workspace.path(str(candidate))

    @app.tool(annotations=annotations("validate_contract"))
    @mapped
    async def validate_contract(contract: dict[str, Any] | None = None, path: str | None = None,
                                dsn: str | None = None) -> ToolResult:
        """Check a migration contract: the reference JSON Schema, then the live MySQL database (every
        table, column, alias and join target exists; every SQL fragment is one read-only expression over
        known tables; pk/sk/GSI keys come from attributes of key-compatible types; items fit 400 KB).
        Give the contract inline (`contract`) or as a file (`path`, workspace-relative; default
        contract.json). `dsn` defaults to MYSQL2DDB_DSN; without any, only the shape is checked.
        Returns {"valid", "errors": [{"path", "message", "remedy"}], "warnings"}; fix every listed path."""
        from mysql2ddb.tools.contract.validate import validate_contract as validate

        outcome = await validate(source_of(contract, path), dsn_of(dsn))
        return result(outcome)
