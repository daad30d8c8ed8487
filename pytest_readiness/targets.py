"""What checks are aimed at: the target types fixtures hand to checks, and the audit's
:class:`Context` (the validated readiness.yaml, where relative paths start, caches).

Every target has a ``target_name``: its id in reports and in ``--readiness-check
'ID[TARGET]'``. Exported from ``pytest_readiness`` for type annotations in checks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pytest_readiness.config import (
    Codebase,
    FileSpec,
    Host,
    MountSpec,
    ReadinessConfig,
    ServiceSpec,
)
from pytest_readiness.plumbing import tree
from pytest_readiness.plumbing.reader import Reader
from pytest_readiness.plumbing.scope import Scope
from pytest_readiness.profiles import Profile, resolve
from pytest_readiness.results import FileRole, ScopeSummary, display_path

LOCAL_HOST = Host(name="local", connection="local://")
# Why host checks are skipped when no host is named (docs/hosts.md).
NO_HOSTS = ("not applicable: no hosts configured; the machine running the audit is audited "
            "only when named: add `hosts: [{name: local, connection: \"local://\"}]` to "
            "readiness.yaml or run with --readiness-local-host")


def is_local(host: Host) -> bool:
    return host.connection.split("://", 1)[0] == "local"


@dataclass(frozen=True)
class HostFile:
    host: Host
    spec: FileSpec

    @property
    def target_name(self) -> str:
        return f"{self.host.name}:{self.spec.path}"


@dataclass(frozen=True)
class HostService:
    host: Host
    spec: ServiceSpec

    @property
    def target_name(self) -> str:
        return f"{self.host.name}:{self.spec.unit}"


@dataclass(frozen=True)
class HostMount:
    host: Host
    spec: MountSpec

    @property
    def target_name(self) -> str:
        return f"{self.host.name}:{self.spec.path}"


@dataclass(frozen=True)
class CodebaseTarget:
    root: Path
    spec: Codebase

    @property
    def target_name(self) -> str:
        return self.spec.target_name


@dataclass(frozen=True)
class Artefact:
    """A deployment file found in (or named for) a codebase."""

    path: Path
    rel: str
    codebase: CodebaseTarget

    @property
    def target_name(self) -> str:
        return self.rel


@dataclass(frozen=True)
class ProtoGroup:
    paths: tuple[Path, ...]
    rels: tuple[str, ...]
    root: Path

    @property
    def target_name(self) -> str:
        return self.rels[0]


@dataclass
class Context:
    """What every check can read: the model, where relative paths start, caches."""

    config: ReadinessConfig
    base_dir: Path
    config_path: Path | None = None
    local_host: bool = False  # --readiness-local-host: audit this machine as host "local"
    profile_name: str | None = None  # --readiness-profile (wins over readiness.yaml profile:)
    _inventories: dict[Path, tree.Inventory] = field(default_factory=dict)
    _readers: dict[Path, Reader] = field(default_factory=dict)
    _scopes: dict[Path, Scope] = field(default_factory=dict)
    _profile: Profile | None = None

    @property
    def profile(self) -> Profile:
        """The policy profile of this audit, with readiness.yaml's ``levels:`` and the
        checks the system's kind rules out (profiles.py)."""
        if self._profile is None:
            self._profile = resolve(self.profile_name or self.config.profile,
                                    self.config.levels, self.config.system.kind)
        return self._profile

    def resolve(self, path: str) -> Path:
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else (self.base_dir / candidate).resolve()

    def display(self, path: str | Path) -> str:
        """A local path as reports show it: relative to the audited root (results.py)."""
        return display_path(path, self.base_dir)

    @property
    def hosts(self) -> list[Host]:
        """The hosts named in readiness.yaml, and this machine when asked for.

        The machine running the audit is never a target by default: in CI it is a
        runner, and its clock or files say nothing about the system.
        """
        named = list(self.config.hosts)
        if self.local_host and not any(is_local(h) for h in named):
            named.append(LOCAL_HOST)
        return named

    def hosts_named(self, names: list[str]) -> list[Host]:
        return [h for h in self.hosts if not names or h.name in names]

    @property
    def codebases(self) -> list[CodebaseTarget]:
        specs = list(self.config.codebases) or [Codebase(path=".")]
        return [CodebaseTarget(self.resolve(s.path), s) for s in specs]

    def inventory(self, target: CodebaseTarget) -> tree.Inventory:
        """The codebase's index: walked once, each file read once (plumbing/tree.py)."""
        if target.root not in self._inventories:
            limits = self.config.tree
            found = tree.inventory(target.root, target.spec.exclude,
                                   max_bytes=limits.max_file_bytes, max_depth=limits.max_depth)
            self._inventories[target.root] = found
            assert found.reader is not None
            self._readers[found.root] = found.reader
        return self._inventories[target.root]

    def scope(self, target: CodebaseTarget) -> Scope:
        """The roles of the codebase's files (plumbing/scope.py), with readiness.yaml's
        ``scope:``."""
        if target.root not in self._scopes:
            inventory = self.inventory(target)
            self._scopes[target.root] = Scope(target.root, inventory.files, self.config.scope,
                                              inventory.text)
        return self._scopes[target.root]

    def scope_summary(self, files: Iterable[str]) -> ScopeSummary:
        """The record's scope section: files by role over every codebase, and the role and
        reason of each of ``files`` (those with findings), judged by the codebase that
        holds it (else the first)."""
        codebases = [cb for cb in self.codebases if cb.root.is_dir()]
        counts: Counter[str] = Counter()
        for cb in codebases:
            counts.update(self.scope(cb).counts())
        roles = []
        for rel in sorted(set(files)):
            scope = next((self.scope(cb) for cb in codebases if self.scope(cb).holds(rel)),
                         self.scope(codebases[0]) if codebases else None)
            if scope is not None:
                judged = scope.judge(rel)
                roles.append(FileRole(rel, str(judged.role), judged.reason))
        return ScopeSummary(dict(counts), roles)

    def reader_for(self, path: Path) -> Reader:
        """The reader for a file: its codebase's (the index's own, so a file is read once),
        else one rooted at the audit's directory, else at the file's own directory (a file
        readiness.yaml names outside the tree). Nothing outside that root is read."""
        for cb in sorted(self.codebases, key=lambda c: len(c.root.parts), reverse=True):
            if _inside(Path(path), cb.root):
                if cb.root.is_dir():
                    self.inventory(cb)
                    return self._readers[cb.root.resolve()]
        root = self.base_dir if _inside(Path(path), self.base_dir) else Path(path).parent
        root = root.resolve()
        if root not in self._readers:
            self._readers[root] = Reader(root, self.config.tree.max_file_bytes)
        return self._readers[root]

    def empty(self, target: CodebaseTarget) -> bool:
        """A codebase directory with no file at all: nothing to assess, not a clean bill."""
        return target.root.is_dir() and not self.inventory(target).files

    def artefacts(self, kind: str) -> list[Artefact]:
        """Files of one kind: those named in config, else those discovered (minus those
        readiness.yaml's ``scope:`` leaves out)."""
        named: list[str] = getattr(self.config, kind)
        found: list[Artefact] = []
        for cb in self.codebases:
            if named:
                for rel in named:
                    path = self.resolve(rel)
                    if _inside(path, cb.root):
                        found.append(Artefact(path, path.relative_to(cb.root).as_posix(), cb))
                continue
            scope = self.scope(cb)
            found += [Artefact(f.path, f.rel, cb) for f in getattr(self.inventory(cb), kind)
                      if not scope.out_of_scope(f.rel)]
        if named and not found:
            # Named files outside every codebase still get audited.
            root = self.codebases[0]
            found = [Artefact(self.resolve(r), r, root) for r in named]
        return found

    def proto_groups(self) -> list[ProtoGroup]:
        groups = []
        for group in self.config.protos:
            paths = tuple(self.resolve(p) for p in group)
            groups.append(ProtoGroup(paths, tuple(group), self.base_dir))
        return groups


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False
