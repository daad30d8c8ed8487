"""Compose interpolation (the specification's ``12-interpolation.md``), as pure functions.

``$VAR`` and ``${VAR}`` take the variable's value; ``${VAR:-default}`` (unset or empty)
and ``${VAR-default}`` (unset) a default; ``${VAR:?message}`` and ``${VAR?message}``
require it; ``${VAR:+replacement}`` and ``${VAR+replacement}`` replace a set variable;
``$$`` is a literal ``$``. Defaults and replacements may nest (``${A:-${B}}``).

The environment known here is the project's ``.env`` (and ``--env-file``s), never
the machine running the audit. A variable it does not set is *unknown* (the deployment
may set it), not empty: its expression stays in the text as written (``${TAG}``), so
rules can say "comes from the deployment" instead of guessing, and the variable is
listed in :attr:`Interpolated.unresolved`. An unknown variable with a default takes
the default (listed in ``defaulted``). No pytest, no I/O except :func:`parse_env`'s
text argument.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from dotenv.parser import parse_stream

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
OPERATORS = (":-", ":?", ":+", "-", "?", "+")


@dataclass
class Interpolated:
    """The text with every known variable substituted, and what could not be."""

    text: str
    unresolved: list[str] = field(default_factory=list)  # unknown, no default
    required: list[tuple[str, str]] = field(default_factory=list)  # ${X:?msg} unknown/empty
    defaulted: list[str] = field(default_factory=list)  # unknown, took its default
    invalid: list[str] = field(default_factory=list)  # malformed ``${...}`` expressions

    @property
    def known(self) -> bool:
        """Every variable had a value (or a default): the text is what Compose would use."""
        return not (self.unresolved or self.required or self.invalid)

    def absorb(self, other: Interpolated) -> None:
        self.unresolved += other.unresolved
        self.required += other.required
        self.defaulted += other.defaulted
        self.invalid += other.invalid


def _closing(text: str, start: int) -> int:
    """Index of the ``}`` closing a ``${`` whose body starts at ``start`` (-1: none)."""
    depth = 1
    i = start
    while i < len(text):
        if text.startswith("$$", i):
            i += 2
            continue
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def interpolate(text: str, env: Mapping[str, str]) -> Interpolated:
    """Interpolate ``text`` with ``env`` (the variables known to be set)."""
    result = Interpolated("")
    out: list[str] = []
    i = 0
    while i < len(text):
        dollar = text.find("$", i)
        if dollar < 0:
            out.append(text[i:])
            break
        out.append(text[i:dollar])
        following = text[dollar + 1:dollar + 2]
        if following == "$":
            out.append("$")
            i = dollar + 2
        elif following == "{":
            end = _closing(text, dollar + 2)
            if end < 0:
                result.invalid.append(text[dollar:])
                out.append(text[dollar:])
                break
            out.append(_braced(text[dollar + 2:end], text[dollar:end + 1], env, result))
            i = end + 1
        elif (match := NAME.match(text, dollar + 1)) is not None:
            name = match.group()
            if name in env:
                out.append(env[name])
            else:
                result.unresolved.append(name)
                out.append(text[dollar:match.end()])
            i = match.end()
        else:
            out.append("$")
            i = dollar + 1
    result.text = "".join(out)
    return result


def _braced(body: str, written: str, env: Mapping[str, str], result: Interpolated) -> str:
    match = NAME.match(body)
    if match is None:
        result.invalid.append(written)
        return written
    name, rest = match.group(), body[match.end():]
    operator = next((op for op in OPERATORS if rest.startswith(op)), None)
    if rest and operator is None:
        result.invalid.append(written)
        return written
    argument = rest[len(operator):] if operator else ""
    known = name in env
    value = env.get(name, "")
    is_set = known and (value != "" if operator and operator.startswith(":") else True)
    if operator is None:
        if known:
            return value
        result.unresolved.append(name)
        return written
    kind = operator[-1]
    if kind == "-":
        if is_set:
            return value
        if not known:
            result.defaulted.append(name)
        nested = interpolate(argument, env)
        result.absorb(nested)
        return nested.text
    if kind == "?":
        if is_set:
            return value
        result.required.append((name, argument or f"required variable {name} is missing a value"))
        return written
    # "+": the replacement when set, nothing when not; unknown stays unknown
    if not known:
        result.unresolved.append(name)
        return written
    if not is_set:
        return ""
    nested = interpolate(argument, env)
    result.absorb(nested)
    return nested.text


def escape(text: str) -> str:
    """``text`` written so that interpolation gives it back (every ``$`` doubled)."""
    return text.replace("$", "$$")


@dataclass(frozen=True)
class EnvEntry:
    """One ``KEY=VALUE`` of an env file: the value as Compose reads it, and its line."""

    key: str
    value: str | None  # None: a bare ``KEY`` (taken from the environment)
    line: int
    literal: bool  # single-quoted: no interpolation


def env_entries(text: str) -> list[EnvEntry]:
    """The entries of a ``.env`` / ``env_file`` text, parsed by python-dotenv.

    Lines python-dotenv cannot parse are skipped (Compose refuses the file; the
    bind-mount and schema checks speak about files, not this parser).
    """
    entries = []
    for binding in parse_stream(io.StringIO(text)):
        if binding.error or binding.key is None:
            continue
        raw = binding.original.string.partition("=")[2].lstrip()
        entries.append(EnvEntry(binding.key, binding.value, binding.original.line,
                                raw.startswith("'")))
    return entries


def parse_env(text: str, known: Mapping[str, str] | None = None) -> dict[str, str]:
    """An env file's variables, each value interpolated with those before it (and
    ``known``, e.g. the ``.env`` when reading an ``env_file:``), as Compose does.

    A bare ``KEY`` with no value takes ``known``'s value if any, else is left out; an
    unknown variable inside a value keeps its ``${...}`` text (see module docstring).
    """
    env: dict[str, str] = dict(known or {})
    out: dict[str, str] = {}
    for entry in env_entries(text):
        if entry.value is None:
            if entry.key in env:
                out[entry.key] = env[entry.key]
            continue
        value = entry.value if entry.literal else interpolate(entry.value, env).text
        env[entry.key] = out[entry.key] = value
    return out
