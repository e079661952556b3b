"""`validate_contract` for both front ends: a contract given inline (MCP) or as a file the caller may
read (`req.contract_path`: the workspace's contract.json by default; an MCP caller reads only the
workspace and MYSQL2DDB_READ_DIRS, the CLI what the user names), checked against the reference JSON
Schema and, with a database (`req.optional_dsn`, or `req.dsn` when the caller requires one), the
live MySQL catalog. Read-only: information_schema and nothing else."""

from __future__ import annotations

from typing import Any

from mysql2ddb.tools.core.errors import InputError
from mysql2ddb.tools.usecases.request import Request


async def validate_contract(req: Request, contract: dict[str, Any] | None = None, path: str | None = None,
                            dsn: str | None = None, *, schema_only: bool = False,
                            database_required: bool = False) -> Any:
    """Every problem at once, each with its JSON pointer path and a remedy. `schema_only`: the shape
    only; `database_required`: refuse without a database instead of checking the shape alone."""
    from mysql2ddb.tools.contract.validate import validate_contract as validate

    if contract is not None and path is not None:
        raise InputError("both a contract and a path given", where="validate_contract",
                         remedy="pass the contract inline (contract=) or a file (path=), not both")
    source: Any = contract if contract is not None else req.contract_path(path, where="validate_contract: path")
    if schema_only:
        target = None
    elif database_required:
        target = req.dsn(dsn, where="validate_contract: dsn")
    else:
        target = req.optional_dsn(dsn, where="validate_contract: dsn")
    return await validate(source, target)
