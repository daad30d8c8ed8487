"""Stub programs on a test host's PATH: commands that misbehave on the "remote" side.

Each sshd host of tests/servers/sshd.py puts its own ``bin`` directory first on
``PATH`` for its sessions, so a script written there answers instead of the real
program (the same trick serves a local host, by putting the directory first on
the audit's own ``PATH``). The stubs here:

- :func:`hang`: never ends and never writes (a command stuck on a dead NFS mount);
- :func:`flood`: writes without end (a command that dumps a huge log);
- :func:`slow`: answers after a while (a loaded host);
- :func:`record_argv`: writes each argument vector it receives to a log and fails
  like a missing package would (``rpm -q``), so a test sees exactly which words
  reached the program.

Every stub carries its own path in its command line, so :func:`running` finds
what is still running of it (on this machine: the hosts are mount namespaces).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from tests.servers.processes import describe, kill_all, processes_with

# Argument vectors in the log: arguments separated by \x1f, one call per line.
SEPARATOR = "\x1f"


def _write(directory: Path, name: str, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stub = directory / name
    stub.write_text("#!/bin/sh\n" + body)
    stub.chmod(0o755)
    return stub


def hang(directory: Path, name: str) -> Path:
    return _write(directory, name, "while :; do sleep 1; done\n")


def flood(directory: Path, name: str) -> Path:
    # ``yes`` carries the stub's path too, so a leftover of it is found as well.
    stub = directory / name
    return _write(directory, name, f"exec yes {shlex.quote(str(stub))}\n")


def slow(directory: Path, name: str, seconds: float, output: str = "") -> Path:
    return _write(directory, name,
                  f"sleep {seconds:g}\nprintf '%s\\n' {shlex.quote(output)}\n")


def record_argv(directory: Path, name: str, log: Path) -> Path:
    target = shlex.quote(str(log))
    return _write(directory, name,
                  f"for a in \"$@\"; do printf '%s{SEPARATOR}' \"$a\"; done >> {target}\n"
                  f"printf '\\n' >> {target}\n"
                  "echo \"package $# is not installed\"\nexit 1\n")


def recorded(log: Path) -> list[list[str]]:
    """The argument vectors a :func:`record_argv` stub received, in order."""
    if not log.exists():
        return []
    return [line.split(SEPARATOR)[:-1] for line in log.read_text().splitlines() if line]


def running(stub: Path) -> list[str]:
    """``pid: cmdline`` of every process of this stub still alive."""
    return describe(processes_with(str(stub).encode(), "cmdline"))


def kill_running(stub: Path) -> None:
    kill_all(processes_with(str(stub).encode(), "cmdline"))
