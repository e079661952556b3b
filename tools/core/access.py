"""Who is asking, and which files they may have read.

An MCP caller is an assistant: its arguments may come from a confused or steered model, so it
reads files only under the workspace and the directories the user listed in MYSQL2DDB_READ_DIRS.
A CLI caller is the user at their own command line: it reads what it names. Errors about a file
outside the allowed places never quote the file's content (they are refused before it is opened).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from mysql2ddb.tools.core.errors import InputError


class Caller(str, Enum):
    MCP = "mcp"  # an assistant over MCP: untrusted arguments
    CLI = "cli"  # the user's own command line


@dataclass(frozen=True)
class FileAccess:
    """The places a caller may read; `roots=None` means anywhere (the CLI)."""

    roots: tuple[Path, ...] | None

    def check(self, path: str | Path, *, where: str, base: Path | None = None) -> Path:
        """The resolved path when it lies under an allowed root (symlinks followed); a relative path
        is taken from `base` (the workspace). Refused with no look at the content otherwise."""
        candidate = Path(os.path.expanduser(str(path)))
        if not candidate.is_absolute() and base is not None:
            candidate = base / candidate
        resolved = candidate.resolve()
        if self.roots is None or any(resolved == r or r in resolved.parents for r in self.roots):
            return resolved
        allowed = ", ".join(str(r) for r in self.roots)
        raise InputError(
            f"{str(path)!r} is outside the places this server may read ({allowed})",
            where=where,
            remedy="copy the file into the workspace, or have the user add its directory to MYSQL2DDB_READ_DIRS "
                   "in the server's environment (the README's 'Security model' says how)",
        )

    def allows(self, path: Path) -> bool:
        resolved = path.resolve()
        return self.roots is None or any(resolved == r or r in resolved.parents for r in self.roots)


def file_access(caller: Caller, workspace_root: Path, read_dirs: list[Path] | tuple[Path, ...]) -> FileAccess:
    if caller is Caller.CLI:
        return FileAccess(None)
    roots = [Path(workspace_root).resolve(), *(Path(os.path.expanduser(str(d))).resolve() for d in read_dirs)]
    return FileAccess(tuple(dict.fromkeys(roots)))
