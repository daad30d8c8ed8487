"""A Compose project built the way Compose builds it, from a list of files.

The first file's directory is the project directory. Its ``.env`` (or the
``--env-file``s given) is parsed with python-dotenv and interpolates every file
(:mod:`.interpolation`); each file is checked against the official schema
(:mod:`.schema`), its ``include:`` projects are added, the files are merged in order
(:mod:`.merge`), then ``extends:`` is resolved and profiles are read
(``COMPOSE_PROFILES`` and the profiles asked for). An empty or comments-only file is
valid and adds nothing.

Files are read through a :data:`Reader` (a path relative to the audited root -> text
or None), so the bounded tree reader applies and nothing outside the root is read.
What cannot be judged is said: a file Compose would refuse makes the project
``invalid`` (with file, line and why); an unresolved ``${X:?}`` is a note.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_readiness.plumbing.reader import Reader as FileReader
from pytest_readiness.plumbing.yamlpos import LineDict, ParseError, load
from pytest_readiness.probes.deployment.compose_spec import schema
from pytest_readiness.probes.deployment.compose_spec.interpolation import (
    interpolate,
    parse_env,
)
from pytest_readiness.probes.deployment.compose_spec.merge import (
    SourcedDict,
    SourcedList,
    merge,
    merge_mappings,
    new_dict,
    plain,
    put,
    sourced,
    untagged,
)

Reader = Callable[[str], "str | None"]  # a path relative to the audited root -> its text
RESOURCES = ("services", "networks", "volumes", "secrets", "configs")


@dataclass(frozen=True)
class Problem:
    """Something about the project itself: ``kind`` is ``invalid`` (Compose refuses
    it), ``unreadable``, ``required`` (``${X:?}`` not set) or ``unresolved``."""

    kind: str
    message: str
    file: str
    line: int | None = None


@dataclass
class Project:
    """The effective model of a set of Compose files."""

    files: tuple[str, ...]
    directory: str  # the project directory, relative to the audited root ("" = the root)
    env: dict[str, str] = field(default_factory=dict)
    env_files: tuple[str, ...] = ()  # those read for interpolation
    data: SourcedDict = field(default_factory=lambda: new_dict("", 0))
    profiles: frozenset[str] = frozenset()  # active
    problems: list[Problem] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # every file read, by path
    service_dirs: dict[str, str] = field(default_factory=dict)  # included / extended services
    unresolved: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    written: dict[tuple[str, int], list[str]] = field(default_factory=dict)  # before ${}
    service_files: dict[str, tuple[str, ...]] = field(default_factory=dict)  # -f files
    addons: frozenset[str] = frozenset()  # add-on files of the set (variants.Variant.addons)

    def as_written(self, file: str, line: int, key: str) -> str | None:
        """The value of ``key`` (``KEY: v`` or ``- KEY=v``) on ``file:line`` as the file
        writes it, before interpolation; None when not found."""
        values = self.written.get((file, line), [])
        for value in values:
            name, sep, rest = value.partition("=")
            if sep and name.strip() == key:
                return rest
        return values[-1] if len(values) == 1 and "=" not in values[0] else None

    @property
    def invalid(self) -> list[Problem]:
        return [p for p in self.problems if p.kind in ("invalid", "unreadable")]

    @property
    def services(self) -> dict[str, SourcedDict]:
        services = self.data.get("services")
        if not isinstance(services, dict):
            return {}
        return {str(k): v for k, v in services.items() if isinstance(v, SourcedDict)}

    def directory_of(self, service: str) -> str:
        """Where a service's relative paths start (Compose: the project directory, or
        the included / extended file's own directory)."""
        return self.service_dirs.get(service, self.directory)

    def optional_profiles(self, spec: SourcedDict) -> list[str]:
        """The profiles a service waits for, when none is active (it does not start by
        default); [] for a service that starts."""
        profiles = [str(p) for p in spec.get("profiles") or []]
        return profiles if profiles and not set(profiles) & self.profiles else []

    def addon_only(self, service: str) -> list[str]:
        """The add-on files that alone define ``service`` (it starts only when a user opts
        into them); [] for a service of the set the tree also runs without them."""
        defined = self.service_files.get(service, ())
        return list(defined) if defined and set(defined) <= self.addons else []

    def lines(self, rel: str) -> list[str]:
        return self.texts.get(rel, "").splitlines()


def join(directory: str, path: str) -> str | None:
    """``path`` relative to ``directory`` as a path from the audited root; None when it
    is absolute, a URL, or leaves the root."""
    if not path or path.startswith(("/", "~")) or "://" in path:
        return None
    joined = posixpath.normpath(posixpath.join(directory, path))
    return None if joined == ".." or joined.startswith("../") else (
        "" if joined == "." else joined)


def read_in_tree(root: Path, reader: FileReader | None = None) -> Reader:
    """A :data:`Reader` for files under ``root``, through the audit's bounded reader
    (plumbing/reader.py: regular files inside the root, at most its cap, read once);
    a file it refuses gives None (the project reports it as not read)."""
    files = reader or FileReader(root)

    def read(rel: str) -> str | None:
        try:
            return files.text(root / rel)
        except OSError:  # Unread: a FIFO, a link out of the tree, too big, not UTF-8
            return None
    return read


# --- building ---------------------------------------------------------------------------

def load_project(files: Sequence[str], read: Reader, *, env_files: Sequence[str] = (),
                 profiles: Sequence[str] = (), addons: Sequence[str] = (),
                 _depth: int = 0) -> Project:
    """The project of ``files`` (paths from the audited root, in ``-f`` order);
    ``addons`` are the files of the set a user opts into (variants.Variant.addons)."""
    directory = posixpath.dirname(files[0]) if files else ""
    project = Project(tuple(files), directory, addons=frozenset(addons))
    _read_env(project, env_files, read)
    merged = new_dict(files[0] if files else "", 1)
    for rel in files:
        document = _document(project, rel, read, _depth)
        if document is None:
            continue
        services = document.get("services")
        for name in services if isinstance(services, dict) else ():
            project.service_files[str(name)] = (*project.service_files.get(str(name), ()), rel)
        merged = merge_mappings(merged, document)
    project.data = untagged(merged)
    _resolve_extends(project, read)
    active = {p.strip() for p in project.env.get("COMPOSE_PROFILES", "").split(",")}
    project.profiles = frozenset((active | set(profiles)) - {""})
    return project


def _read_env(project: Project, env_files: Sequence[str], read: Reader) -> None:
    wanted = [join(project.directory, f) for f in env_files] or [join(project.directory, ".env")]
    for rel in wanted:
        text = read(rel) if rel is not None else None
        if text is None:
            if env_files:
                project.problems.append(Problem("unreadable", "env file cannot be read",
                                                rel or "?"))
            continue
        project.env.update(parse_env(text, project.env))
        project.env_files += (rel,) if rel is not None else ()
        project.texts[rel or ""] = text


def _document(project: Project, rel: str, read: Reader, depth: int) -> SourcedDict | None:
    """One file: read, parsed, validated, interpolated, with its includes; None if invalid."""
    text = read(rel)
    if text is None:
        project.problems.append(Problem("unreadable", "cannot be read (missing, not a regular "
                                        "file, or too large)", rel))
        return None
    project.texts[rel] = text
    try:
        raw = load(text, rel)
    except ParseError as exc:
        project.problems.append(Problem("invalid", exc.problem, rel, exc.line))
        return None
    if raw is None:
        return new_dict(rel, 1)  # empty or comments only: valid, adds nothing
    found = schema.problems(plain(raw), raw)
    for message, line in found:
        project.problems.append(Problem("invalid", message, rel, line or None))
    if found or not isinstance(raw, LineDict):
        return None
    document: SourcedDict = sourced(raw, rel)
    _interpolate(project, document)
    _include(project, document, rel, read, depth)
    return document


def _interpolate(project: Project, node: Any) -> None:
    """Interpolate every string value of ``node`` in place (keys are not interpolated)."""
    for container, key, value in _strings(node):
        result = interpolate(value, project.env)
        container[key] = result.text
        file, line = (container.file_of(key), container.line_of(key))
        project.written.setdefault((file, line), []).append(value)
        for name in result.unresolved:
            project.unresolved.setdefault(name, []).append((file, line))
        for name, message in result.required:
            project.problems.append(Problem(
                "required", f"required variable {name} is not set here ({message}): "
                "the deployment must provide it", file, line))
        for expression in result.invalid:
            project.problems.append(Problem("invalid", "invalid interpolation format "
                                            f"({len(expression)} characters)", file, line))


def _strings(node: Any) -> Iterator[tuple[Any, Any, str]]:
    if isinstance(node, SourcedDict):
        for key, value in node.items():
            if isinstance(value, str):
                yield node, key, value
            else:
                yield from _strings(value)
    elif isinstance(node, SourcedList):
        for index, value in enumerate(node):
            if isinstance(value, str):
                yield node, index, value
            else:
                yield from _strings(value)
    elif hasattr(node, "tag") and hasattr(node, "value"):  # Tagged
        yield from _strings(node.value)


MAX_DEPTH = 8  # include / extends chains deeper than this are not followed


def _include(project: Project, document: SourcedDict, rel: str, read: Reader,
             depth: int) -> None:
    """Add the resources of ``include:``d projects that this file does not define."""
    entries = document.pop("include", None)
    if not isinstance(entries, list) or depth >= MAX_DEPTH:
        return
    base = posixpath.dirname(rel)
    for index, entry in enumerate(entries):
        line = entries.line_of(index) if isinstance(entries, SourcedList) else document.line
        spec = entry if isinstance(entry, dict) else {"path": entry}
        paths = spec.get("path")
        paths = [str(p) for p in paths] if isinstance(paths, list) else [str(paths or "")]
        targets = [join(base, p) for p in paths]
        if not all(targets):
            project.problems.append(Problem("unresolved", "include of a path outside the "
                                            "audited tree is not followed", rel, line))
            continue
        env_file = spec.get("env_file")
        env_files = [str(e) for e in env_file] if isinstance(env_file, list) else (
            [str(env_file)] if env_file else [])
        included = load_project([t for t in targets if t], read, env_files=env_files,
                                _depth=depth + 1)
        project.problems += [Problem(p.kind, f"(included) {p.message}", p.file, p.line)
                             for p in included.problems]
        project.texts.update(included.texts)
        for kind in RESOURCES:
            resources = included.data.get(kind)
            if not isinstance(resources, SourcedDict):
                continue
            mine = document.get(kind)
            if not isinstance(mine, SourcedDict):
                mine = new_dict(rel, line)
                put(document, kind, mine, rel, line)
            for name, value in resources.items():
                if name not in mine:
                    put(mine, name, value, resources.file_of(name), resources.line_of(name))
                    if kind == "services":
                        project.service_dirs[str(name)] = included.directory_of(str(name))


def _resolve_extends(project: Project, read: Reader) -> None:
    services = project.data.get("services")
    if not isinstance(services, SourcedDict):
        return
    for name in list(services):
        spec = services[name]
        if isinstance(spec, SourcedDict) and "extends" in spec:
            services[name] = _extended(project, str(name), spec, read, services, set(), 0)


def _extended(project: Project, name: str, spec: SourcedDict, read: Reader,
              services: SourcedDict, seen: set[tuple[str, str]], depth: int) -> SourcedDict:
    extends = spec.get("extends")
    file, line = spec.file_of("extends"), spec.line_of("extends")
    target = {"service": extends} if isinstance(extends, str) else (
        extends if isinstance(extends, dict) else {})
    base_name = str(target.get("service") or "")
    key = (str(target.get("file") or ""), base_name)
    if not base_name or key in seen or depth >= MAX_DEPTH:
        project.problems.append(Problem("invalid", f"service {name}: extends a service that "
                                        "cannot be resolved (missing, or a cycle)", file, line))
        return spec
    seen.add(key)
    pool: SourcedDict = services
    if target.get("file"):
        other = join(posixpath.dirname(file), str(target["file"]))
        document = _document(project, other, read, depth + 1) if other else None
        if document is None:
            project.problems.append(Problem("unresolved", f"service {name}: extends "
                                            f"{base_name} from a file that cannot be read",
                                            file, line))
            return spec
        found = document.get("services")
        pool = found if isinstance(found, SourcedDict) else new_dict(file, line)
        project.service_dirs[name] = posixpath.dirname(other or "")
    base = pool.get(base_name)
    if not isinstance(base, SourcedDict):
        project.problems.append(Problem("invalid", f"service {name}: extends {base_name}, "
                                        "which is not defined", file, line))
        return spec
    if "extends" in base:
        base = _extended(project, base_name, base, read, pool, seen, depth + 1)
    own = new_dict(spec.file, spec.line)
    for k, v in spec.items():
        if k != "extends":
            put(own, k, v, spec.file_of(k), spec.line_of(k))
    merged: SourcedDict = merge(base, own, ("services", name))
    merged.file, merged.line = spec.file, spec.line  # the service is declared here
    return merged
