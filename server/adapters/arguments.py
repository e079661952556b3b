"""Arguments that do not fit a tool's signature (a string for a number, a missing argument) are
refused by FastMCP before the tool runs, as a raw pydantic dump with a documentation URL. For the
tools named here they become our InputError instead: the argument's path, what is wrong, a remedy."""

from __future__ import annotations

from typing import Any

from fastmcp import FastMCP
from fastmcp.exceptions import ValidationError
from fastmcp.server.middleware import Middleware, MiddlewareContext
from pydantic import ValidationError as PydanticValidationError

from mysql2ddb.server.adapters.common import tool_error
from mysql2ddb.tools.core.errors import InputError


def argument_error(tool: str, exc: PydanticValidationError) -> InputError:
    errors = [{"path": ".".join(str(p) for p in e["loc"]) or "(arguments)", "message": e["msg"]}
              for e in exc.errors()]
    listed = "; ".join(f"{e['path']}: {e['message']}" for e in errors[:5])
    return InputError(f"invalid arguments: {listed}", where=f"{tool}: {errors[0]['path']}",
                      remedy=f"give each listed argument as {tool}'s input schema describes (types, allowed values, "
                             "required arguments)", details={"errors": errors})


class CleanArgumentErrors(Middleware):
    def __init__(self, tools: set[str]):
        self.tools = frozenset(tools)

    async def on_call_tool(self, context: MiddlewareContext[Any], call_next: Any) -> Any:
        try:
            return await call_next(context)
        except ValidationError as exc:
            cause, name = exc.__cause__, context.message.name
            if name not in self.tools or not isinstance(cause, PydanticValidationError):
                raise
            raise tool_error(argument_error(name, cause)) from None


def clean_argument_errors(app: FastMCP, tools: set[str]) -> None:
    app.add_middleware(CleanArgumentErrors(tools))
