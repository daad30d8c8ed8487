"""Which Compose projects a tree holds: the sets of files Compose is run with.

A directory's default project is what ``docker compose up`` loads there: the first of
``compose.yaml``, ``compose.yml``, ``docker-compose.yaml``, ``docker-compose.yml`` and
its ``*.override.*`` file. Named variants are the ``-f`` sets the tree itself runs:
``docker compose -f a -f b`` (also ``--file``, ``--env-file``, ``--profile``) in CI
workflows, Makefiles (``$(VAR)`` expanded), shell scripts, docs and compose files'
comments; or, when readiness.yaml names them (``compose:``, each entry a file or a
list of files), exactly those. A compose file no set uses is its own project, or an
overlay of its directory's default file when it cannot stand alone (a service with
no ``image``/``build``/``extends``, or a dependency it does not define).

A set whose files are all in a larger set of the same base (and the same role) is
left out: the larger one judges the same services. Each variant has a role: the
first non-production role among its files (``role_of``, the scope model), so a test
project or the default project with a development override is not judged as
production. Pure, apart from the :data:`~.project.Reader` it is given.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pytest_readiness.plumbing.references import DEPLOY_WORDS, words

DEFAULT_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
COMMAND = re.compile(r"\b(?:docker|podman)[ -]compose\b(?P<args>[^\n]*)")
MAKE_ASSIGN = re.compile(r"^\s*(?:export\s+|override\s+)?(?P<name>[A-Za-z_][\w.-]*)\s*"
                         r"(?P<op>[?:+!]?:?=)\s*(?P<value>.*)$")
MAKE_REF = re.compile(r"\$[({](?P<name>[A-Za-z_][\w.-]*)[)}]")
SHELL_REF = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_]\w*)\}|(?P<bare>[A-Za-z_]\w*))")
SHELL_ASSIGN = re.compile(r"^\s*(?:export\s+|local\s+|readonly\s+)?(?P<name>[A-Za-z_]\w*)="
                          r"(?P<value>\"[^\"]*\"|'[^']*'|\S*)\s*$")
COMMAND_END = frozenset({";", "&&", "||", "|", ")", "`", "&"})
RoleOf = Callable[[str], "str | None"]  # rel -> None (production) or "role: why"


@dataclass(frozen=True)
class Variant:
    """One way the tree runs Compose: its files in ``-f`` order."""

    files: tuple[str, ...]
    env_files: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # where it was found: "Makefile:144", "default files"
    role: str | None = None  # None: production; else "test: why"
    also: tuple[str, ...] = ()  # smaller sets it stands for
    # Files an add-on brings: those the largest smaller production set the tree also runs
    # (``make start`` beside ``make start-agentic``) leaves out.
    addons: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return "+".join(self.files)


@dataclass(frozen=True)
class Command:
    """A ``docker compose`` invocation found in a text."""

    files: tuple[str, ...]
    env_files: tuple[str, ...]
    profiles: tuple[str, ...]
    line: int


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) with backslash continuations joined."""
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, line in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        out.append((start, pending + line))
        pending = ""
    if pending:
        out.append((start, pending))
    return out


def make_variables(text: str) -> dict[str, str]:
    variables: dict[str, str] = {}
    for _, line in logical_lines(text):
        match = MAKE_ASSIGN.match(line)
        if match is None or line.startswith("\t"):
            continue
        name, op, value = match["name"], match["op"], match["value"].split("#")[0].strip()
        if op == "+=":
            variables[name] = f"{variables.get(name, '')} {value}".strip()
        elif op == "?=":
            variables.setdefault(name, value)
        else:
            variables[name] = value
    return variables


def shell_variables(text: str) -> dict[str, str]:
    variables = {}
    for _, line in logical_lines(text):
        match = SHELL_ASSIGN.match(line)
        if match:
            variables[match["name"]] = match["value"].strip("\"'")
    return variables


def expand(text: str, variables: Mapping[str, str], pattern: re.Pattern[str],
           depth: int = 10) -> str:
    for _ in range(depth):
        def one(match: re.Match[str]) -> str:
            name = next(g for g in match.groups() if g)
            return variables.get(name, match.group(0))
        expanded = pattern.sub(one, text)
        if expanded == text:
            break
        text = expanded
    return text


def parse_args(args: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(files, env files, profiles) from the words after ``docker compose``."""
    try:
        words = shlex.split(args, comments=True)
    except ValueError:
        words = args.split()
    files: list[str] = []
    env_files: list[str] = []
    profiles: list[str] = []
    wanted = {"-f": files, "--file": files, "--env-file": env_files, "--profile": profiles}
    index = 0
    while index < len(words):
        word = words[index]
        if word in COMMAND_END:
            break
        flag, equals, value = word.partition("=")
        if flag in wanted and equals:
            wanted[flag].append(value)
        elif word in wanted and index + 1 < len(words):
            wanted[word].append(words[index + 1])
            index += 1
        elif word.startswith("-f") and len(word) > 2 and not word.startswith("--"):
            files.append(word[2:])
        index += 1
    return tuple(files), tuple(env_files), tuple(profiles)


def commands(text: str, rel: str) -> list[Command]:
    """Every ``docker compose`` / ``docker-compose`` run in ``text`` that names files."""
    if "compose" not in text:
        return []
    name = rel.rsplit("/", 1)[-1]
    if name in ("Makefile", "GNUmakefile", "makefile") or name.endswith(".mk"):
        variables, pattern = make_variables(text), MAKE_REF
    else:
        variables, pattern = shell_variables(text), SHELL_REF
    out = []
    for number, line in logical_lines(text):
        if "compose" not in line and "$" not in line:
            continue
        for match in COMMAND.finditer(expand(line, variables, pattern)):
            files, env_files, profiles = parse_args(match["args"])
            if files:
                out.append(Command(files, env_files, profiles, number))
    return out


def default_file(directory: str, compose_files: Iterable[str]) -> str | None:
    present = set(compose_files)
    for name in DEFAULT_NAMES:
        rel = posixpath.join(directory, name) if directory else name
        if rel in present:
            return rel
    return None


def override_of(base: str, compose_files: Iterable[str]) -> str | None:
    """The ``X.override.EXT`` Compose loads with a default file ``X.EXT``."""
    folder, name = posixpath.split(base)
    stem = name.rsplit(".", 1)[0]
    present = set(compose_files)
    for ext in ("yaml", "yml"):
        candidate = posixpath.join(folder, f"{stem}.override.{ext}")
        if candidate in present:
            return candidate
    return None


def _resolve(command: Command, rel: str, compose_files: set[str]) -> tuple[str, ...] | None:
    """The command's files as tree paths: from the directory of the file that runs it,
    else from the root; None when they are not all compose files of the tree."""
    for base in dict.fromkeys((posixpath.dirname(rel), "")):
        joined = tuple(posixpath.normpath(posixpath.join(base, f)) for f in command.files)
        if all(f in compose_files for f in joined):
            return joined
    return None


def standalone(data: Any) -> bool:
    """Every service of a parsed compose file can run from this file alone."""
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict) or not services:
        return False
    for spec in services.values():
        if not isinstance(spec, dict) or not ({"image", "build", "extends"} & set(spec)):
            return False
        deps = spec.get("depends_on") or []
        if any(str(dep) not in services for dep in deps):
            return False
    return True


def infer(compose_files: Sequence[str], texts: Mapping[str, str], role_of: RoleOf,
          parsed: Callable[[str], Any]) -> list[Variant]:
    """The projects of a tree: default projects, ``-f`` sets its texts run (``texts``:
    path -> text of workflows, Makefiles, scripts, docs, compose files), and files no
    set uses (``parsed``: a compose file's data, to tell overlays from projects)."""
    present = set(compose_files)
    found: dict[tuple[str, ...], Variant] = {}

    def add(files: tuple[str, ...], source: str, env_files: tuple[str, ...] = (),
            profiles: tuple[str, ...] = ()) -> None:
        # One variant per file list: the env files of its fullest run, every profile.
        known = found.get(files)
        if known is None:
            found[files] = Variant(files, env_files, profiles, (source,))
            return
        found[files] = replace(
            known, sources=tuple(dict.fromkeys((*known.sources, source))),
            env_files=env_files if len(env_files) > len(known.env_files) else known.env_files,
            profiles=tuple(dict.fromkeys((*known.profiles, *profiles))))

    for directory in sorted({posixpath.dirname(f) for f in compose_files}):
        base = default_file(directory, compose_files)
        if base is not None:
            override = override_of(base, compose_files)
            add((base, override) if override else (base,), "default files (docker compose up)")
    for rel in sorted(texts):
        for command in commands(texts[rel], rel):
            files = _resolve(command, rel, present)
            if files:
                env_files = tuple(posixpath.normpath(posixpath.join(posixpath.dirname(rel), e))
                                  for e in command.env_files)
                add(files, f"{rel}:{command.line}", env_files, command.profiles)
    used = {f for v in found.values() for f in v.files}
    for rel in sorted(present - used):
        base = default_file(posixpath.dirname(rel), compose_files)
        if base is not None and base != rel and not standalone(parsed(rel)):
            add((base, rel), f"{rel} overlays {base} (it cannot run alone)")
        else:
            add((rel,), "a compose file no command names")
    judged = [replace(v, role=_role(v.files, role_of)) for v in found.values()]
    return _maximal(judged + _bases_alone(judged, compose_files, role_of))


def _bases_alone(variants: list[Variant], compose_files: Sequence[str],
                 role_of: RoleOf) -> list[Variant]:
    """A default project whose override is not production (a development overlay) is
    deployed from its base file alone (``docker compose -f compose.yml up``), unless a
    production ``-f`` set of that base is known: that base alone, as a variant."""
    out = []
    for directory in sorted({posixpath.dirname(f) for f in compose_files}):
        base = default_file(directory, compose_files)
        override = override_of(base, compose_files) if base else None
        if base is None or override is None:
            continue
        default = next((v for v in variants if v.files == (base, override)), None)
        if default is None or default.role is None or role_of(base) or any(
                v.files[0] == base and v.role is None for v in variants):
            continue
        out.append(Variant((base,), sources=(f"{base} without {override} ({default.role})",)))
    return out


def configured(entries: Sequence[str | Sequence[str]], role_of: RoleOf) -> list[Variant]:
    """The projects readiness.yaml names: each entry one file or a list of files."""
    out = []
    for entry in entries:
        files = (entry,) if isinstance(entry, str) else tuple(entry)
        if files:
            out.append(Variant(files, sources=("readiness.yaml compose:",),
                               role=_role(files, role_of)))
    return out


def _role(files: Sequence[str], role_of: RoleOf) -> str | None:
    for rel in files:
        role = role_of(rel)
        if role:
            return f"{role} ({rel})"
    return None


def _maximal(variants: list[Variant]) -> list[Variant]:
    """Leave out a set contained in a larger set of the same base and role class."""
    out = []
    for variant in variants:
        bigger = [v for v in variants if v is not variant and v.files[0] == variant.files[0]
                  and (v.role is None) == (variant.role is None)
                  and set(variant.files) <= set(v.files)
                  and (len(v.files) > len(variant.files) or v.name < variant.name)
                  and set(variant.profiles) <= set(v.profiles)
                  and set(variant.env_files) <= set(v.env_files)]
        if not bigger:
            out.append(variant)
    for index, variant in enumerate(out):
        smaller = [v for v in variants if v not in out and v.files[0] == variant.files[0]
                   and set(v.files) <= set(variant.files)]
        also = tuple(sorted({v.name for v in smaller}))
        out[index] = replace(variant, also=also, addons=_addons(variant, smaller))
    return sorted(out, key=lambda v: v.name)


def _addons(variant: Variant, smaller: list[Variant]) -> tuple[str, ...]:
    """The files of a production set that the largest smaller production set of the tree
    leaves out: what a user opts into (``-f compose.agent.yaml``) on top of a set the tree
    also runs alone. A service only those files define starts only when asked, like one
    behind a profile."""
    # A strict subset (the same files in another order add nothing) that a command of the
    # tree runs, or readiness.yaml names: the default files alone are not evidence that a
    # larger set is optional (a base of databases and an -f file of the application).
    runs_alone = [v for v in smaller if v.role is None and variant.role is None
                  and set(v.files) < set(variant.files) and any(map(_named, v.sources))]
    if not runs_alone:
        return ()
    base = max(runs_alone, key=lambda v: (len(v.files), v.name))
    return tuple(f for f in variant.files if f not in base.files and not _deploys(f))


def _named(source: str) -> bool:
    """A source that runs the set (``Makefile:12``, readiness.yaml), not one inferred."""
    return source == "readiness.yaml compose:" or bool(re.fullmatch(r".+:\d+", source))


def _deploys(rel: str) -> bool:
    """A file named for the deployment (compose.prod.yml, docker-compose.deploy.yml) is what
    production runs, never an add-on, even where the tree also runs its base alone."""
    return bool(words(posixpath.basename(rel)) & DEPLOY_WORDS)


def is_command_source(rel: str) -> bool:
    """Files whose text may run ``docker compose -f ...``: CI workflows, Makefiles,
    justfiles, shell scripts, docs, compose files (their comments)."""
    name = rel.rsplit("/", 1)[-1]
    lowered = name.lower()
    return (rel.startswith(".github/workflows/") or lowered == ".gitlab-ci.yml"
            or name in ("Makefile", "GNUmakefile", "makefile", "justfile", "Justfile")
            or lowered.endswith((".mk", ".sh", ".bash", ".md", ".rst", ".adoc"))
            or (lowered.endswith((".yml", ".yaml")) and "compose" in lowered))


def of_tree(compose_files: Sequence[str], sources: Sequence[str], read: Callable[[str], Any],
            role_of: Callable[[str, Any], str | None],
            entries: Sequence[str | Sequence[str]] = ()) -> list[Variant]:
    """The variants of one audited tree: ``entries`` from readiness.yaml when given, else
    inferred from the compose files and the texts of ``sources`` (see :func:`infer`).
    ``role_of(rel, data)`` is the scope model's role of a compose file (None: production)."""
    from pytest_readiness.plumbing.yamlpos import ParseError, load
    from pytest_readiness.probes.deployment.compose_spec.merge import plain

    cache: dict[str, Any] = {}

    def parsed(rel: str) -> Any:
        if rel not in cache:
            try:
                cache[rel] = plain(load(read(rel) or "", rel))
            except ParseError:
                cache[rel] = None
        return cache[rel]

    def role(rel: str) -> str | None:
        return role_of(rel, parsed(rel))

    if entries:
        return configured(entries, role)
    texts = {rel: text for rel in sources if (text := read(rel))}
    return infer(compose_files, texts, role, parsed)
