"""Processes of this machine, found by what they carry (environment or command line).

Test servers and audits start processes that may outlive their parent (own session,
re-parented to init, or on a "remote" host that is this machine in a mount
namespace): they are found by a unique token, never by parent pid.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable


def environ_of(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return f.read()
    except OSError:
        return b""


def status_kb(pid: int, *keys: str) -> dict[str, int]:
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                name, _, value = line.partition(":")
                if name in keys:
                    found[name] = int(value.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return found


def processes_with(needle: bytes, where: str = "environ") -> list[int]:
    """Live processes whose environment (or command line) holds ``needle``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        if where == "environ":
            blob = environ_of(int(entry))
        else:
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    blob = f.read()
            except OSError:
                continue
        if needle in blob:
            found.append(int(entry))
    return found


def describe(pids: Iterable[int]) -> list[str]:
    """``pid: command line`` for each process still alive (for failure messages)."""
    shown = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except OSError:
            continue
        shown.append(f"{pid}: {cmd[:300]}")
    return shown


def kill_all(pids: Iterable[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
