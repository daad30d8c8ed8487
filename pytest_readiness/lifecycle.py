"""How an audit ends when it cannot finish: a run deadline, SIGTERM, Ctrl-C.

Every way out goes through pytest's own KeyboardInterrupt path, so pytest still
runs ``pytest_sessionfinish``: the controller then writes the partial record and
every report, marked incomplete, with the checks that did not run listed.

Also here: affinity under xdist. All checks of one host run on one worker, so a worker
opens one connection per host, not every worker one per host; all code and deployment
checks of one codebase run on one worker, so its index (plumbing/tree.py: the walk, each
file read and parsed once) is built once per run, not once per worker; all checks of
one endpoint run on one worker, so a dead endpoint costs its timeout once
(plumbing/netpool.DeadTargets), not once per worker.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from pytest_readiness.config import Endpoint
from pytest_readiness.fixtures import target_of
from pytest_readiness.targets import CodebaseTarget


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


def end_on_sigterm(cleanup: Callable[[], None]) -> None:
    """In an xdist worker: SIGTERM first ends what the worker started, then the worker.

    A cancelled CI job signals the whole process group; a worker killed by the
    default handler would leave its SSH masters, the host commands it was running
    (each in its own process group) and their sockets behind. The controller takes
    the :class:`Stopper` path instead and cleans up at the end of the session.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        try:
            cleanup()
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # pragma: no cover - not the main thread: nothing to install
        pass


@contextmanager
def time_limit(seconds: float | None, what: str) -> Iterator[None]:
    """Raise TimeoutError when the block (in the main thread) runs longer than ``seconds``:
    the run deadline, before the Stopper is installed (loading readiness.yaml)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"{what} took longer than --readiness-timeout {seconds:g}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def interruption(excinfo: pytest.ExceptionInfo[BaseException] | None) -> tuple[str, str]:
    """(reason, message) for the note on an incomplete record."""
    if excinfo is not None and isinstance(excinfo.value, RunInterrupted):
        return excinfo.value.reason, excinfo.value.message
    return "interrupted", "the audit was interrupted (Ctrl-C)"


# -- host and codebase affinity under xdist -----------------------------------
#
# xdist's own ``loadgroup`` renames node ids (``id@group``), which newer pytest
# versions no longer allow; so the grouping travels beside the ids instead: each
# worker writes {node id: scope} to a file named in its workerinput while it
# collects, and the controller's scheduler (xdist's LoadScope with our scopes)
# reads them when it first splits the collection, after every worker collected.

HOST_GROUPS = "readiness_host_groups"  # key in xdist's workerinput: the map directory


def wants_host_groups(config: pytest.Config) -> bool:
    """xdist's default ``load`` distribution, not a mode the user chose."""
    if getattr(config.option, "dist", "no") != "load" or not getattr(config.option, "tx", None):
        return False
    args = [str(a) for a in config.invocation_params.args]
    return not any(a == "--dist" or a.startswith("--dist=") or a == "-d" for a in args)


def scope_of(item: pytest.Item) -> str | None:
    """``host:NAME`` for a host check, ``endpoint:NAME`` for a check of an endpoint,
    ``codebase:ROOT`` for a check of a codebase or of a file in one; None for the rest
    (each its own scope)."""
    target = target_of(item)
    if target.host is not None:
        return f"host:{target.host.name}"
    value = target.value
    if isinstance(value, Endpoint):
        return f"endpoint:{value.name}"
    codebase = value if isinstance(value, CodebaseTarget) else getattr(value, "codebase", None)
    return f"codebase:{codebase.root}" if isinstance(codebase, CodebaseTarget) else None


def write_host_groups(directory: str, worker: str, items: list[pytest.Item]) -> None:
    groups = {item.nodeid: scope for item in items if (scope := scope_of(item)) is not None}
    target = Path(directory, f"{worker}.json")
    partial = target.with_suffix(".tmp")
    partial.write_text(json.dumps(groups), encoding="utf-8")
    partial.replace(target)  # the scheduler never reads half a file


def read_host_groups(directory: str) -> dict[str, str]:
    groups: dict[str, str] = {}
    for path in sorted(Path(directory).glob("*.json")):
        groups.update(json.loads(path.read_text(encoding="utf-8")))
    return groups


def host_scheduler(config: pytest.Config, log: Any, directory: str) -> Any:
    """A LoadScope scheduler whose scopes are hosts, endpoints and codebases (other checks:
    one scope each)."""
    from xdist.scheduler import LoadScopeScheduling

    class HostScheduling(LoadScopeScheduling):  # type: ignore[misc]
        _groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self._groups is None:
                self._groups = read_host_groups(directory)
            return self._groups.get(nodeid, nodeid)

    return HostScheduling(config, log)


def strip_group(nodeid: str) -> str:
    """The node id without an ``@group`` suffix (xdist's loadgroup, when the user chose it)."""
    head, sep, tail = nodeid.rpartition("@")
    return head if sep and "]" not in tail and "::" not in tail else nodeid
