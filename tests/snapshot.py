"""Snapshot assertions: compare text with tests/snapshots/<name>; UPDATE_SNAPSHOTS=1 rewrites."""

from __future__ import annotations

import os
from pathlib import Path

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


def assert_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if os.environ.get("UPDATE_SNAPSHOTS") != "1":
            raise AssertionError(f"snapshot {name} was missing and has been written; review and commit it")
        return
    expected = path.read_text()
    assert text == expected, f"{name} differs from its snapshot; run with UPDATE_SNAPSHOTS=1 if the change is intended"
