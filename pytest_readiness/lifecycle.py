"""How an audit ends when it cannot finish: a run deadline, SIGTERM, Ctrl-C.

Every way out goes through pytest's own KeyboardInterrupt path, so pytest still
runs ``pytest_sessionfinish``: the controller then writes the partial record and
every report, marked incomplete, with the checks that did not run listed.

Also here: host affinity under xdist (all checks of one host on one worker, so a
worker opens one connection per host, not every worker one per host).
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import pytest

from pytest_readiness.config import Host


class RunInterrupted(KeyboardInterrupt):
    """The audit was stopped before every check ran; ``reason`` says why."""

    reason = "interrupted"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RunTimedOut(RunInterrupted):
    reason = "timeout"


class RunTerminated(RunInterrupted):
    reason = "terminated"


@dataclass
class Stopper:
    """Installs the run deadline and the SIGTERM handler in the controller process.

    SIGALRM interrupts a blocking system call in the main thread, so a check that
    hangs without a timeout of its own (a probe someone forgot to bound) still ends.
    """

    timeout: float | None = None
    stopped: RunInterrupted | None = None
    _previous: dict[int, Any] = field(default_factory=dict)

    def install(self) -> None:
        self._handle(signal.SIGTERM, self._on_term)
        if self.timeout:
            self._handle(signal.SIGALRM, self._on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.timeout)

    def uninstall(self) -> None:
        if self.timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, handler: Callable[[int, FrameType | None], None]) -> None:
        self._previous[signum] = signal.signal(signum, handler)

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        self._stop(RunTimedOut(f"the audit exceeded --readiness-timeout {self.timeout:g}s"))

    def _on_term(self, signum: int, frame: FrameType | None) -> None:
        self._stop(RunTerminated("the audit received SIGTERM"))

    def _stop(self, reason: RunInterrupted) -> None:
        if self.stopped is None:  # raise once; let pytest's teardown finish after that
            self.stopped = reason
            raise reason


def interruption(excinfo: pytest.ExceptionInfo[BaseException] | None) -> tuple[str, str]:
    """(reason, message) for the note on an incomplete record."""
    if excinfo is not None and isinstance(excinfo.value, RunInterrupted):
        return excinfo.value.reason, excinfo.value.message
    return "interrupted", "the audit was interrupted (Ctrl-C)"


# -- host affinity under xdist ------------------------------------------------

GROUP_PREFIX = "readiness-host="
HOST_GROUPS = "readiness_host_groups"  # key in xdist's workerinput


def host_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    for value in (callspec.params.values() if callspec else ()):
        host = value if isinstance(value, Host) else getattr(value, "host", None)
        if isinstance(host, Host):
            return host.name
    return None


def use_host_groups(config: pytest.Config) -> bool:
    """Switch xdist's default ``load`` to ``loadgroup`` unless the user chose a mode."""
    if getattr(config.option, "dist", "no") != "load":
        return getattr(config.option, "dist", "no") == "loadgroup"
    args = config.invocation_params.args
    if any(str(a) == "--dist" or str(a).startswith(("--dist=", "-d")) for a in args):
        return False
    config.option.dist = "loadgroup"
    return True


def group_by_host(items: list[pytest.Item]) -> None:
    for item in items:
        name = host_of(item)
        if name is not None:
            item.add_marker(pytest.mark.xdist_group(GROUP_PREFIX + name))


def strip_group(nodeid: str) -> str:
    """The node id without the ``@group`` suffix xdist's loadgroup appends."""
    head, sep, tail = nodeid.rpartition("@")
    return head if sep and tail.startswith(GROUP_PREFIX) else nodeid
