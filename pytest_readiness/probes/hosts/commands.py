"""What may run on an audited host: the read-only allowlist, and the values placed in it.

Checks (and testinfra's own modules) run host commands as a template and values,
``host.run("systemctl show -p After -- %s", unit)``; testinfra quotes each value
with ``shlex.quote``. :func:`guard_command` vets every such pair before anything
runs, on every backend:

- the program must be on :data:`HOST_COMMANDS`, with an allowed first argument;
- no shell operator (``; & | < > $( ) { }``, backticks, newlines) outside single quotes;
- **no value can become an option**: a value substituted for a ``%s`` word that
  does not follow ``--`` must not begin with ``-`` (``rpm -q %s`` with
  ``--eval=%(...)`` is refused; ``rpm -q -- %s`` passes it as a package name);
- a ``%s`` may not sit inside quotes in the template (a quoted value inside quotes
  would split into words);
- programs whose values have a strict meaning validate every value against its
  pattern (:data:`VALUE_KINDS`): systemd unit names (systemd.unit(5)), package
  names, absolute paths.

A value that fails raises :class:`CommandRefused`, a ``CheckError``: the check ends
with ``error`` naming the value, and nothing reaches the host. Adding a command
for a new check (issue 16) means one :class:`Allowed` entry here and one row in
docs/safety.md (a test compares the two).
"""

from __future__ import annotations

import functools
import os
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_readiness.outcomes import CheckError

if TYPE_CHECKING:
    from pytest_readiness.config import HostCommandSpec

# systemd.unit(5): "name.type", at most 255 characters of ASCII letters, digits, ":",
# "-", "_", ".", "\\"; a template instance carries "@" (unit@instance.type). systemctl
# also accepts a name without its type (".service" is implied).
UNIT_TYPES = ("service", "socket", "device", "mount", "automount", "swap", "target", "path",
              "timer", "slice", "scope")
_UNIT_CHARS = r"[A-Za-z0-9:_\\][A-Za-z0-9:_.\\-]*"
_UNIT = re.compile(_UNIT_CHARS + r"(@[A-Za-z0-9:_.\\-]*)?")
_TYPED_UNIT = re.compile(_UNIT.pattern + r"\.(" + "|".join(UNIT_TYPES) + ")")
# dpkg (deb-control(5)): [a-z0-9][a-z0-9+.-]+; rpm and apk also allow capitals and "_";
# an architecture qualifier (":amd64", ".x86_64") is part of the same alphabet.
_PACKAGE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_+.:~-]{0,199}")


def unit_name_problem(value: str, *, typed: bool = True) -> str | None:
    """Why ``value`` is not a systemd unit name (systemd.unit(5)), or None.

    ``typed``: the name must end with its type (``.service``, ``.timer``, ...), as a
    unit file's name does; systemctl alone also takes ``nginx`` for ``nginx.service``.
    """
    pattern = _TYPED_UNIT if typed else _UNIT
    if len(value) > 255 or not pattern.fullmatch(value):
        return (f"{value[:80]!r} is not a systemd unit name (NAME.service, NAME@INSTANCE.timer, "
                "...: letters, digits, ':', '-', '_', '.', '\\'; never a path)")
    return None


def package_name_problem(value: str) -> str | None:
    if not _PACKAGE.fullmatch(value):
        return (f"{value[:80]!r} is not a package name (letters, digits, '+', '.', '-', '_', "
                "':', '~'; not starting with '-')")
    return None


def absolute_path_problem(value: str) -> str | None:
    if not value.startswith("/") or "\0" in value or "\n" in value:
        return f"{value[:80]!r} is not an absolute path on the host (it must start with '/')"
    return None


_CONTAINER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def container_problem(value: str) -> str | None:
    """A container id or name (what ``docker ps`` prints); never an option or a path."""
    if not _CONTAINER.fullmatch(value):
        return f"{value[:80]!r} is not a container id or name (letters, digits, '_', '.', '-')"
    return None


def word_problem(value: str) -> str | None:
    """Any value: it must not be an option where it is placed, nor hold NUL."""
    if "\0" in value:
        return f"{value[:80]!r} holds a NUL byte"
    return None


# Kinds of value a program accepts for its ``%s`` placeholders.
VALUE_KINDS = {"unit": lambda value: unit_name_problem(value, typed=False),
               "package": package_name_problem, "path": absolute_path_problem,
               "container": container_problem,
               "word": word_problem}


@dataclass(frozen=True)
class Allowed:
    """One program on the allowlist: its allowed first arguments (None: any) and the
    kind of every value placed in its command (:data:`VALUE_KINDS`)."""

    first: frozenset[str] | None = None
    values: str = "word"


def _allow(*first: str, values: str = "word") -> Allowed:
    return Allowed(frozenset(first) if first else None, values)


# Program -> what it may be given. Every entry only reads.
HOST_COMMANDS: dict[str, Allowed] = {
    "test": _allow(),  # file tests (testinfra File.exists, is_file, ...)
    "stat": _allow(),  # mode, owner, group, size, mtime
    "realpath": _allow(),
    "sha256sum": _allow(),  # fleet file checksums
    "md5sum": _allow(),
    "cat": _allow(),  # File.content, /etc/os-release (unit files when systemd is absent)
    "lsb_release": _allow(),
    "sw_vers": _allow(),
    "ls": _allow(),
    "command": _allow("-v"),  # is a tool installed
    "uname": _allow(),
    "id": _allow(),
    "getent": _allow("ahosts", "ahostsv4", "ahostsv6", "hosts", "passwd", "group"),
    "systemctl": _allow("show", "cat", "is-enabled", "is-active", "is-system-running",
                        values="unit"),
    "timedatectl": _allow("show"),
    "chronyc": _allow("-c", "-n"),  # chronyc -c tracking
    "date": _allow("+%s.%N", "+%s", "-u"),  # never "date -s"
    "sqlite3": _allow("-readonly", values="path"),  # PRAGMA integrity_check on a host's file
    "dpkg-query": _allow("-W", "-f", values="package"),
    "rpm": _allow("-q", values="package"),
    "apk": _allow("info", values="package"),
    # Containers' runtime user: ps and inspect read; no other subcommand (run, exec, rm,
    # stop, kill, cp...), no global option (-H, --context) ever reaches docker.
    "docker": _allow("ps", "inspect", "version", values="container"),
}
# Programs the user allowed in readiness.yaml (``host_commands``) for checks of their own:
# set for each session from its config (:func:`allow_user_commands`); never a built-in.
USER_COMMANDS: dict[str, Allowed] = {}


def allow_user_commands(specs: Iterable[HostCommandSpec]) -> None:
    """Make the session's ``host_commands`` the user's allowlist (replacing the last one).

    Each entry was validated when readiness.yaml was read (config.HostCommandSpec: a
    program name that neither runs others nor changes a host, first arguments that do not
    change state); a built-in program cannot be extended. Its commands then pass the same
    guard as the built-in ones, with the same deadline and output cap.
    """
    added: dict[str, Allowed] = {}
    for index, spec in enumerate(specs):
        if spec.program in HOST_COMMANDS:
            raise ValueError(f"host_commands[{index}].program: {spec.program!r} is already "
                             "allowed, with fixed uses; a built-in program cannot be extended")
        added[spec.program] = Allowed(frozenset(spec.first), spec.values)
    USER_COMMANDS.clear()
    USER_COMMANDS.update(added)


# Subcommands of programs whose first argument is an option.
_CHRONYC_READS = frozenset({"tracking", "sources", "sourcestats"})
# Values of these programs that are not of the program's kind: sqlite3's SQL statement.
_FIXED_TEXT = {"sqlite3": frozenset({"PRAGMA integrity_check;"})}
_SHELL_META = re.compile(r"[;&|<>`$(){}\n]")
# Redirections testinfra's own modules use; harmless (they only discard or merge output).
_HARMLESS = re.compile(r"\s2>(&1|/dev/null)\s*$")
_SINGLE_QUOTED = re.compile(r"'[^']*'")


class CommandRefused(CheckError):
    """A command that is not on the read-only allowlist, or a value that could change it."""


@dataclass(frozen=True)
class Placeholder:
    """A ``%s`` of a command template: is it a word of its own, after ``--``, in quotes?"""

    standalone: bool
    after_dashdash: bool
    quoted: bool


@functools.lru_cache(maxsize=1024)  # templates repeat: a check asks each host the same
def placeholders(template: str) -> tuple[Placeholder, ...]:
    """The ``%s`` placeholders of a template, in order (``%%`` is a literal ``%``)."""
    found: list[Placeholder] = []
    words: list[str] = []  # the words before the current one
    word: str | None = None  # the current word (None: between words)
    quote = ""
    i = 0
    while i < len(template):
        char, pair = template[i], template[i:i + 2]
        if pair in ("%s", "%%"):
            if pair == "%s":
                ends_word = template[i + 2:i + 3] in ("", " ", "\t")
                found.append(Placeholder(standalone=word is None and ends_word,
                                         after_dashdash="--" in words, quoted=bool(quote)))
            word = (word or "") + pair
            i += 2
            continue
        if quote:
            if char == quote:
                quote = ""
            else:
                word = (word or "") + char
        elif char in "'\"":
            quote, word = char, word or ""
        elif char.isspace():
            if word is not None:
                words.append(word)
            word = None
        else:
            word = (word or "") + char
        i += 1
    return tuple(found)


def guard_command(command: str, *args: object) -> None:
    """Refuse a command (template and values) that is not a read-only use of the allowlist."""
    bare = _HARMLESS.sub("", _SINGLE_QUOTED.sub("''", command.replace("%s", "")))
    if _SHELL_META.search(bare):
        raise CommandRefused(f"refused host command {command!r}: shell operators are not allowed")
    words = _words(command)
    if words is None:
        raise CommandRefused(f"refused host command {command!r}: unbalanced quotes")
    program = os.path.basename(words[0]) if words else ""
    allowed = HOST_COMMANDS.get(program) or USER_COMMANDS.get(program)
    if allowed is None:
        raise CommandRefused(f"refused host command {command!r}: {program!r} is not on the "
                             "read-only allowlist (HOST_COMMANDS in "
                             "pytest_readiness/probes/hosts/commands.py, or host_commands in "
                             "readiness.yaml: docs/writing-checks.md)")
    first = words[1] if len(words) > 1 else ""
    if allowed.first is not None and first not in allowed.first:  # "%s" could be anything
        raise CommandRefused(f"refused host command {command!r}: {program} {first} is not a "
                             "read-only use")
    if program == "chronyc" and not set(words[1:]) & _CHRONYC_READS:
        raise CommandRefused(f"refused host command {command!r}: only chronyc tracking/sources")
    if args:
        _guard_values(command, program, allowed, args)


@functools.lru_cache(maxsize=1024)
def _words(command: str) -> tuple[str, ...] | None:
    """The shell words of a command template (None: unbalanced quotes)."""
    try:
        return tuple(shlex.split(command))
    except ValueError:
        return None


def _guard_values(command: str, program: str, allowed: Allowed, args: tuple[object, ...]) -> None:
    slots = placeholders(command)
    if len(slots) != len(args):
        raise CommandRefused(f"refused host command {command!r}: {len(args)} value(s) for "
                             f"{len(slots)} placeholder(s)")
    check = VALUE_KINDS[allowed.values]
    for slot, arg in zip(slots, args, strict=True):
        value = str(arg)
        if slot.quoted:
            raise CommandRefused(f"refused host command {command!r}: a value inside quotes")
        if slot.standalone and not slot.after_dashdash and value.startswith("-"):
            raise CommandRefused(f"refused host command {command!r}: the value {value[:80]!r} "
                                 "would be read as an option")
        if value in _FIXED_TEXT.get(program, ()):
            continue
        problem = check(value) or word_problem(value)
        if problem:
            raise CommandRefused(f"refused host command {program}: {problem}")


# --- believing what a command said ----------------------------------------------------

_MISSING = "No such file or directory"


class HostCommandFailed(CheckError):
    """A host command failed in a way that leaves its check unable to tell."""


def complaints(stderr: str) -> list[str]:
    """What a file command (stat, ls, sha256sum) said on stderr, other than "no such file".

    A missing file is an answer; "Permission denied", "command not found" or an I/O
    error means the command could not read what it was asked, and its silence about
    a file proves nothing.
    """
    return [line.strip()[:200] for line in stderr.splitlines()
            if line.strip() and _MISSING not in line]


def output_of(result: object, what: str) -> str:
    """The stdout of a command that must succeed, or :class:`HostCommandFailed`."""
    rc = getattr(result, "rc", 1)
    if rc != 0:
        raise HostCommandFailed(f"{what} failed: {first_complaint(result)}")
    return str(getattr(result, "stdout", ""))


def first_complaint(result: object) -> str:
    """The first line a failed command wrote (stderr, else stdout), or its exit status."""
    for stream in ("stderr", "stdout"):
        for line in str(getattr(result, stream, "")).splitlines():
            if line.strip():
                return line.strip()[:200]
    return f"exit status {getattr(result, 'rc', '?')}"
