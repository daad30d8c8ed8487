"""What checks are aimed at: the target types fixtures hand to checks, and the audit's
:class:`Context` (the validated readiness.yaml, where relative paths start, caches).

Every target has a ``target_name``: its id in reports and in ``--readiness-check
'ID[TARGET]'``. Exported from ``pytest_readiness`` for type annotations in checks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

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
from pytest_readiness.profiles import Profile, resolve
from pytest_readiness.results import FileRole, ScopeSummary, display_path

if TYPE_CHECKING:  # imported where used: an audit of hosts only never loads them
    from pytest_readiness.plumbing.scope import Scope
    from pytest_readiness.probes.deployment import compose
    from pytest_readiness.probes.deployment.compose_spec import variants

T = TypeVar("T")
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
class ComposeTarget:
    """A Compose project of a codebase: its files in ``-f`` order (a directory's default
    files, or a named variant), where it was found, and its role."""

    variant: variants.Variant
    codebase: CodebaseTarget

    @property
    def target_name(self) -> str:
        return self.variant.name

    @property
    def files(self) -> tuple[str, ...]:
        return self.variant.files

    @property
    def role(self) -> str | None:
        """None for production; else the role and why (``test: named for tests (x.yml)``)."""
        return self.variant.role


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
    _compose: dict[Path, list[ComposeTarget]] = field(default_factory=dict)
    _projects: dict[tuple[Path, str], compose.ComposeProject] = field(default_factory=dict)
    _readers: dict[Path, Reader] = field(default_factory=dict)
    _scopes: dict[Path, Scope] = field(default_factory=dict)
    _derived: dict[Any, Any] = field(default_factory=dict)
    _profile: Profile | None = None

    def derive(self, key: Any, make: Callable[[], T]) -> T:
        """``make()`` computed once per audit and key (an exception is not kept): what
        several checks read of one target (a name's answer on a host, plumbing/netpool.py
        being for probes that may run in threads)."""
        if key not in self._derived:
            self._derived[key] = make()
        return self._derived[key]  # type: ignore[no-any-return]

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
            from pytest_readiness.plumbing.scope import Scope

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

    def compose_targets(self, codebase: CodebaseTarget | None = None) -> list[ComposeTarget]:
        """The Compose projects of every codebase (or of one): those readiness.yaml names
        under ``compose:`` (each a file or a list of files), else those inferred."""
        out = []
        for cb in [codebase] if codebase else self.codebases:
            if cb.root not in self._compose:
                self._compose[cb.root] = self._find_compose(cb)
            out += self._compose[cb.root]
        return out

    def _find_compose(self, cb: CodebaseTarget) -> list[ComposeTarget]:
        entries = []
        for entry in self.config.compose:
            files = [entry] if isinstance(entry, str) else list(entry)
            paths = [self.resolve(f) for f in files]
            if all(_inside(p, cb.root) for p in paths):
                entries.append([p.relative_to(cb.root).as_posix() for p in paths])
        if self.config.compose and not entries:
            return []
        from pytest_readiness.probes.deployment.compose_spec import project as compose_project
        from pytest_readiness.probes.deployment.compose_spec import variants

        inventory = self.inventory(cb)
        found = variants.of_tree(
            [f.rel for f in inventory.compose],
            [f.rel for f in inventory.files if variants.is_command_source(f.rel)],
            compose_project.read_in_tree(cb.root, self.reader_for(cb.root)),
            self._compose_role(cb), entries)
        return [ComposeTarget(v, cb) for v in found]

    def _compose_role(self, cb: CodebaseTarget) -> Callable[[str, Any], str | None]:
        """A compose file's role for the variants: None when the scope model
        (plumbing/scope.py) judges it production, else "role: why"."""
        scope = self.scope(cb) if cb.root.is_dir() else None

        def role_of(rel: str, _data: Any) -> str | None:
            judged = scope.judge(rel) if scope is not None else None
            return None if judged is None or judged.production else \
                f"{judged.role}: {judged.reason}"
        return role_of

    def compose_project(self, target: ComposeTarget) -> compose.ComposeProject:
        """The project loaded as Compose loads it (cached for the session)."""
        from pytest_readiness.probes.deployment import compose
        from pytest_readiness.probes.deployment.compose_spec import project as compose_project

        key = (target.codebase.root, target.target_name)
        if key not in self._projects:
            files = self.reader_for(target.codebase.root)
            read = compose_project.read_in_tree(target.codebase.root, files)
            model = compose_project.load_project(
                target.files, read, env_files=target.variant.env_files,
                profiles=target.variant.profiles, addons=target.variant.addons)
            self._projects[key] = compose.project(target.target_name, model,
                                                  target.codebase.root, read, files)
        return self._projects[key]

    def image_uses(self, codebase: CodebaseTarget, dockerfile: str) -> list[compose.ImageUse]:
        """The compose services (of every project that loads) built from ``dockerfile``."""
        from pytest_readiness.probes.deployment import compose

        uses = []
        for target in self.compose_targets(codebase):
            project = self.compose_project(target)
            if not project.model.invalid:
                uses += compose.image_uses(project, dockerfile, target.role is None)
        return uses

    def production_compose(self, codebase: CodebaseTarget
                           ) -> tuple[list[compose.ComposeProject], list[str]]:
        """The production Compose projects of a codebase that load, and a note for each
        one left out because Compose would refuse it (compose.valid reports it)."""
        projects, notes = [], []
        for target in self.compose_targets(codebase):
            if target.role is not None:
                continue
            project = self.compose_project(target)
            if project.model.invalid:
                first = project.model.invalid[0]
                notes.append(f"{target.target_name} not read: it does not load "
                             f"({first.file}:{first.line or '-'}; see compose.valid)")
            else:
                projects.append(project)
        return projects, notes

    def artefacts(self, kind: str) -> list[Artefact]:
        """Files of one kind: those named in config, else those discovered (minus those
        readiness.yaml's ``scope:`` leaves out)."""
        named: list[str] = getattr(self.config, kind)
        if kind == "compose":  # an entry may be a list of files (one project)
            named = [f for e in named for f in ([e] if isinstance(e, str) else e)]
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
