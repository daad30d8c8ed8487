"""The OpenSSH command lines of an audit, built as argument lists from validated values.

Nothing from readiness.yaml (or an Ansible inventory) reaches a local shell: the
``ssh`` command is an argv list run without a shell (plumbing/processes.py), and
every value on it is checked first (:func:`target_of`):

- ``ssh_extra_args`` is split with ``shlex`` and must be options only, from a known
  set (:data:`FLAGS`); ``-o`` options that run or load something on the auditing
  machine, forward ports, agents or environment, or take over connection sharing are
  refused (:data:`REFUSED_OPTIONS`); a word that is not an option is refused (it
  would become the destination or a remote command);
- ``ssh_config`` files are read and refused when they hold the same options, an
  ``Include`` or a ``Match exec``;
- user, host and port come from the connection string and are checked against
  strict patterns; the destination follows ``--``;
- a password in the connection string goes to ``sshpass -e`` through the
  environment, never on a command line (nor in a log).

One connection per host per process: a master (``ssh -M -N``) started by the audit
itself, in the foreground, as a child it tracks, and closed at the end of the run
(or on SIGTERM). Its control path is a digest of everything that decides whom the
connection trusts (user, host, port, host-key policy, known_hosts, identity,
ssh_config, extra arguments): entries with different trust settings never share
a master, so a relaxed entry cannot lend its connection to a strict one.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pytest_readiness.config import Host
from pytest_readiness.plumbing import processes
from pytest_readiness.plumbing.reader import Reader

# Flags of ssh(1) accepted in ssh_extra_args, without and with an argument.
FLAGS = frozenset("46CTakqvx")
FLAGS_WITH_VALUE = frozenset("ocmJlpibBF")
# -o options (lower case) that run or load programs on this machine, forward ports,
# agents, X11 or local environment to the host, change what runs remotely, or take
# over connection sharing from the audit.
REFUSED_OPTIONS = frozenset({
    "proxycommand", "localcommand", "permitlocalcommand", "knownhostscommand",
    "remotecommand", "pkcs11provider", "securitykeyprovider", "sendenv", "setenv",
    "forwardagent", "forwardx11", "forwardx11trusted", "localforward", "remoteforward",
    "dynamicforward", "tunnel", "tunneldevice", "controlmaster", "controlpath",
    "controlpersist", "proxyusefdpass", "requesttty", "sessiontype", "stdinnull",
    "forkafterauthentication", "gatewayports", "exitonforwardfailure", "include", "match",
    "identityagent", "escapechar", "updatehostkeys",
})
# -o options whose value becomes a destination (of this ssh or of a jump ssh).
_DESTINATIONS = frozenset({"hostname", "proxyjump", "user"})
_HOST = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}|\[?[0-9A-Fa-f:.%]+\]?")
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}\$?")
_CONFIG_MAX = 256 * 1024


class SshSettingError(ValueError):
    """A value that must not reach an SSH command line; the message names the key."""


@dataclass(frozen=True)
class SshTarget:
    """Everything that decides an ``ssh`` command line for one host entry, validated."""

    host: str
    user: str | None
    port: int | None
    password: str | None
    strict: bool
    known_hosts: str | None
    identity: str | None
    ssh_config: str | None
    extra: tuple[str, ...]
    timeout: float

    def control_name(self) -> str:
        """A digest of the trust settings: entries that differ never share a master."""
        trust = repr((self.host, self.user, self.port, self.strict, self.known_hosts,
                      self.identity, self.ssh_config, self.extra, bool(self.password)))
        return hashlib.sha256(trust.encode()).hexdigest()[:20]


# --- validation ---------------------------------------------------------------------


def option_problem(text: str) -> str | None:
    """Why an ssh ``-o`` option (``Key=Value`` or ``Key Value``) is refused, or None."""
    key, *rest = re.split(r"\s*=\s*|\s+", text.strip(), maxsplit=1)
    key = key.lower()
    if not key:
        return "an empty -o option"
    if key in REFUSED_OPTIONS:
        return (f"option {key!r} is refused: it runs or loads something on the auditing "
                "machine, forwards to the host, or takes over connection sharing")
    if key in _DESTINATIONS and "".join(rest).lstrip().startswith("-"):
        return f"option {key!r}: {''.join(rest)[:60]!r} looks like an option, not a host"
    return None


def extra_args(text: str | None, key: str = "ssh_extra_args") -> tuple[str, ...]:
    """``ssh_extra_args`` as validated argv words (options only, see :data:`FLAGS`)."""
    if not text:
        return ()
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise SshSettingError(f"{key}: cannot be split into arguments ({exc})") from None
    args: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if not word.startswith("-") or word in ("-", "--"):
            raise SshSettingError(f"{key}: {word[:60]!r} is not an ssh option (only options "
                                  "are allowed: a word would become the destination or a "
                                  "remote command)")
        j = 1
        while j < len(word):
            flag = word[j]
            if flag in FLAGS:
                j += 1
                continue
            if flag not in FLAGS_WITH_VALUE:
                raise SshSettingError(f"{key}: ssh option -{flag} is not allowed "
                                      f"(allowed: -{''.join(sorted(FLAGS))} and "
                                      f"-{''.join(sorted(FLAGS_WITH_VALUE))} with a value)")
            value = word[j + 1:]
            if not value:
                i += 1
                if i >= len(words):
                    raise SshSettingError(f"{key}: -{flag} needs a value")
                value = words[i]
            problem = _flag_value_problem(flag, value)
            if problem:
                raise SshSettingError(f"{key}: {problem}")
            args += [f"-{flag}", value]
            break
        else:
            args.append(word)
        i += 1
    return tuple(args)


def _flag_value_problem(flag: str, value: str) -> str | None:
    if "\0" in value or "\n" in value:
        return f"-{flag}: a value with a control character"
    if flag == "o":
        return option_problem(value)
    if flag == "F":
        return config_file_problem(value)
    if flag in "Jlp" and value.startswith("-"):
        return f"-{flag}: {value[:60]!r} looks like an option"
    return None


def config_file_problem(path: str) -> str | None:
    """Why an ssh_config file is refused (options that run something here), or None."""
    # A file of this machine (often outside the audited tree), read as the tree's files
    # are: a regular file only (a FIFO or /dev/zero named here never hangs), capped.
    try:
        text = Reader(Path("/"), max_bytes=_CONFIG_MAX).read(os.path.expanduser(path)).text
    except OSError as exc:
        return f"ssh_config {path}: {exc.strerror or exc}"
    for number, line in enumerate(text.splitlines(), 1):
        words = line.strip().split(None, 1)
        if not words or words[0].startswith("#"):
            continue
        key = words[0].split("=", 1)[0].lower()
        if key == "match" and "exec" in line.lower().split():
            return f"ssh_config {path}:{number}: 'Match exec' runs a command on this machine"
        if key in REFUSED_OPTIONS - {"match"}:
            return (f"ssh_config {path}:{number}: {words[0]!r} is refused (it runs or loads "
                    "something on the auditing machine, forwards to the host, or takes over "
                    "connection sharing)")
    return None


def _path(value: str | None, key: str) -> str | None:
    if not value:
        return None
    if "\0" in value or "\n" in value or '"' in value:
        raise SshSettingError(f"{key}: {value[:60]!r} is not a usable path")
    return os.path.expanduser(value)


def parse_destination(netloc: str, key: str = "connection") -> tuple[str, str | None,
                                                                      int | None, str | None]:
    """``user:password@host:port`` -> (host, user, port, password), each validated."""
    from testinfra.backend.base import BaseBackend

    spec = BaseBackend.parse_hostspec(netloc)
    host = spec.name
    if not _HOST.fullmatch(host) or host.startswith("-"):
        raise SshSettingError(f"{key}: {host[:60]!r} is not a host name or address")
    if spec.user is not None and not _USER.fullmatch(spec.user):
        raise SshSettingError(f"{key}: {spec.user[:60]!r} is not a user name")
    port = None
    if spec.port is not None:
        if not spec.port.isdigit() or not 0 < int(spec.port) < 65536:
            raise SshSettingError(f"{key}: port {spec.port[:10]!r} is not a port number")
        port = int(spec.port)
    return host.strip("[]"), spec.user, port, spec.password


def target_of(host: Host) -> SshTarget:
    """The validated SSH settings of an ``ssh://`` or ``safe-ssh://`` host entry."""
    scheme, _, rest = host.connection.partition("://")
    netloc, sep, tail = rest.partition("?")
    if sep or "/" in netloc or "#" in netloc:
        raise SshSettingError(f"connection: {scheme}:// takes no path or ?query (use the "
                              "hosts[] keys: sudo, ssh_config, ssh_identity_file, ...)")
    name, user, port, password = parse_destination(netloc)
    config = _path(host.ssh_config, "ssh_config")
    if config:
        problem = config_file_problem(config)
        if problem:
            raise SshSettingError(f"ssh_config: {problem}")
    return SshTarget(name, user, port, password, host.strict_host_key_checking,
                     _path(host.known_hosts, "known_hosts"),
                     _path(host.ssh_identity_file, "ssh_identity_file"), config,
                     extra_args(host.ssh_extra_args), host.timeout)


# --- command lines -------------------------------------------------------------------


def base_options(target: SshTarget) -> list[str]:
    """The audit's own ``-o`` options: they come first (OpenSSH keeps the first value)."""
    seconds = max(1, math.ceil(target.timeout))
    options = ["BatchMode=yes", f"ConnectTimeout={seconds}", f"ServerAliveInterval={seconds}",
               "ServerAliveCountMax=1", "LogLevel=ERROR", "UpdateHostKeys=no"]
    if target.strict:
        options.append("StrictHostKeyChecking=yes")
        if target.known_hosts:
            options.append(f'UserKnownHostsFile="{target.known_hosts}"')
    else:
        options += ["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"]
    return options


def ssh_argv(target: SshTarget, control: str | None, *, master: bool = False) -> list[str]:
    """``ssh`` with our options, then the validated extras, ``--``, the destination."""
    argv = ["sshpass", "-e", "ssh"] if target.password else ["ssh"]
    for option in base_options(target):
        argv += ["-o", option]
    if control is None:
        argv += ["-o", "ControlMaster=no", "-o", "ControlPath=none"]
    elif master:
        argv += ["-o", "ControlMaster=yes", "-o", "ControlPersist=no",
                 "-o", f"ControlPath={control}", "-N"]
    else:
        argv += ["-o", "ControlMaster=no", "-o", f"ControlPath={control}"]
    argv += list(target.extra)
    if target.ssh_config:
        argv += ["-F", target.ssh_config]
    if target.identity:
        argv += ["-i", target.identity]
    if target.user:
        argv += ["-l", target.user]
    if target.port:
        argv += ["-p", str(target.port)]
    return [*argv, "--", target.host]


def environment(target: SshTarget) -> dict[str, str] | None:
    """The environment of an ssh command: the password for ``sshpass -e``, if any."""
    if not target.password:
        return None
    return {**os.environ, "SSHPASS": target.password}


# Exit statuses of ``timeout`` when it stopped the command: TERM worked (124), KILL (137).
REMOTE_TIMEOUT_STATUS = (124, 137)


def remote_command(command: str, seconds: float) -> str:
    """``command`` killed on the host at ``seconds`` (``timeout -k`` where the host has it)."""
    limit = max(1, math.ceil(seconds))
    quoted = shlex.quote(command)
    return (f"if command -v timeout >/dev/null 2>&1; then exec timeout -k 1 {limit} "
            f"/bin/sh -c {quoted}; else exec /bin/sh -c {quoted}; fi")


# --- masters -------------------------------------------------------------------------


@dataclass
class Master:
    path: str
    proc: subprocess.Popen[bytes] | None = None
    failure: str | None = None  # why a master could not start (its stderr, maybe empty)


_MASTERS: dict[str, Master] = {}
_LOCK = threading.Lock()
_DIR: list[str] = []


def control_dir() -> str:
    """A private directory for the control sockets of this process (removed by close_all)."""
    with _LOCK:
        if not _DIR:
            # Short: a unix socket path must stay under ~100 bytes.
            _DIR.append(tempfile.mkdtemp(prefix="rdy-ssh-"))
        return _DIR[0]


def master_for(target: SshTarget) -> tuple[str | None, str | None]:
    """(control path, None) once a master is up; (None, reason) when it could not start.

    The master is started once per trust settings per process and waited for up to
    the host's timeout + 2 s (it is up when its control socket appears).
    """
    path = os.path.join(control_dir(), target.control_name())
    with _LOCK:
        master = _MASTERS.setdefault(path, Master(path))
    with _master_lock(path):
        if master.failure is not None:
            return None, master.failure
        if master.proc is not None and master.proc.poll() is None and os.path.exists(path):
            return path, None
        return _start(master, target)


_PATH_LOCKS: dict[str, threading.Lock] = {}


def _master_lock(path: str) -> threading.Lock:
    with _LOCK:
        return _PATH_LOCKS.setdefault(path, threading.Lock())


def _start(master: Master, target: SshTarget) -> tuple[str | None, str | None]:
    if master.proc is not None:  # a master that ended (the host hung up): forget it
        processes.release(master.proc)
    errors = Path(master.path + ".err")
    with errors.open("wb") as sink:
        proc = processes.spawn(ssh_argv(target, master.path, master=True),
                               env=environment(target), stdout=subprocess.DEVNULL, stderr=sink)
    master.proc = proc
    deadline = time.monotonic() + target.timeout + 2
    try:
        while not os.path.exists(master.path):
            if proc.poll() is not None:
                master.failure = _read(errors)  # "" is a reason too: no message at all
                return None, master.failure
            if time.monotonic() > deadline:
                master.failure = (f"no answer within {target.timeout:g}s "
                                  "(stalled during the SSH handshake)")
                processes.release(proc)
                return None, master.failure
            time.sleep(0.01)
    except BaseException:
        processes.release(proc)  # interrupted while waiting: never leave it running
        raise
    return master.path, None


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-4000:]
    except OSError:
        return ""


def close_all() -> None:
    """Close every master of this process and remove the control directory."""
    with _LOCK:
        masters = list(_MASTERS.values())
        _MASTERS.clear()
        directory = _DIR.pop() if _DIR else None
    for master in masters:
        if master.proc is not None:
            processes.release(master.proc, grace=0.5)
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
