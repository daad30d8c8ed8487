"""File permissions: secret-looking files in a codebase open to others, world-writable
files; and sensitive files on hosts (modes and owners read with one ``stat`` per batch)."""

from __future__ import annotations

import fnmatch
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_readiness.outcomes import CheckError
from pytest_readiness.plumbing import configfile
from pytest_readiness.plumbing.findings import Finding
from pytest_readiness.plumbing.tree import Inventory, SourceFile
from pytest_readiness.probes.hosts import commands
from pytest_readiness.vocabulary import Level

SECRET_GLOBS = ("*.key", "*.pem", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", ".env",
                ".env.*", "*.env", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.kdbx")
# Templates and public halves are meant to be shared.
NOT_SECRET_SUFFIXES = (".pub", ".example", ".sample", ".template", ".dist", ".tmpl")
PEM_SECRET_MARKERS = (b"PRIVATE KEY", b"-----BEGIN OPENSSH", b"ENCRYPTED")


def mode_string(mode: int) -> str:
    return f"0{stat.S_IMODE(mode):03o}"


@dataclass(frozen=True)
class ModeProblem:
    file: str
    mode: str
    reason: str


def looks_secret(file: SourceFile, inventory: Inventory | None = None) -> bool:
    """A file whose name says it holds a secret; a .pem/.crt holding only certificates does
    not (read through the codebase index: a .pem it cannot read counts as a secret)."""
    name = file.name
    if name.endswith(NOT_SECRET_SUFFIXES) or file.is_symlink:
        return False
    if not any(fnmatch.fnmatchcase(name, glob) for glob in SECRET_GLOBS):
        return False
    if name.endswith(".pem"):
        content = (inventory or Inventory(file.path.parent)).content(file)
        return content is None or any(marker in content.data[:65536]
                                       for marker in PEM_SECRET_MARKERS)
    return True


def loose_secret_files(inventory: Inventory) -> list[ModeProblem]:
    """Secret-looking files readable, writable or executable by group or others."""
    return [
        ModeProblem(f.rel, mode_string(f.mode),
                    ("readable by " if f.mode & 0o044 else "accessible by ") + _who(f.mode))
        for f in inventory.files
        if f.mode & 0o077 and looks_secret(f, inventory)
    ]


def world_writable(inventory: Inventory) -> list[ModeProblem]:
    return [ModeProblem(f.rel, mode_string(f.mode), "writable by anyone")
            for f in inventory.files if not f.is_symlink and f.mode & 0o002]


def _who(mode: int) -> str:
    parts = [name for bits, name in ((0o070, "group"), (0o007, "others")) if mode & bits]
    return " and ".join(parts)


# --- files on hosts ---------------------------------------------------------------

# Fixed paths that hold secrets on most Linux hosts.
SENSITIVE_FILES = ("/etc/shadow", "/etc/gshadow")
# Directories and the names in them that are private keys or credentials.
SENSITIVE_DIRS: dict[str, str] = {
    "/etc/ssh": r"ssh_host_\w+_key",
    "/etc/ssl/private": r".+",
    "/root/.ssh": r"id_(rsa|dsa|ecdsa|ed25519)(_sk)?",
    "/etc/letsencrypt/live": r".+",
}
# Groups that may read secrets by design (shadow for /etc/shadow, ssl-cert for keys).
TRUSTED_GROUPS = ("root", "shadow", "ssl-cert")
DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")


@dataclass(frozen=True)
class FileStat:
    path: str
    mode: int
    owner: str
    group: str

    @property
    def mode_text(self) -> str:
        return f"0{stat.S_IMODE(self.mode):03o}"


def parse_stat(text: str) -> list[FileStat]:
    """Lines of ``stat -c '%a|%U|%G|%n'`` -> FileStat (the path last: it may hold ``|``)."""
    found = []
    for line in text.splitlines():
        parts = line.split("|", 3)
        if len(parts) == 4 and re.fullmatch(r"[0-7]{1,4}", parts[0]):
            found.append(FileStat(parts[3], int(parts[0], 8), parts[1], parts[2]))
    return found


@dataclass(frozen=True)
class HostStat:
    """What ``stat`` told about some paths: their facts, and what it could not read."""

    found: list[FileStat]
    unreadable: list[str]  # stat's complaints other than "No such file or directory"


def stat_files(host: Any, paths: list[str]) -> HostStat:
    if not paths:
        return HostStat([], [])
    out = host.run("stat -L -c '%%a|%%U|%%G|%%n' -- " + " ".join(["%s"] * len(paths)), *paths)
    unreadable = commands.complaints(out.stderr) if out.rc != 0 else []
    return HostStat(parse_stat(out.stdout), unreadable)


@dataclass(frozen=True)
class SensitivePaths:
    paths: list[str]
    unreadable: list[str]  # directories ``ls`` could not list (and why)


def sensitive_paths(host: Any, extra: list[str] = ()) -> SensitivePaths:  # type: ignore[assignment]
    """Well-known secret files present on the host, plus ``extra`` (configured secrets)."""
    dirs = list(SENSITIVE_DIRS)
    out = host.run("ls -1 -q -- " + " ".join(["%s"] * len(dirs)), *dirs)
    current = None
    paths = list(SENSITIVE_FILES)
    for line in out.stdout.splitlines():
        if line.endswith(":") and line[:-1] in SENSITIVE_DIRS:
            current = line[:-1]
        elif line and current and re.fullmatch(SENSITIVE_DIRS[current], line):
            paths.append(f"{current}/{line}")
    unreadable = commands.complaints(out.stderr) if out.rc != 0 else []
    return SensitivePaths(list(dict.fromkeys([*paths, *extra])), unreadable)


def exposure(f: FileStat) -> str | None:
    """Why a secret file is too open, or None: no bits for others, group only if trusted."""
    if f.mode & 0o007:
        return f"{f.path} is {f.mode_text} ({f.owner}:{f.group}): others can access it"
    if f.mode & 0o070 and f.group not in TRUSTED_GROUPS:
        return f"{f.path} is {f.mode_text} ({f.owner}:{f.group}): group {f.group} can access it"
    return None


def socket_exposure(f: FileStat) -> str | None:
    if f.mode & 0o006:
        return f"{f.path} is {f.mode_text}: any local user can drive Docker (root equivalent)"
    return None


def mode_findings(problems: list[ModeProblem],
                  not_a_fact: Callable[[str], str | None] = lambda rel: None) -> list[Finding]:
    """Each file with a mode that is too open, as a finding of the file: an error, or a note
    when the mode says nothing about production (``not_a_fact(rel)`` says why: a file git
    tracks keeps no group or other bits, an unpacked archive has its packer's umask)."""
    found = []
    for p in problems:
        why = not_a_fact(p.file)
        found.append(Finding("", f"mode {p.mode}: {p.reason}", p.file) if why is None else
                     Finding("", f"mode {p.mode}: {p.reason}; not a production fact: {why}",
                             p.file, level=Level.NOTE))
    return found
# --- config files on hosts -------------------------------------------------------

_NO_SUCH_FILE = "No such file or directory"


@dataclass(frozen=True)
class ConfigKeys:
    """What a config file read on a host defines of its required keys (names only)."""

    path: str
    format: str
    missing: list[str]
    empty: list[str]
    parse_problem: str | None = None

    @property
    def problems(self) -> list[str]:
        if self.parse_problem:
            return [self.parse_problem]
        return ([f"required key {k!r} is missing" for k in self.missing]
                + [f"required key {k!r} is empty" for k in self.empty])


def read_host_file(host: Any, path: str) -> str | None:
    """The text of a file on the host (``cat``), None when it does not exist; a file that
    exists but cannot be read raises :class:`CheckError` (nothing read proves nothing)."""
    out = host.run("cat -- %s", path)
    if out.rc == 0:
        return str(out.stdout)
    said = str(out.stderr).strip()
    if _NO_SUCH_FILE in said:
        return None
    raise CheckError(f"cannot read {path}: {said.splitlines()[0][:200] if said else out.rc}")


def config_keys(text: str, path: str, keys: list[str], kind: str | None = None) -> ConfigKeys:
    """Parse ``text`` (by ``kind``, else the file's extension) and look up ``keys``."""
    kind = kind or configfile.format_of(path)
    try:
        data = configfile.parse_text(text, kind, path)
    except Exception as exc:  # every parser has its own error type; the message is what matters
        message, line = configfile.parse_problem(exc, path)
        where = f" (line {line})" if line else ""
        return ConfigKeys(path, kind, [], [], message + where)
    missing, empty = configfile.missing_and_empty(data, keys)
    return ConfigKeys(path, kind, missing, empty)


# --- globs and mode policy --------------------------------------------------------

_GLOB = re.compile(r"[*?\[]")
MAX_GLOB_MATCHES = 500
MAX_GLOB_LISTINGS = 100


def is_glob(path: str) -> bool:
    return bool(_GLOB.search(path))


@dataclass(frozen=True)
class Expansion:
    """The paths a glob matched on a host, and what bounded or hid the answer."""

    paths: list[str]
    truncated: bool = False  # more matches (or directories) than the bounds allow
    unreadable: list[str] = field(default_factory=list)  # directories ``ls`` could not list


def _matches(name: str, part: str) -> bool:
    # As the shell: a leading dot is matched only by a pattern that starts with one.
    return (not name.startswith(".") or part.startswith(".")) and \
        fnmatch.fnmatchcase(name, part) and name not in (".", "..")


def expand_glob(host: Any, pattern: str) -> Expansion:
    """Expand ``pattern`` (``*``, ``?``, ``[...]`` in any component) on the host, read-only
    and bounded: one ``ls`` per directory listed, at most :data:`MAX_GLOB_LISTINGS` of
    them and :data:`MAX_GLOB_MATCHES` paths."""
    current, truncated, unreadable = ["/"], False, []
    listings = 0
    for part in [p for p in pattern.split("/") if p]:
        if not is_glob(part):
            current = [f"{c.rstrip('/')}/{part}" for c in current]
            continue
        found: list[str] = []
        for directory in current:
            if listings >= MAX_GLOB_LISTINGS or len(found) >= MAX_GLOB_MATCHES:
                truncated = True
                break
            listings += 1
            out = host.run("ls -1 -A -- %s", directory)
            if out.rc != 0:
                unreadable += [f"{directory}: {c}" for c in _complaints(str(out.stderr))]
            found += [f"{directory.rstrip('/')}/{name}" for name in str(out.stdout).splitlines()
                      if _matches(name, part)]
        current = sorted(found)[:MAX_GLOB_MATCHES]
        truncated = truncated or len(found) > MAX_GLOB_MATCHES
    return Expansion(current, truncated, unreadable)


def _complaints(stderr: str) -> list[str]:
    """What ``ls`` said other than "no such file" (a directory that is not there is an
    answer; "Permission denied" is not)."""
    return [line.strip()[:200] for line in stderr.splitlines()
            if line.strip() and _NO_SUCH_FILE not in line]


def beyond(mode: int, limit: int) -> int:
    """Permission bits of ``mode`` that ``limit`` does not allow (0: within it)."""
    return stat.S_IMODE(mode) & ~limit & 0o7777
