"""Local child processes of an audit: bounded, capped, and never left behind. No pytest here.

Every program the audit starts on this machine (``ssh`` clients and masters, the
commands of a ``local://`` host, testinfra's other backends) goes through here:

- **argv, never a shell string** built from configuration: the caller passes a list;
  a ``local://`` host's command is run as ``/bin/sh -c COMMAND`` on purpose, after
  the read-only guard has vetted COMMAND and quoted its values;
- **its own process group** (a new session), so the whole group is killed at once:
  the program and whatever it started;
- **a deadline**: at the deadline the group is killed and the result says so;
- **an output cap**: stdout and stderr together are read up to ``cap`` bytes; past
  it the group is killed and the result says so (a command that floods its output
  costs ``cap`` bytes of memory, never gigabytes);
- **a registry of live groups**: :func:`kill_all` kills every group still running
  (at the end of the run, on SIGTERM in an xdist worker); a run interrupted in the
  middle (SIGTERM, the run deadline, Ctrl-C raise in the main thread) kills its
  group on the way out.
"""

from __future__ import annotations

import os
import select
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

_CHUNK = 65536
_LIVE: dict[int, subprocess.Popen[bytes]] = {}  # process group id -> its leader
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Finished:
    """How a bounded run ended; ``returncode`` is None when the audit killed it."""

    argv: tuple[str, ...]
    returncode: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    capped: bool = False


def spawn(argv: Sequence[str], *, env: Mapping[str, str] | None = None,
          stdout: int | IO[Any] = subprocess.PIPE,
          stderr: int | IO[Any] = subprocess.PIPE,
          cwd: str | os.PathLike[str] | None = None) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session and process group, registered until :func:`release`."""
    if isinstance(argv, str) or not argv:  # a string here would be a shell command line
        raise TypeError("spawn() takes a non-empty argument list, never a string")
    proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                            env=dict(env) if env is not None else None, start_new_session=True,
                            cwd=cwd)
    with _LOCK:
        _LIVE[proc.pid] = proc
    return proc


def release(proc: subprocess.Popen[bytes], *, grace: float = 0.0) -> None:
    """End ``proc``'s process group (SIGTERM first when ``grace`` > 0), reap it, forget it."""
    if proc.poll() is None and grace > 0:
        _signal_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    _signal_group(proc.pid, signal.SIGKILL)  # the leader may be gone, its group not
    try:
        proc.wait(2)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process that ignores SIGKILL
        pass
    with _LOCK:
        _LIVE.pop(proc.pid, None)


def kill_all() -> int:
    """Kill every registered process group still alive; how many there were."""
    with _LOCK:
        live = list(_LIVE.values())
        _LIVE.clear()
    for proc in live:
        _signal_group(proc.pid, signal.SIGKILL)
        try:
            proc.wait(1)
        except (subprocess.TimeoutExpired, OSError):  # pragma: no cover
            pass
    return len(live)


def live() -> int:
    with _LOCK:
        return len(_LIVE)


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _reaped(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait up to ``timeout`` for ``proc`` to end; True when it did (and is reaped).

    Through a pidfd where Linux has one: woken the moment the process ends, where
    ``Popen.wait(timeout)`` polls with sleeps that add a millisecond or more to every
    short command (a host check runs hundreds of them).
    """
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # not Linux 5.3+, or already reaped
        pidfd = None
    if pidfd is None:
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    try:
        poller = select.poll()  # one descriptor: poll(2), no epoll instance to make
        poller.register(pidfd, select.POLLIN)
        if not poller.poll(max(timeout, 0.0) * 1000):
            return False
    finally:
        os.close(pidfd)
    proc.wait()  # it has ended: this only reaps it
    return True


def run(argv: Sequence[str], *, deadline: float, cap: int,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None) -> Finished:
    """Run ``argv`` to its end, to ``deadline`` seconds, or to ``cap`` bytes of output."""
    proc = spawn(argv, env=env, cwd=cwd)
    assert proc.stdout is not None and proc.stderr is not None
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    out: dict[int, bytearray] = {out_fd: bytearray(), err_fd: bytearray()}
    timed_out = capped = False
    ends = time.monotonic() + deadline
    try:
        # Two pipes: poll(2) (PollSelector), not an epoll instance made and closed per command.
        with selectors.PollSelector() as selector:
            for stream in (proc.stdout, proc.stderr):
                selector.register(stream, selectors.EVENT_READ)
            total = 0
            while selector.get_map():
                left = ends - time.monotonic()
                if left <= 0:
                    timed_out = True
                    break
                for key, _ in selector.select(min(left, 1.0)):
                    chunk = os.read(key.fd, min(_CHUNK, cap - total + 1))
                    if not chunk:
                        selector.unregister(key.fileobj)
                        continue
                    out[key.fd] += chunk
                    total += len(chunk)
                    if total > cap:
                        capped = True
                        break
                if capped:
                    break
            if not (timed_out or capped):
                # Both pipes are closed: the program has ended (or handed its pipes on).
                timed_out = not _reaped(proc, max(ends - time.monotonic(), 0.01))
    finally:
        # Whatever ended the loop (a deadline, the cap, or SIGTERM / the run deadline
        # raising here in the main thread), the group goes with it.
        release(proc)
        for stream in (proc.stdout, proc.stderr):
            stream.close()
    stdout, stderr = bytes(out[out_fd]), bytes(out[err_fd])
    if capped:  # keep exactly ``cap`` bytes: what was read, not what was asked
        stdout = stdout[:cap]
        stderr = stderr[:max(cap - len(stdout), 0)]
    ended = None if (timed_out or capped) else proc.returncode
    return Finished(tuple(argv), ended, stdout, stderr, timed_out, capped)

