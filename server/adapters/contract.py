"""`validate_contract`: the migration contract against the reference JSON Schema and the live
database, every problem at once with its JSON pointer path and a remedy. Read-only: it reads
information_schema and nothing else. Inputs resolved in tools/usecases/contract.py."""

from __future__ import annotations

from typing import Any

from fastmcp import FastMCP
from fastmcp.tools.base import ToolResult

from mysql2ddb.server.adapters.arguments import clean_argument_errors
from mysql2ddb.server.adapters.common import Deps, annotations, mapped, result
from mysql2ddb.tools.usecases import contract as uc


def register(app: FastMCP, deps: Deps) -> None:
    clean_argument_errors(app, {"validate_contract"})

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
        return result(await uc.validate_contract(deps.request(), contract, path, dsn))
