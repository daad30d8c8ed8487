"""Dependency locks: every manifest that declares dependencies is locked, and requirement
files pin with ``==``.

A manifest is locked by a lock file of its ecosystem beside it, or by the nearest
ancestor's lock whose workspace declares it a member: ``package.json`` ``workspaces`` or
``pnpm-workspace.yaml`` (npm, yarn, pnpm, bun), ``[tool.uv.workspace] members`` and path
dependencies (uv, poetry, pdm), a Cargo ``[workspace]`` or path dependencies, ``go.work``.
A manifest with nothing to install (a pyproject.toml of tool settings only) needs no
lock. No pytest here.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from pytest_readiness.plumbing.findings import Finding
from pytest_readiness.plumbing.tree import Inventory
from pytest_readiness.plumbing.yamlpos import document
from pytest_readiness.vocabulary import Level

from .entries import toml

# manifest -> (ecosystem, the lock files that lock it, in the order messages name them)
MANIFESTS = {
    "pyproject.toml": ("python", ("poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock",
                                  "pylock.toml", "requirements.lock")),
    "Pipfile": ("python", ("Pipfile.lock",)),
    "setup.py": ("python", ("poetry.lock", "uv.lock", "requirements.lock", "pylock.toml")),
    "package.json": ("node", ("package-lock.json", "yarn.lock", "pnpm-lock.yaml",
                              "npm-shrinkwrap.json", "bun.lock", "bun.lockb")),
    "go.mod": ("go", ("go.sum",)),
    "Cargo.toml": ("rust", ("Cargo.lock",)),
    "Gemfile": ("ruby", ("Gemfile.lock",)),
    "gems.rb": ("ruby", ("gems.locked",)),
    "composer.json": ("php", ("composer.lock",)),
}
# Locks a workspace root holds for its members.
WORKSPACE_LOCKS = {
    "python": ("uv.lock", "poetry.lock", "pdm.lock", "pylock.toml"),
    "node": ("package-lock.json", "yarn.lock", "pnpm-lock.yaml", "npm-shrinkwrap.json",
             "bun.lock", "bun.lockb"),
    "rust": ("Cargo.lock",),
    "go": ("go.work.sum",),
}
# An exact version in package.json / composer.json, or a local package (workspace, path).
EXACT_VERSION = re.compile(r"^(v?\d+\.\d+\.\d+([-+][\w.]+)?|workspace:.*|file:.*|link:.*|"
                           r"portal:.*)$")
REQUIREMENTS = re.compile(r"(^|/)(requirements|constraints)[\w.-]*\.(txt|in)$")
PINNED = re.compile(r"^[A-Za-z0-9_.\[\],-]+\s*===?\s*[\w.*+!-]+")
DEPENDENCY_RULES = ("no-lockfile", "unpinned", "action-pin")


def unpinned_requirements(text: str, rel: str) -> list[Finding]:
    """Requirement lines without an exact ``==`` pin (hash-locked files pass)."""
    if "--hash=" in text:
        return []
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", "git+", "http://", "https://", ".", "/")):
            continue
        if not PINNED.match(line):
            out.append(Finding("unpinned", f"{line} is not pinned with ==", rel,
                               number))
    return out


def declares_dependencies(rel: str) -> bool:
    """A manifest or requirements file: something whose pinning can be judged."""
    name = rel.rpartition("/")[2]
    return name in MANIFESTS or bool(REQUIREMENTS.search(rel) and rel.endswith(".txt"))


def exact_direct_dependencies(name: str, text: str) -> bool:
    """Every direct dependency of a package.json / composer.json is an exact version (the
    platform requirements ``php`` and ``ext-*`` of composer aside): like ``==``-pinned
    requirements, what is installed first-hand is fixed; what they pull in is not."""
    if name not in ("package.json", "composer.json"):
        return False
    try:
        data = json.loads(text)
    except ValueError:
        return False
    if not isinstance(data, dict):
        return False
    keys = ("dependencies", "devDependencies", "optionalDependencies") \
        if name == "package.json" else ("require", "require-dev")
    versions = [str(v).strip() for k in keys if isinstance(data.get(k), dict)
                for dep, v in data[k].items()
                if name == "package.json" or (dep != "php" and not dep.startswith(
                    ("ext-", "lib-")))]
    return bool(versions) and all(EXACT_VERSION.match(v) for v in versions)


def _nonempty(*values: object) -> bool:
    return any(bool(v) for v in values)


def has_dependencies(name: str, text: str) -> bool:
    """Whether a manifest declares anything to install (True when it cannot be read:
    the lock rule then judges it as before)."""
    if name == "go.mod":
        return "require" in text
    if name == "package.json":
        try:
            parsed = json.loads(text)
        except ValueError:
            return True
        return not isinstance(parsed, dict) or _nonempty(*(parsed.get(k) for k in (
            "dependencies", "devDependencies", "optionalDependencies", "peerDependencies")))
    if name in ("pyproject.toml", "Cargo.toml"):
        data = toml(text)
        if data is None:
            return True
        if name == "Cargo.toml":
            targets = data.get("target")
            per_target = [t.get("dependencies") for t in targets.values()
                          if isinstance(t, dict)] if isinstance(targets, dict) else []
            return _nonempty(data.get("dependencies"), data.get("dev-dependencies"),
                             data.get("build-dependencies"), *per_target)
        project = data.get("project", {}) if isinstance(data.get("project"), dict) else {}
        tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
        poetry = tool.get("poetry", {}) if isinstance(tool.get("poetry"), dict) else {}
        poetry_deps = {k: v for k, v in (poetry.get("dependencies") or {}).items()
                       if k != "python"} if isinstance(poetry.get("dependencies"), dict) else {}
        groups = poetry.get("group", {}) if isinstance(poetry.get("group"), dict) else {}
        return _nonempty(project.get("dependencies"), project.get("optional-dependencies"),
                         "dependencies" in (project.get("dynamic") or []),
                         data.get("dependency-groups"), poetry_deps,
                         poetry.get("dev-dependencies"),
                         *(g.get("dependencies") for g in groups.values() if isinstance(g, dict)),
                         (tool.get("pdm") or {}).get("dev-dependencies")
                         if isinstance(tool.get("pdm"), dict) else None)
    return True


# --- workspace membership --------------------------------------------------------------


def glob_match(path: str, pattern: str) -> bool:
    """A workspace glob: ``*`` within one directory, ``**`` across directories."""
    pattern = pattern.strip().removeprefix("./").rstrip("/")
    regex = ""
    for part in re.split(r"(\*\*/?|\*|\?)", pattern):
        regex += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(
            part, re.escape(part))
    return re.fullmatch(regex, path) is not None


def _member(sub: str, patterns: list[str]) -> bool:
    """``sub`` (a directory relative to the workspace root) matches a pattern and no
    ``!pattern``."""
    def clean(pattern: str) -> str:
        return pattern.removeprefix("./").rstrip("/")
    include = [clean(p) for p in patterns if not p.startswith("!")]
    exclude = [clean(p[1:]) for p in patterns if p.startswith("!")]
    return any(glob_match(sub, p) for p in include) and not any(
        glob_match(sub, p) for p in exclude)


def _table(data: object, key: str) -> dict[str, Any]:
    """``data[key]`` when it is a table, else an empty one."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _strs(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _path_dependencies(tables: list[object]) -> list[str]:
    """``path = "..."`` of dependency tables (poetry, uv sources, Cargo)."""
    out = []
    for table in tables:
        if isinstance(table, dict):
            out += [str(spec["path"]) for spec in table.values()
                    if isinstance(spec, dict) and isinstance(spec.get("path"), str)]
    return out


# The files that can declare a workspace, per ecosystem (beside the root lock).
WORKSPACE_FILES = {"node": ("package.json", "pnpm-workspace.yaml"),
                   "python": ("pyproject.toml",), "rust": ("Cargo.toml",), "go": ("go.work",)}


def _pyproject_members(data: dict[str, Any]) -> list[str]:
    tool = _table(data, "tool")
    uv, poetry = _table(tool, "uv"), _table(tool, "poetry")
    space = _table(uv, "workspace")
    groups = [_table(g, "dependencies") for g in _table(poetry, "group").values()]
    strings = _strs(_table(data, "project").get("dependencies")) + [
        s for values in _table(_table(tool, "pdm"), "dev-dependencies").values()
        for s in _strs(values)]
    pdm_paths = [m.group(1) for s in strings
                 if (m := re.search(r"@\s*file:///\$\{PROJECT_ROOT\}/([^\s;]+)", s))]
    return (_strs(space.get("members")) + [f"!{p}" for p in _strs(space.get("exclude"))]
            + _path_dependencies([uv.get("sources"), poetry.get("dependencies"),
                                  poetry.get("dev-dependencies"), *groups]) + pdm_paths)


def workspace_members(name: str, text: str) -> list[str] | None:
    """Member patterns (``!`` excludes) a workspace file declares, relative to its
    directory: workspaces, members and path dependencies. None: it does not parse."""
    if name == "package.json":
        try:
            data = json.loads(text)
        except ValueError:
            return None
        spaces = data.get("workspaces") if isinstance(data, dict) else None
        return _strs(spaces.get("packages") if isinstance(spaces, dict) else spaces)
    if name == "pnpm-workspace.yaml":
        try:
            loaded = document(text)
        except yaml.YAMLError:
            return None
        return _strs(loaded.get("packages")) if isinstance(loaded, dict) else []
    if name == "go.work":
        uses = re.findall(r"^\s*use\s+([^\s(]+)", text, re.MULTILINE)
        for block in re.findall(r"^\s*use\s*\((.*?)\)", text, re.MULTILINE | re.DOTALL):
            uses += [w for w in block.split() if not w.startswith("//")]
        return uses
    data = toml(text)
    if data is None:
        return None
    if name == "Cargo.toml":
        space = _table(data, "workspace")
        return (_strs(space.get("members")) + [f"!{p}" for p in _strs(space.get("exclude"))]
                + _path_dependencies([data.get("dependencies"), data.get("dev-dependencies")]))
    return _pyproject_members(data)


@dataclass(frozen=True)
class Locked:
    """A manifest with dependencies and what locks it (``lock`` None: nothing does)."""

    manifest: str
    ecosystem: str
    lock: str | None
    member_of: str = ""  # the workspace root manifest, when the lock is an ancestor's
    unreadable: str = ""  # an ancestor manifest beside a lock that could not be read


def manifest_locks(inventory: Inventory) -> list[Locked]:
    """Every manifest that declares dependencies, with the lock that covers it."""
    files = {f.rel: f for f in inventory.files}
    cache: dict[str, str | None] = {}

    def text_of(rel: str) -> str | None:
        if rel not in cache:
            cache[rel] = inventory.text(files[rel]) if rel in files else None
        return cache[rel]
    out = []
    for file in inventory.files:
        if file.name not in MANIFESTS or not has_dependencies(file.name,
                                                               text_of(file.rel) or ""):
            continue
        ecosystem, own_locks = MANIFESTS[file.name]
        directory = file.rel.rpartition("/")[0]
        beside = next((posixpath.join(directory, lock) if directory else lock
                       for lock in own_locks
                       if (posixpath.join(directory, lock) if directory else lock) in files),
                      None)
        if beside is not None:
            out.append(Locked(file.rel, ecosystem, beside))
            continue
        out.append(_ancestor_lock(file.rel, ecosystem, files, text_of))
    return out


def _ancestor_lock(rel: str, ecosystem: str, files: dict[str, Any],
                   text_of: Callable[[str], str | None]) -> Locked:
    """The nearest ancestor lock whose workspace declares ``rel``'s directory a member."""
    parts = rel.rpartition("/")[0].split("/")
    unreadable = ""
    for depth in range(len(parts) - 1, -1, -1):
        root = "/".join(parts[:depth])
        prefix = f"{root}/" if root else ""
        present = [prefix + lock for lock in WORKSPACE_LOCKS.get(ecosystem, ())
                   if prefix + lock in files]
        if not present:
            continue
        sub = "/".join(parts[depth:])
        for name in WORKSPACE_FILES.get(ecosystem, ()):
            text = text_of(prefix + name)
            if text is None:
                continue
            members = workspace_members(name, text)
            if members is None:
                unreadable = unreadable or present[0]
            elif _member(sub, members):
                return Locked(rel, ecosystem, present[0], member_of=prefix + name)
    return Locked(rel, ecosystem, None, unreadable=unreadable)


def dependency_findings(inventory: Inventory, locked: list[Locked] | None = None
                        ) -> tuple[list[Finding], list[str]]:
    """Unpinned requirement lines and manifests that no lock covers; plus the locks found."""
    locked = manifest_locks(inventory) if locked is None else locked
    out: list[Finding] = []
    requirement_dirs: set[str] = set()
    for file in inventory.files:
        if REQUIREMENTS.search(file.rel) and file.rel.endswith(".txt"):
            requirement_dirs.add(file.rel.rpartition("/")[0])
            out += unpinned_requirements(inventory.text(file) or "", file.rel)
    files = {f.rel: f for f in inventory.files}

    def text_of(rel: str) -> str:
        return inventory.text(files[rel]) or "" if rel in files else ""
    locks: list[str] = []
    for entry in locked:
        directory = entry.manifest.rpartition("/")[0]
        if entry.lock is not None:
            locks.append(entry.lock)
            continue
        if entry.ecosystem == "python" and directory in requirement_dirs:
            continue  # pinned requirements files are the lock (checked line by line above)
        name = entry.manifest.rpartition("/")[2]
        names = MANIFESTS[name][1]
        if exact_direct_dependencies(name, text_of(entry.manifest)):
            out.append(Finding("no-lockfile", f"{entry.ecosystem} dependencies in "
                               f"{entry.manifest} are pinned to exact versions, but with no "
                               f"lock file ({' / '.join(names[:3])}) what they pull in is "
                               "not", entry.manifest, None, level=Level.NOTE))
            continue
        if entry.unreadable:
            out.append(Finding("no-lockfile", f"{entry.ecosystem} dependencies in "
                               f"{entry.manifest}: no lock file beside it, and whether "
                               f"{entry.unreadable} covers it cannot be told (its workspace "
                               "manifest does not parse)", entry.manifest, None,
                               level=Level.WARNING))
            continue
        out.append(Finding("no-lockfile", f"{entry.ecosystem} dependencies in {entry.manifest} "
                           f"have no lock file ({' / '.join(names[:3])})", entry.manifest,
                           None))
    return out, list(dict.fromkeys(locks))
