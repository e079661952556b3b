"""The workspace directory: every artifact lands here, and each is an MCP resource
`mysql2ddb://workspace/<path>`. Writes are atomic (temp file + rename) so a crash never
leaves half an artifact."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from mysql2ddb.tools.core.errors import InputError, NotFoundError

RESOURCE_PREFIX = "mysql2ddb://workspace/"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def to_jsonable(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json", by_alias=True, exclude_none=False)
    return obj


class Workspace:
    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()

    def path(self, rel: str) -> Path:
        target = (self.root / rel).resolve()
        if target != self.root and self.root not in target.parents:
            raise InputError(
                f"path {rel!r} leaves the workspace",
                where="workspace",
                remedy="name a path relative to the workspace, without '..'",
            )
        return target

    def write_text(self, rel: str, text: str) -> Path:
        target = self.path(rel)
        atomic_write_bytes(target, text.encode("utf-8"))
        return target

    def write_json(self, rel: str, obj: Any) -> Path:
        return self.write_text(rel, json.dumps(to_jsonable(obj), indent=2, default=str) + "\n")

    def read_text(self, rel: str) -> str:
        target = self.path(rel)
        if not target.is_file():
            raise NotFoundError(
                f"no artifact {rel!r} in {self.root}",
                where="workspace",
                remedy="run the step that produces it first (the `status` tool says which)",
            )
        return target.read_text(encoding="utf-8")

    def read_json(self, rel: str) -> Any:
        return json.loads(self.read_text(rel))

    def exists(self, rel: str) -> bool:
        return self.path(rel).exists()

    def list(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(
            str(p.relative_to(self.root))
            for p in self.root.rglob("*")
            if p.is_file() and not p.name.startswith(".")
        )

    def uri(self, rel: str) -> str:
        return RESOURCE_PREFIX + rel
