"""Connections to audited hosts through testinfra backends, read-only and bounded.

Every command a check runs on a host passes through :func:`guard_command`, which
refuses anything that is not on the read-only allowlist :data:`HOST_COMMANDS`
(testinfra's own modules included: the guard sits on the backend, below them).

For ``ssh://`` hosts the OpenSSH client is driven with:

- host keys verified (``StrictHostKeyChecking=yes`` against the user's
  known_hosts or the host's ``known_hosts``); ``strict_host_key_checking: false``
  relaxes it and the ``hosts.host-key-verification`` check then warns;
- one connection per host per process: ``ControlMaster=auto`` with a
  ``ControlPath`` in a private directory made per process, closed at exit
  (``READINESS_SSH_REUSE=0`` in the environment switches reuse off, for benchmarks);
- ``BatchMode=yes`` (never prompt), ``ConnectTimeout`` (which also bounds the
  banner exchange) and ``ServerAliveInterval`` from the host's ``timeout``, and a
  hard deadline on every command, so a host that hangs costs at most its timeout.

A host that cannot be reached is remembered as such in the process, so its other
checks end at once with the same error instead of waiting again.
"""

from __future__ import annotations

import atexit
import functools
import math
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
from typing import Any

from pytest_readiness.config import Host
from pytest_readiness.outcomes import CheckError

# Program -> first arguments allowed (None: any arguments). Every entry only reads.
HOST_COMMANDS: dict[str, frozenset[str] | None] = {
    "test": None,  # file tests (testinfra File.exists, is_file, ...)
    "stat": None,  # mode, owner, group, size, mtime
    "realpath": None,
    "sha256sum": None,  # fleet file checksums
    "md5sum": None,
    "cat": None,  # File.content, /etc/os-release (unit files when systemd is absent)
    "lsb_release": None,
    "sw_vers": None,
    "ls": None,
    "command": frozenset({"-v"}),  # is a tool installed
    "uname": None,
    "id": None,
    "getent": frozenset({"ahosts", "ahostsv4", "ahostsv6", "hosts", "passwd", "group"}),
    "systemctl": frozenset({"show", "cat", "is-enabled", "is-active", "is-system-running"}),
    "timedatectl": frozenset({"show"}),
    "chronyc": frozenset({"-c", "-n"}),  # chronyc -c tracking
    "date": frozenset({"+%s.%N", "+%s", "-u"}),  # never "date -s"
    "sqlite3": frozenset({"-readonly"}),  # PRAGMA integrity_check on a host's SQLite file
    "dpkg-query": frozenset({"-W", "-f"}),
    "rpm": frozenset({"-q"}),
    "apk": frozenset({"info"}),
}
# Subcommands of programs whose first argument is an option.
_CHRONYC_READS = frozenset({"tracking", "sources", "sourcestats"})
_SHELL_META = re.compile(r"[;&|<>`$(){}\n]")
# Redirections testinfra's own modules use; harmless (they only discard or merge output).
_HARMLESS = re.compile(r"\s2>(&1|/dev/null)\s*$")
_SINGLE_QUOTED = re.compile(r"'[^']*'")
_CONNECTION_ERRORS = (
    ("REMOTE HOST IDENTIFICATION HAS CHANGED", "the host key changed (possible impersonation)"),
    ("Host key verification failed", "host key verification failed (unknown or changed key)"),
    ("No ED25519 host key is known", "the host key is unknown"),
    ("banner exchange", "no SSH banner (the server accepted TCP but never spoke SSH)"),
    ("Connection timed out", "connection timed out"),
    ("Connection refused", "connection refused"),
    ("Permission denied", "authentication failed"),
    ("Could not resolve hostname", "cannot resolve the host name"),
    ("No route to host", "no route to host"),
)


class CommandRefused(CheckError):
    """A command that is not on the read-only allowlist."""


def guard_command(command: str) -> None:
    """Refuse a command template that is not on the read-only allowlist."""
    bare = _HARMLESS.sub("", _SINGLE_QUOTED.sub("''", command.replace("%s", "")))
    if _SHELL_META.search(bare):
        raise CommandRefused(f"refused host command {command!r}: shell operators are not allowed")
    words = shlex.split(command)
    program = os.path.basename(words[0]) if words else ""
    if program not in HOST_COMMANDS:
        raise CommandRefused(f"refused host command {command!r}: {program!r} is not on the "
                             "read-only allowlist (HOST_COMMANDS in "
                             "pytest_readiness/probes/hosts/connect.py)")
    allowed = HOST_COMMANDS[program]
    first = words[1] if len(words) > 1 else ""
    if allowed is not None and first not in allowed:  # "%s" here could become anything
        raise CommandRefused(f"refused host command {command!r}: {program} {first} is not a "
                             "read-only use")
    if program == "chronyc" and not set(words[1:]) & _CHRONYC_READS:
        raise CommandRefused(f"refused host command {command!r}: only chronyc tracking/sources")


def connection_failure(stderr: str) -> str:
    """A short reason for an ssh exit status 255, from its stderr."""
    for needle, reason in _CONNECTION_ERRORS:
        if needle in stderr:
            return reason
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1][:200] if lines else (
        "ssh gave up without a message (the server stalled or hung up during the SSH "
        "handshake, past the connection timeout)")


@functools.cache
def _control_dir() -> str:
    # Short and private: a unix socket path must stay under ~100 bytes.
    path = tempfile.mkdtemp(prefix="rdy-ssh-")
    atexit.register(_close_masters, path)
    return path


def _close_masters(path: str) -> None:
    for name in os.listdir(path) if os.path.isdir(path) else ():
        socket_path = os.path.join(path, name)
        subprocess.run(["ssh", "-o", f"ControlPath={socket_path}", "-O", "exit", "x"],
                       capture_output=True, timeout=5, check=False)
    shutil.rmtree(path, ignore_errors=True)


def connection_reuse() -> bool:
    """False when ``READINESS_SSH_REUSE=0``: one SSH connection per command.

    Only for measuring what reuse saves (benchmarks/bench_fleet.py); never faster.
    """
    return os.environ.get("READINESS_SSH_REUSE", "1").strip() != "0"


def ssh_options(host: Host) -> list[str]:
    """The OpenSSH client options used for ``host`` (connection reuse, host keys, bounds)."""
    seconds = max(1, math.ceil(host.timeout))
    options = [
        "BatchMode=yes",
        f"ConnectTimeout={seconds}",
        f"ServerAliveInterval={seconds}",
        "ServerAliveCountMax=1",
        "LogLevel=ERROR",
    ]
    if connection_reuse():
        options += ["ControlMaster=auto", "ControlPersist=60s", f"ControlPath={_control_dir()}/%C"]
    else:
        options.append("ControlMaster=no")
    if host.strict_host_key_checking:
        options.append("StrictHostKeyChecking=yes")
        if host.known_hosts:
            options.append(f"UserKnownHostsFile={os.path.expanduser(host.known_hosts)}")
    else:
        options += ["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"]
    return options


def _backend_kwargs(host: Host) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"sudo": host.sudo}
    for key in ("ssh_config", "ssh_identity_file", "ansible_inventory"):
        if getattr(host, key):
            kwargs[key] = os.path.expanduser(getattr(host, key))
    extra = host.ssh_extra_args or ""
    scheme = host.connection.split("://", 1)[0] if "://" in host.connection else "ssh"
    if scheme in ("ssh", "safe-ssh"):
        extra = " ".join(["-o " + shlex.quote(o) for o in ssh_options(host)] + [extra])
        kwargs["timeout"] = max(1, math.ceil(host.timeout))
    if extra.strip():
        kwargs["ssh_extra_args"] = extra.strip()
    return kwargs


@functools.cache
def connect(host: Host) -> Any:
    """A testinfra Host for a configured host, cached per process (one connection)."""
    import testinfra.backend
    import testinfra.host

    backend = _ansible_ssh_backend(host) if host.connection.startswith("ansible://") else None
    if backend is None:
        backend = testinfra.backend.get_backend(host.connection, **_backend_kwargs(host))
    # testinfra asks the host for its encoding by running python; skip that round trip.
    backend._encoding = "utf-8"
    _install_guard(backend, host)
    tinfra = testinfra.host.Host(backend)
    backend.set_host(tinfra)
    return tinfra


def _ansible_ssh_backend(host: Host) -> Any:
    """The SSH backend of an Ansible inventory host, with our options in front.

    testinfra turns an inventory host into an ``ssh://`` backend from its hostvars
    (ansible_host, ansible_port, ansible_user, key file, ssh args). Our options go
    first, since OpenSSH keeps the first value of an option: host keys stay
    verified and the connection is reused even if the inventory says otherwise.
    None for connections that only Ansible itself can drive (winrm...): testinfra's
    Ansible backend then runs commands through ``ansible``, still behind the guard.
    """
    from testinfra.utils.ansible_runner import AnsibleRunner

    name = host.connection.split("://", 1)[1].split("?", 1)[0]
    inventory = os.path.expanduser(host.ansible_inventory) if host.ansible_inventory else None
    identity = os.path.expanduser(host.ssh_identity_file) if host.ssh_identity_file else None
    inner = AnsibleRunner.get_runner(inventory).get_host(
        name, ssh_config=host.ssh_config, ssh_identity_file=identity)
    if inner is None or inner.backend.NAME != "ssh":
        return None
    backend = inner.backend
    ours = " ".join("-o " + shlex.quote(o) for o in ssh_options(host))
    backend.ssh_extra_args = f"{ours} {backend.ssh_extra_args or ''}".strip()
    backend.timeout = max(1, math.ceil(host.timeout))
    return backend


def _install_guard(backend: Any, host: Host) -> None:
    """Route every command of this backend through the allowlist and a deadline."""
    state: dict[str, str] = {}
    run = backend.run
    deadline = host.timeout + 2

    def guarded_run(command: str, *args: Any, **kwargs: Any) -> Any:
        guard_command(command)
        if "failure" in state:
            raise CheckError(state["failure"])
        try:
            return run(command, *args, **kwargs)
        except RuntimeError as exc:  # testinfra's ssh backend: exit status 255
            result = exc.args[0] if exc.args else None
            stderr = getattr(result, "stderr", None)
            reason = connection_failure(stderr if isinstance(stderr, str) else str(exc))
            state["failure"] = f"host {host.name} ({_where(host)}): {reason}"
            raise CheckError(state["failure"]) from None
        except TimeoutError as exc:
            state["failure"] = f"host {host.name} ({_where(host)}): {exc}"
            raise CheckError(state["failure"]) from None

    def bounded_run_local(command: str, *args: str) -> Any:
        cmd = backend.encode(backend.quote(command, *args))
        proc = subprocess.Popen(cmd, shell=True, stdin=subprocess.DEVNULL,  # noqa: S602
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            stdout, stderr = proc.communicate(timeout=deadline)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise TimeoutError(f"no answer within {host.timeout:g}s (command timed out)") from None
        return backend.result(proc.returncode, cmd, stdout, stderr)

    backend.run = guarded_run
    backend.run_local = bounded_run_local


def _where(host: Host) -> str:
    """The connection string without a password."""
    from pytest_readiness.plumbing.redact import mask_url_password

    return mask_url_password(host.connection)
