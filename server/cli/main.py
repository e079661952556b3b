"""The `mysql2ddb` command. Each stage adds its commands from its own module.

Typer turns every registered command into a click command (its parameters, types and help) at
each start, so `run()` registers only the module(s) defining the command being run, found in
COMMAND_MODULES by the command's first word; `--help`, no command or an unknown one get them all.
tests/test_cli_index.py holds the index to what the modules register."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Optional, Sequence

import typer

from mysql2ddb import __version__
from mysql2ddb.server.cli.common import STATE
from mysql2ddb.server.plugins import present_modules

_PACKAGE = "mysql2ddb.server.cli."
# each top-level command -> the CLI modules that register it (the `model` group has two)
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "analyze": ("analysis",),
    "model": ("modeling", "modeling_keys"),
    "design": ("modeling_design",),
    "contract": ("contract",),
    **dict.fromkeys(("migrate", "plan", "tables", "verify", "views"), ("execution",)),
    **dict.fromkeys(("live", "cutover"), ("live",)),
    "status": ("workflow",),
    "glue": ("glue",),
    "gates": ("gates",),
    "demo": ("demo",),
    "local": ("local",),
    "import-s3": ("s3_import",),
    "replay": ("replay",),
    "serve": ("serve",),
    "version": (),
}
# all of them, in the order `--help` lists them
CLI_MODULES = ("serve", "analysis", "modeling", "modeling_design", "modeling_keys", "contract", "execution", "live",
               "workflow", "glue", "gates", "demo", "local", "s3_import", "replay")
_VALUED_OPTIONS = ("--workdir", "--log-level")  # the callback's options that take a value


def main(
    workdir: Optional[Path] = typer.Option(None, "--workdir", help="workspace directory (default ./mysql2ddb-work)"),
    log_level: str = typer.Option("WARNING", "--log-level", help="stderr log level"),
) -> None:
    from mysql2ddb.tools.core.logging_setup import configure_logging  # not needed for --help

    STATE["workdir"] = workdir
    configure_logging(log_level)


def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def build_app(command: str | None = None) -> typer.Typer:
    """The CLI with every command, or with only those of the modules defining `command`."""
    app = typer.Typer(name="mysql2ddb", help="Move a MySQL application onto Amazon DynamoDB.", no_args_is_help=True)
    app.callback()(main)
    app.command()(version)
    modules = COMMAND_MODULES.get(command or "", CLI_MODULES) if command else CLI_MODULES
    for module in present_modules(_PACKAGE + name for name in modules):
        module.register(app)
    return app


def command_word(args: Sequence[str]) -> str | None:
    """The command being run: the first word after the global options; None for none or help."""
    rest = list(args)
    while rest:
        word = rest.pop(0)
        if word in _VALUED_OPTIONS:
            rest = rest[1:]
        elif not word.startswith("-"):
            return word
        elif word in ("--help", "-h") or not any(word.startswith(o + "=") for o in _VALUED_OPTIONS):
            return None
    return None


@functools.cache
def full_app() -> typer.Typer:
    return build_app()


def __getattr__(name: str) -> typer.Typer:
    """`from mysql2ddb.server.cli.main import app`: the whole CLI (tests, CliRunner)."""
    if name == "app":
        return full_app()
    raise AttributeError(name)


def run() -> None:
    import gc

    # A command's start is mostly imports (typer, pydantic, sqlglot): hundreds of thousands of
    # long-lived objects, over which the default threshold (700) runs a young collection every few
    # hundred and older ones across all of them, about 10 ms of `analyze log`. Cycles are still
    # collected, in larger batches.
    gc.set_threshold(100_000, 10, 10)
    try:
        build_app(command_word(sys.argv[1:]))()
    finally:
        # The process ends here: interpreter teardown would walk every object the command built
        # (the stage libraries, a whole analysis) to collect cycles only for the OS to free the
        # memory anyway, about 35 ms after `analyze log`. Frozen objects are left to the OS;
        # files and atexit handlers are closed and run as usual.
        gc.freeze()
