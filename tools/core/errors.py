"""One error hierarchy. Every error says where it happened, why, and what to do about it.

Driver and botocore errors are mapped onto these at the boundary (tools/core/db.py, tools/core/aws.py);
MCP adapters turn them into ToolError; the CLI prints them and exits non-zero.
"""

from __future__ import annotations

from typing import Any


class Mysql2DdbError(Exception):
    """Base class. `transient` errors may succeed when retried; terminal ones will not."""

    code = "error"
    transient = False

    def __init__(self, why: str, *, where: str, remedy: str, details: dict[str, Any] | None = None):
        self.why = why
        self.where = where
        self.remedy = remedy
        self.details = details or {}
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.where}: {self.why}. Remedy: {self.remedy}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "where": self.where,
            "why": self.why,
            "remedy": self.remedy,
            "transient": self.transient,
        }
        if self.details:
            out["details"] = self.details
        return out


class ConfigError(Mysql2DdbError):
    """A setting, DSN, endpoint or file path is wrong."""

    code = "config"


class InputError(Mysql2DdbError):
    """A file or argument given by the user cannot be read as what it claims to be."""

    code = "input"


class ContractError(InputError):
    """A migration contract is invalid; `details['errors']` lists every problem."""

    code = "contract"


class DesignError(InputError):
    """A DynamoDB design is invalid or incomplete."""

    code = "design"


class DatabaseError(Mysql2DdbError):
    """MySQL refused, failed or is unreachable."""

    code = "database"


class DatabaseUnavailable(DatabaseError):
    code = "database_unavailable"
    transient = True


class PrivilegeError(DatabaseError):
    code = "privilege"


class NotFoundError(Mysql2DdbError):
    """A table, file, run or artifact that was named does not exist."""

    code = "not_found"


class AwsError(Mysql2DdbError):
    code = "aws"


class ThrottledError(AwsError):
    code = "throttled"
    transient = True


class WorkflowError(Mysql2DdbError):
    """A step was asked for before the step it depends on, or without its approval."""

    code = "workflow"


class ConflictError(Mysql2DdbError):
    """Something exists already and differs from what was asked for; it is left alone."""

    code = "conflict"


class DownstreamError(Mysql2DdbError):
    """A downstream MCP server failed or is not ready."""

    code = "downstream"
    transient = True
