"""`run()` registers only the CLI module(s) defining the command being run (server/cli/main.py,
COMMAND_MODULES): the index must name every command the modules register, and each entry must
build that command whole (a group with all its subcommands)."""

from __future__ import annotations

import click
import typer.main

from mysql2ddb.server.cli.main import COMMAND_MODULES, build_app, command_word, full_app


def _commands(app) -> dict:
    return typer.main.get_command(app).commands


def _shape(cmd) -> object:
    if isinstance(cmd, click.Group):
        return {name: _shape(sub) for name, sub in cmd.commands.items()}
    return sorted(p.name for p in cmd.params)


def test_index_names_every_command_and_builds_each_whole():
    everything = _commands(full_app())
    assert set(everything) == set(COMMAND_MODULES), "add the command to COMMAND_MODULES in server/cli/main.py"
    for name in COMMAND_MODULES:
        alone = _commands(build_app(name))
        assert _shape(alone[name]) == _shape(everything[name]), name


def test_command_word_skips_global_options():
    assert command_word(["--workdir", "w", "analyze", "log", "x"]) == "analyze"
    assert command_word(["--workdir=w", "--log-level", "INFO", "migrate"]) == "migrate"
    assert command_word(["--help"]) is None and command_word([]) is None
    assert command_word(["--install-completion"]) is None
    assert command_word(["no-such-command"]) == "no-such-command"  # built whole: typer suggests names
    assert set(_commands(build_app("no-such-command"))) == set(COMMAND_MODULES)
