"""A circuit breaker for calls to one upstream: stop calling it while it keeps failing.

Its state is per process on purpose: each replica protects itself from a sick upstream.
"""

from __future__ import annotations

import time


class CircuitOpen(Exception):
    """The upstream failed too often lately: fail fast instead of waiting on it."""


class CircuitBreaker:
    def __init__(self, name: str, failures: int = 5, reset_seconds: float = 30.0) -> None:
        self.name = name
        self._threshold = failures
        self._reset_seconds = reset_seconds
        self._failures = 0
        self._opened_at: float | None = None

    def check(self) -> None:
        """Raise CircuitOpen while open; after ``reset_seconds`` let one call try again."""
        if self._opened_at is None:
            return
        if time.monotonic() - self._opened_at < self._reset_seconds:
            raise CircuitOpen(f"{self.name}: circuit open")
        self._opened_at = None

    def record_success(self) -> None:
        self._failures = 0

    def record_failure(self) -> None:
        self._failures += 1
        if self._failures >= self._threshold:
            self._opened_at = time.monotonic()
