"""Retries with backoff for transient downstream failures, and a circuit breaker that stops
calling a service that keeps failing (so a dead server fails fast instead of stalling a run)."""

from __future__ import annotations

import time
from typing import Any, Awaitable, Callable, TypeVar

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from mysql2ddb.tools.core.errors import DownstreamError, Mysql2DdbError

T = TypeVar("T")


class CircuitBreaker:
    """Opens after `threshold` consecutive failures; half-opens after `cooldown` seconds."""

    def __init__(self, name: str, threshold: int = 5, cooldown: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self.name, self.threshold, self.cooldown, self._clock = name, threshold, cooldown, clock
        self.failures = 0
        self.opened_at: float | None = None
        self.last_error = ""

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self._clock() - self.opened_at >= self.cooldown else "open"

    def before_call(self) -> None:
        if self.state == "open":
            raise DownstreamError(
                f"circuit open after {self.failures} consecutive failures; last: {self.last_error}",
                where=f"mcp server {self.name!r}",
                remedy=f"check the {self.name} server (validate_mcp_servers names what is wrong); calls resume "
                f"{self.cooldown:.0f}s after the last failure",
            )

    def record(self, ok: bool, error: BaseException | None = None) -> None:
        if error is not None:
            self.last_error = getattr(error, "why", None) or str(error)
        if ok:
            self.failures, self.opened_at = 0, None
        else:
            self.failures += 1
            if self.failures >= self.threshold:
                self.opened_at = self._clock()


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, Mysql2DdbError) and exc.transient


async def call_resilient(breaker: CircuitBreaker, fn: Callable[[], Awaitable[T]], *, attempts: int = 4,
                         initial: float = 0.2, maximum: float = 5.0) -> T:
    """Call `fn` through the breaker, retrying transient errors with exponential backoff + jitter."""
    async for attempt in AsyncRetrying(stop=stop_after_attempt(attempts), retry=retry_if_exception(_transient),
                                       wait=wait_exponential_jitter(multiplier=initial, max=maximum), reraise=True):
        with attempt:
            breaker.before_call()
            try:
                value: Any = await fn()
            except BaseException as exc:
                breaker.record(False, exc)
                raise
            breaker.record(True)
            return value
    raise AssertionError("unreachable")
