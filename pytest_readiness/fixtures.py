"""Fixtures for checks, and their parametrisation from readiness.yaml.

A check asks for what it audits by fixture name; ``pytest_generate_tests``
parametrises it with one test per configured target, with sorted, stable ids
(xdist workers must agree). A check with no target configured is collected
once and skipped as not applicable, with the reason.

| fixture         | one test per                                  | value                 |
|-----------------|-----------------------------------------------|-----------------------|
| ``host``        | configured host (this machine only when named) | testinfra Host       |
| ``host_config`` | configured host                               | config.Host           |
| ``host_file``   | (file, host) pair of ``files:``               | HostFile              |
| ``host_service``| (unit, host) pair of ``services:``            | HostService           |
| ``endpoint``    | ``endpoints:`` entry                          | config.Endpoint       |
| ``dns_name``    | ``dns:`` entry                                | config.DnsName        |
| ``database``    | ``databases:`` entry                          | config.Database       |
| ``grpc_service``| ``grpc:`` entry                               | config.GrpcService    |
| ``codebase``    | codebase (default: the current directory)     | CodebaseTarget        |
| ``compose_file``, ``dockerfile``, ``unit_file``, ``workflow`` | such file | Artefact   |
| ``proto_group`` | group of copies of one .proto                 | ProtoGroup            |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pytest_readiness.config import (
    Codebase,
    FileSpec,
    Host,
    ReadinessConfig,
    ServiceSpec,
)
from pytest_readiness.outcomes import CheckError, Recorder
from pytest_readiness.plumbing import tree
from pytest_readiness.probes.hosts.connect import connect
from pytest_readiness.results import display_path

CONTEXT_KEY = pytest.StashKey["Context"]()
RECORDER_KEY = pytest.StashKey[Recorder]()
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
    _inventories: dict[Path, tree.Inventory] = field(default_factory=dict)

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
        if target.root not in self._inventories:
            self._inventories[target.root] = tree.inventory(
                target.root, target.spec.exclude)
        return self._inventories[target.root]

    def empty(self, target: CodebaseTarget) -> bool:
        """A codebase directory with no file at all: nothing to assess, not a clean bill."""
        return target.root.is_dir() and not self.inventory(target).files

    def artefacts(self, kind: str) -> list[Artefact]:
        """Files of one kind: those named in config, else those discovered."""
        named: list[str] = getattr(self.config, kind)
        found: list[Artefact] = []
        for cb in self.codebases:
            if named:
                for rel in named:
                    path = self.resolve(rel)
                    if _inside(path, cb.root):
                        found.append(Artefact(path, path.relative_to(cb.root).as_posix(), cb))
                continue
            for f in getattr(self.inventory(cb), kind):
                found.append(Artefact(f.path, f.rel, cb))
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


def _targets(ctx: Context) -> dict[str, Callable[[], list[Any]]]:
    cfg = ctx.config
    return {
        "host_config": lambda: ctx.hosts,
        "host_file": lambda: [HostFile(h, f) for f in cfg.files for h in ctx.hosts_named(f.hosts)],
        "host_service": lambda: [
            HostService(h, s) for s in cfg.services for h in ctx.hosts_named(s.hosts)],
        "endpoint": lambda: list(cfg.endpoints),
        "dns_name": lambda: list(cfg.dns),
        "database": lambda: list(cfg.databases),
        "grpc_service": lambda: list(cfg.grpc),
        "codebase": lambda: [cb for cb in ctx.codebases if not ctx.empty(cb)],
        "compose_file": lambda: ctx.artefacts("compose"),
        "dockerfile": lambda: ctx.artefacts("dockerfiles"),
        "unit_file": lambda: ctx.artefacts("units"),
        "workflow": lambda: ctx.artefacts("workflows"),
        "proto_group": lambda: ctx.proto_groups(),
    }


TARGET_FIXTURES = tuple(_targets(Context(ReadinessConfig(), Path("."))))
_NOUN = {"host_config": "hosts", "host_file": "files", "host_service": "services",
         "endpoint": "endpoints", "dns_name": "dns names", "database": "databases",
         "grpc_service": "grpc services", "codebase": "codebases",
         "compose_file": "compose files", "dockerfile": "Dockerfiles",
         "unit_file": "systemd unit files", "workflow": "CI workflows",
         "proto_group": "proto groups"}


def target_name(value: object) -> str | None:
    name = getattr(value, "target_name", None)
    return str(name) if name is not None else None


def generate_targets(metafunc: pytest.Metafunc, ctx: Context) -> None:
    """Parametrise every target fixture a check asks for; host checks get hosts."""
    names = set(metafunc.fixturenames)
    if "host" in names and not names & {"host_config", "host_file", "host_service"}:
        names.add("host_config")
        metafunc.fixturenames.append("host_config")
    for name, build in _targets(ctx).items():
        if name not in names:
            continue
        values = sorted(build(), key=lambda v: target_name(v) or "")
        if values:
            params = [pytest.param(v, id=target_name(v)) for v in values]
        else:
            reason = _not_applicable(name, ctx)
            params = [pytest.param(None, id="none", marks=pytest.mark.skip(reason=reason))]
        metafunc.parametrize(name, params, scope="function")


def _not_applicable(name: str, ctx: Context) -> str:
    if name in _HOST_FIXTURES and not ctx.hosts:
        return NO_HOSTS
    empty = [cb.target_name for cb in ctx.codebases if ctx.empty(cb)]
    if name == "codebase" and empty:
        return f"not applicable: codebase {', '.join(empty)} holds no files to audit"
    return f"not applicable: no {_NOUN[name]} configured or found"


_HOST_FIXTURES = {"host_config", "host_file", "host_service"}


def host_model(request: pytest.FixtureRequest) -> Host:
    params = getattr(request.node, "callspec", None)
    for value in (params.params.values() if params else ()):
        if isinstance(value, Host):
            return value
        if isinstance(getattr(value, "host", None), Host):
            return value.host  # type: ignore[no-any-return]
    raise CheckError("this check asks for a host but none is configured (" + NO_HOSTS + ")")


@pytest.fixture
def readiness(request: pytest.FixtureRequest) -> Recorder:
    """Record evidence and findings, or end the check with a warning (see Recorder)."""
    return request.node.stash.setdefault(RECORDER_KEY, Recorder())


@pytest.fixture(scope="session")
def readiness_context(request: pytest.FixtureRequest) -> Context:
    return request.config.stash[CONTEXT_KEY]


@pytest.fixture(scope="session")
def readiness_config(readiness_context: Context) -> ReadinessConfig:
    return readiness_context.config


@pytest.fixture
def host(request: pytest.FixtureRequest) -> Any:
    model = host_model(request)
    try:
        return connect(model)
    except Exception as exc:  # a malformed connection string, a missing backend
        raise CheckError(f"host {model.name}: cannot open {model.connection}: {exc}") from exc


@pytest.fixture
def inventory(codebase: CodebaseTarget, readiness_context: Context) -> tree.Inventory:
    return readiness_context.inventory(codebase)


AUDIT_FIXTURES = (readiness_context, readiness_config, host, inventory)


def Fixtures() -> ModuleType:  # noqa: N802 - the name plugin.py registers
    """The fixtures only an audit has, as a plugin module of module-level fixtures.

    Registered on --readiness after every other plugin, so ``host`` here wins over
    pytest-testinfra's own (which stays untouched in a normal run). A module, not a
    class instance: pytest deprecates session fixtures that are instance methods.
    """
    plugin = ModuleType(f"{__name__}.audit")
    plugin.__dict__.update({f.__name__: f for f in AUDIT_FIXTURES})
    return plugin
