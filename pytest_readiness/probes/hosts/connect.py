"""Connections to audited hosts through testinfra backends, read-only and bounded.

Every command a check runs on a host passes through :func:`guard_command`
(probes/hosts/commands.py), which refuses anything that is not a read-only use of
the allowlist :data:`HOST_COMMANDS`, and any value that could become an option or
a path where a name is expected (testinfra's own modules included: the guard sits
on the backend, below them).

For ``ssh://`` and ``safe-ssh://`` hosts the audit builds the OpenSSH command line
itself, as an argument list of validated values (probes/hosts/ssh.py), never a
shell string:

- host keys verified (``StrictHostKeyChecking=yes`` against the user's
  known_hosts or the host's ``known_hosts``); ``strict_host_key_checking: false``
  relaxes it and the ``hosts.host-key-verification`` check then warns;
- one connection per host per process: a master started by the audit, whose
  control path is a digest of the trust settings (entries that trust differently
  never share one), closed at the end of the run and on SIGTERM
  (``READINESS_SSH_REUSE=0`` switches reuse off, for benchmarks);
- ``BatchMode=yes`` (never prompt), ``ConnectTimeout`` and ``ServerAliveInterval``
  from the host's ``timeout``; every command runs under ``timeout -k`` on the host
  (where the host has it) and a hard local deadline of ``timeout + 2 s``; its
  output is capped at ``max_output_kb`` (the check then ends in ``error``).

``sudo: true`` is tried once (``sudo -n true``) before the host's first command:
a host where sudo does not work ends its checks with ``error: sudo not available``,
never with a pass on what it could not read.

A host that cannot be reached is remembered as such in the process, so its other
checks end at once with the same error instead of waiting again.
"""

from __future__ import annotations

import atexit
import functools
import os
from typing import Any

from pytest_readiness.config import Host
from pytest_readiness.outcomes import CheckError
from pytest_readiness.plumbing import processes
from pytest_readiness.probes.hosts import ssh
from pytest_readiness.probes.hosts.commands import (  # noqa: F401 - the public names
    HOST_COMMANDS,
    CommandRefused,
    guard_command,
)

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
SSH_SCHEMES = ("ssh", "safe-ssh")


class OutputCapped(CheckError):
    """A host command wrote more than its host's ``max_output_kb``."""


class ConnectionFailed(Exception):
    """The SSH connection could not be made; ``stderr`` says why."""

    def __init__(self, stderr: str) -> None:
        super().__init__(stderr)
        self.stderr = stderr


def connection_failure(stderr: str) -> str:
    """A short reason for an ssh exit status 255, from its stderr."""
    for needle, reason in _CONNECTION_ERRORS:
        if needle in stderr:
            return reason
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1][:200] if lines else (
        "ssh gave up without a message (the server stalled or hung up during the SSH "
        "handshake, past the connection timeout)")


def connection_reuse() -> bool:
    """False when ``READINESS_SSH_REUSE=0``: one SSH connection per command.

    Only for measuring what reuse saves (benchmarks/bench_fleet.py); never faster.
    """
    return os.environ.get("READINESS_SSH_REUSE", "1").strip() != "0"


def output_cap(host: Host) -> int:
    return host.max_output_kb * 1024


def close_all() -> None:
    """End everything this process started for its hosts: masters, commands, sockets.

    Called at the end of every audit process (audit_hooks.py), on SIGTERM in xdist
    workers (lifecycle.end_on_sigterm), and at interpreter exit as a last resort.
    """
    ssh.close_all()
    processes.kill_all()


atexit.register(close_all)


# --- backends ------------------------------------------------------------------------


class _AuditSsh:
    """testinfra's ssh backends with the command line built here (see module docstring)."""

    target: ssh.SshTarget
    cap: int

    def run_ssh(self, command: str) -> Any:
        control = None
        if connection_reuse():
            control, failure = ssh.master_for(self.target)
            if failure is not None:
                raise ConnectionFailed(failure)
        argv = ssh.ssh_argv(self.target, control)
        argv.append(ssh.remote_command(command, self.target.timeout))
        done = processes.run(argv, deadline=self.target.timeout + 2, cap=self.cap,
                             env=ssh.environment(self.target))
        if done.returncode in ssh.REMOTE_TIMEOUT_STATUS:
            raise TimeoutError(f"no answer within {self.target.timeout:g}s (command timed out "
                               "and was killed on the host)")
        return _result(self, command, done, self.target.timeout)


def _result(backend: Any, command: str, done: processes.Finished, timeout: float) -> Any:
    if done.timed_out:
        raise TimeoutError(f"no answer within {timeout:g}s (command timed out)")
    if done.capped:
        raise OutputCapped(f"{_shown(command)} wrote more than {backend.cap // 1024} kB; "
                           "stopped there (hosts[].max_output_kb)")
    result = backend.result(done.returncode, backend.encode(command), done.stdout, done.stderr)
    if done.returncode == 255 and isinstance(backend, _AuditSsh):
        raise ConnectionFailed(result.stderr)  # ssh's own failure (or a remote exit 255)
    return result


def _shown(command: str) -> str:
    return f"`{command[:120]}`"


def _ssh_backend(host: Host) -> Any:
    from testinfra.backend.ssh import SafeSshBackend, SshBackend

    scheme = host.connection.split("://", 1)[0]
    base = SafeSshBackend if scheme == "safe-ssh" else SshBackend
    target = ssh.target_of(host)
    klass = type(f"Audit{base.__name__}", (_AuditSsh, base), {})
    backend = klass(target.host, sudo=host.sudo, timeout=max(1, int(host.timeout)))
    backend.target = target
    return backend


def _ansible_ssh_backend(host: Host) -> Any:
    """The SSH backend of an Ansible inventory host, through our own command line.

    testinfra turns an inventory host into an ``ssh://`` backend from its hostvars
    (ansible_host, ansible_port, ansible_user, key file, ssh args); those values are
    validated like readiness.yaml's. ``-o StrictHostKeyChecking=no`` from an inventory is
    accepted and has no effect: our options come first, and OpenSSH keeps the first value.
    None for connections that only Ansible itself can drive (winrm...): testinfra's
    Ansible backend then runs commands through ``ansible``, behind the guard.
    """
    from testinfra.utils.ansible_runner import AnsibleRunner

    name = host.connection.split("://", 1)[1].split("?", 1)[0]
    inventory = os.path.expanduser(host.ansible_inventory) if host.ansible_inventory else None
    identity = os.path.expanduser(host.ssh_identity_file) if host.ssh_identity_file else None
    inner = AnsibleRunner.get_runner(inventory).get_host(
        name, ssh_config=host.ssh_config, ssh_identity_file=identity)
    if inner is None or inner.backend.NAME != "ssh":
        return None
    found = inner.backend
    spec = found.host
    if spec.password:
        raise ssh.SshSettingError("ansible inventory: password logins (ansible_ssh_pass) are "
                                  "not supported; use a key")
    name = f"[{spec.name}]" if ":" in spec.name else spec.name
    netloc = (f"{spec.user}@" if spec.user else "") + name + (f":{spec.port}" if spec.port else "")
    extra = " ".join(filter(None, [found.ssh_extra_args, host.ssh_extra_args]))
    return _ssh_backend(host.model_copy(update={
        "connection": f"ssh://{netloc}", "ssh_extra_args": extra or None,
        "ssh_config": found.ssh_config, "ssh_identity_file": found.ssh_identity_file}))


@functools.cache
def connect(host: Host) -> Any:
    """A testinfra Host for a configured host, cached per process (one connection)."""
    import testinfra.backend
    import testinfra.host

    scheme = host.connection.split("://", 1)[0] if "://" in host.connection else "ssh"
    try:
        if scheme in SSH_SCHEMES:
            backend = _ssh_backend(host)
        else:
            backend = _ansible_ssh_backend(host) if scheme == "ansible" else None
            if backend is None:
                backend = testinfra.backend.get_backend(host.connection, **_other_kwargs(host))
    except ssh.SshSettingError as exc:
        raise CheckError(f"host {host.name}: {exc}") from None
    # testinfra asks the host for its encoding by running python; skip that round trip.
    backend._encoding = "utf-8"
    backend.cap = output_cap(host)
    _install_guard(backend, host)
    tinfra = testinfra.host.Host(backend)
    backend.set_host(tinfra)
    return tinfra


def _other_kwargs(host: Host) -> dict[str, Any]:
    """Keyword arguments of testinfra's other backends (local, paramiko, docker, ...)."""
    if "?" in host.connection and host.connection.split("://", 1)[0] == "paramiko":
        raise ssh.SshSettingError("connection: paramiko:// takes no ?query (use the hosts[] "
                                  "keys: sudo, ssh_config, ssh_identity_file, ...)")
    kwargs: dict[str, Any] = {"sudo": host.sudo}
    if host.ssh_config:
        problem = ssh.config_file_problem(host.ssh_config)
        if problem:
            raise ssh.SshSettingError(f"ssh_config: {problem}")
    for key in ("ssh_config", "ssh_identity_file", "ansible_inventory"):
        if getattr(host, key):
            kwargs[key] = os.path.expanduser(getattr(host, key))
    return kwargs


def _install_guard(backend: Any, host: Host) -> None:
    """Route every command of this backend through the allowlist, sudo check and deadline."""
    state: dict[str, str] = {}
    run = backend.run
    deadline = host.timeout + 2

    def guarded_run(command: str, *args: Any, **kwargs: Any) -> Any:
        guard_command(command, *args)
        if "failure" in state:
            raise CheckError(state["failure"])
        try:
            if host.sudo and "sudo" not in state:
                state["sudo"] = "checked"
                _check_sudo(run, host, state)
            return run(command, *args, **kwargs)
        except (RuntimeError, ConnectionFailed) as exc:  # ssh's exit status 255
            result = exc.args[0] if exc.args else None
            stderr = exc.stderr if isinstance(exc, ConnectionFailed) else getattr(
                result, "stderr", None)
            reason = connection_failure(stderr if isinstance(stderr, str) else str(exc))
            state["failure"] = f"host {host.name} ({_where(host)}): {reason}"
            raise CheckError(state["failure"]) from None
        except TimeoutError as exc:
            state["failure"] = f"host {host.name} ({_where(host)}): {exc}"
            raise CheckError(state["failure"]) from None
        except OutputCapped as exc:
            raise OutputCapped(f"host {host.name}: {exc}") from None

    def bounded_run_local(command: str, *args: str) -> Any:
        # A local shell on purpose: the host is this machine, and ``command`` went
        # through the guard with its values quoted. Bounded, capped, own process group.
        cmd = backend.quote(command, *args)
        done = processes.run(["/bin/sh", "-c", cmd], deadline=deadline, cap=backend.cap)
        return _result(backend, cmd, done, host.timeout)

    def sudo_command(command: str, sudo_user: str | None) -> str:
        if sudo_user is None:  # -n: never wait for a password
            return str(backend.quote("sudo -n /bin/sh -c %s", command))
        return str(backend.quote("sudo -n -u %s /bin/sh -c %s", sudo_user, command))

    backend.run = guarded_run
    backend.run_local = bounded_run_local
    backend.get_sudo_command = sudo_command


def _check_sudo(run: Any, host: Host, state: dict[str, str]) -> None:
    """``sudo -n true`` once: a host without working sudo fails closed."""
    done = run("true")
    if done.rc != 0:
        said = next((line.strip() for line in done.stderr.splitlines() if line.strip()),
                    f"exit status {done.rc}")
        state["failure"] = (f"host {host.name}: sudo not available: {said[:200]} "
                            "(sudo: true needs passwordless sudo for the audit user)")
        raise CheckError(state["failure"])


def _where(host: Host) -> str:
    """The connection string without a password."""
    from pytest_readiness.plumbing.redact import mask_url_password

    return mask_url_password(host.connection)
