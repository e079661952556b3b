"""What every CLI command shares: settings, DSN resolution, output in three renderings, and
turning our errors into a readable message and a non-zero exit.

Kept light on purpose: `mysql2ddb --help` imports this module, so settings (pydantic), the
use-case Request, rich and the renderers are imported by the functions that use them, when a
command runs (tests/test_start_imports.py holds the line)."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import typer

from mysql2ddb.tools.core.errors import Mysql2DdbError

if TYPE_CHECKING:
    from mysql2ddb.tools.core.db import Dsn
    from mysql2ddb.tools.core.settings import Settings
    from mysql2ddb.tools.core.workspace import Workspace
    from mysql2ddb.tools.usecases.request import Request

F = TypeVar("F", bound=Callable[..., Any])

EXIT_INVALID = 1  # the command ran and found the input invalid
EXIT_ERROR = 2  # the command could not run

STATE: dict[str, Any] = {"workdir": None}


def settings() -> Settings:
    from mysql2ddb.tools.core.settings import Settings

    overrides: dict[str, Any] = {}
    if STATE.get("workdir"):
        overrides["workdir"] = STATE["workdir"]
    return Settings(**overrides)


def workspace() -> Workspace:
    from mysql2ddb.tools.core.workspace import Workspace

    return Workspace(settings().workdir)


def request(progress: Any = None) -> Request:
    """This command's standing: the user's own command line (Caller.CLI)."""
    from mysql2ddb.tools.core.access import Caller
    from mysql2ddb.tools.core.progress import NullProgress
    from mysql2ddb.tools.usecases.request import Request

    return Request(settings(), workspace(), Caller.CLI, progress or NullProgress())


def resolve_dsn(dsn: str | None) -> Dsn:
    return request().dsn(dsn, where="--dsn")


def emit(result: Any, as_json: bool) -> None:
    """JSON on stdout with --json, a rich table otherwise."""
    if as_json:
        from mysql2ddb.tools.core.render import to_json

        sys.stdout.write(to_json(result) + "\n")
    elif hasattr(result, "tables"):
        from mysql2ddb.tools.core.render import print_rich

        print_rich(result)
    else:
        import json

        from rich.console import Console

        from mysql2ddb.tools.core.workspace import to_jsonable

        Console().print_json(json.dumps(to_jsonable(result), default=str))


def handle_errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Mysql2DdbError as exc:
            from rich.console import Console
            from rich.text import Text

            err_console = Console(stderr=True)
            # our text as written: '[mysqld]' or ':x:' in a message is not markup or an emoji
            err_console.print(Text.assemble(("error ", "bold red"), (exc.where, "cyan"), f": {exc.why}"), emoji=False)
            err_console.print(Text.assemble(("remedy", "bold"), f": {exc.remedy}"), emoji=False)
            raise typer.Exit(EXIT_ERROR) from None

    return wrapper  # type: ignore[return-value]


JsonOpt = typer.Option(False, "--json", help="print the result as JSON on stdout")
DsnOpt = typer.Option(None, "--dsn", help="mysql://user:password@host:port/database (or MYSQL2DDB_DSN)")


def path_arg(value: str) -> Path:
    return Path(value)
