"""`validate_contract`: the reference JSON Schema first, then the live database. Every problem is
collected (never the first one only), each with a JSON pointer into the contract and a remedy.

The live checks walk the contract as plain JSON (not the pydantic model), so a table whose shape
is wrong in one place is still checked everywhere else in the same run. The checks themselves
live in validate_live.py (tables, attributes, joins, calculations), validate_keys.py (keys,
GSIs, item size) and validate_scope.py (SQL fragments over known tables, value classes); what a
fragment may contain at all is fragment_policy.py. A contract with no tables is invalid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
from pydantic import BaseModel, Field, ValidationError

from mysql2ddb.tools.core.errors import ContractError
from mysql2ddb.tools.core.render import Table
from mysql2ddb.tools.contract.catalog import Catalog, read_catalog
from mysql2ddb.tools.contract.findings import ContractIssue, Findings
from mysql2ddb.tools.contract.load import empty_tables_errors, pointer, read_json, reference_schema
from mysql2ddb.tools.contract.model import Contract
from mysql2ddb.tools.core.db import Dsn


class ContractValidation(BaseModel):
    valid: bool
    errors: list[ContractIssue] = Field(default_factory=list)
    warnings: list[ContractIssue] = Field(default_factory=list)
    database: str | None = Field(None, description="the database checked against; None: shape only")
    checked_tables: list[str] = Field(default_factory=list)

    def tables(self) -> list[Table]:
        out = []
        if self.errors:
            out.append(Table("Contract errors", ["path", "problem", "remedy"],
                             [[e.path, e.message, e.remedy] for e in self.errors]))
        if self.warnings:
            out.append(Table("Warnings", ["path", "note", "remedy"],
                             [[w.path, w.message, w.remedy] for w in self.warnings]))
        return out

    def summary(self) -> str:
        against = f"against database `{self.database}`" if self.database else "for shape only (no database given)"
        head = "valid" if self.valid else f"INVALID: {len(self.errors)} error(s)"
        return (f"Contract {head}, checked {against}: {len(self.checked_tables)} table(s), "
                f"{len(self.warnings)} warning(s).")


def _schema_remedy(error: jsonschema.ValidationError) -> str:
    if error.validator == "enum":
        return "use one of: " + ", ".join(map(str, error.validator_value))
    if error.validator == "required":
        return "add the missing field (see schemas/reference_migration_contract.schema.json for this object)"
    if error.validator == "type":
        return f"give a value of JSON type {error.validator_value}"
    if error.validator == "oneOf":
        return "give one column name (a string) or a list of column names"
    return "fix the value to match schemas/reference_migration_contract.schema.json"


def schema_findings(data: Any, out: Findings) -> None:
    validator = jsonschema.Draft7Validator(reference_schema())
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        out.error(pointer(error.absolute_path), error.message, _schema_remedy(error))


def model_findings(data: Any, out: Findings) -> None:
    try:
        Contract.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors():
            out.error(pointer(e["loc"]), e["msg"], "fix the value; the model is schemas/migration_contract.schema.json")


def check_contract(data: Any, catalog: Catalog | None) -> ContractValidation:
    """All checks over contract JSON; the live ones need `catalog` (None: shape and static checks)."""
    from mysql2ddb.tools.contract.validate_live import check_tables

    out = Findings()
    if isinstance(data, Contract):
        data = data.dump()
    schema_findings(data, out)
    for error in empty_tables_errors(data):
        out.error(error["path"], error["message"], error["remedy"])
    if not out.errors:
        model_findings(data, out)
    checked = check_tables(data, catalog, out) if isinstance(data, dict) else []
    if catalog is None:
        out.warn("", "not checked against a database: tables, columns and fragments' names are unverified",
                 "pass a DSN (--dsn or dsn=) to check the contract against the live schema")
    return ContractValidation(valid=not out.errors, errors=out.errors, warnings=out.warnings,
                              database=catalog.database if catalog else None, checked_tables=checked)


def _read(data_or_path: Any) -> Any:
    if isinstance(data_or_path, (str, Path)):
        return read_json(data_or_path)
    return data_or_path


async def validate_contract(data_or_path: Any, dsn: Dsn | Catalog | None) -> ContractValidation:
    """Validate a contract (dict, Contract, or path to JSON) against the reference schema and, when
    `dsn` is given, the live database (a Catalog already read may be passed instead of a Dsn)."""
    try:
        data = _read(data_or_path)
    except ContractError as exc:  # not JSON at all: an invalid contract, reported like the rest
        errors = exc.details.get("errors") or [{"path": "", "message": exc.why}]
        return ContractValidation(valid=False, errors=[ContractIssue(path=e["path"], message=e["message"],
                                                                     remedy=exc.remedy) for e in errors])
    catalog = dsn if isinstance(dsn, Catalog) else (await read_catalog(dsn) if dsn is not None else None)
    return check_contract(data, catalog)
