"""One progress interface, several sinks.

Cores call `progress.update(task, done, total, message)` from any thread; sinks decide how to
show it: MCP `ctx.report_progress` (server/adapters/common.py), a rich bar in the terminal,
plain throttled lines on stderr in CI, or nothing.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Protocol, TextIO


class ProgressSink(Protocol):
    def update(self, task: str, done: float, total: float | None = None, message: str | None = None) -> None: ...

    def close(self) -> None: ...


class NullProgress:
    def update(self, task: str, done: float, total: float | None = None, message: str | None = None) -> None:
        return None

    def close(self) -> None:
        return None


class PlainProgress:
    """Plain lines for CI logs: one per task at most every `interval` seconds, and at the end."""

    def __init__(self, stream: TextIO | None = None, interval: float = 2.0):
        self._stream = stream or sys.stderr
        self._interval = interval
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def update(self, task: str, done: float, total: float | None = None, message: str | None = None) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        with self._lock:
            if not finished and now - self._last.get(task, 0.0) < self._interval:
                return
            self._last[task] = now
        of = f"/{total:g}" if total is not None else ""
        tail = f" {message}" if message else ""
        print(f"[progress] {task}: {done:g}{of}{tail}", file=self._stream, flush=True)

    def close(self) -> None:
        return None


class RichProgress:
    """A rich progress bar per task, on stderr so --json output on stdout stays clean."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._ids: dict[str, int] = {}
        self._lock = threading.Lock()
        self._bars.start()

    def update(self, task: str, done: float, total: float | None = None, message: str | None = None) -> None:
        with self._lock:
            if task not in self._ids:
                self._ids[task] = self._bars.add_task(task, total=total)
            desc = f"{task} {message}" if message else task
            self._bars.update(self._ids[task], completed=done, total=total, description=desc)

    def close(self) -> None:
        self._bars.stop()


def terminal_progress(quiet: bool = False) -> ProgressSink:
    """The CLI's sink: a rich bar on a terminal, plain lines in CI or when piped."""
    import os

    if quiet:
        return NullProgress()
    if os.environ.get("CI") or not sys.stderr.isatty():
        return PlainProgress()
    return RichProgress()
