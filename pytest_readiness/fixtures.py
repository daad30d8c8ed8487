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
| ``host_mount``  | (mount, host) pair of ``mounts:``             | HostMount             |
| ``endpoint``    | ``endpoints:`` entry                          | config.Endpoint       |
| ``dns_name``    | ``dns:`` entry                                | config.DnsName        |
| ``database``    | ``databases:`` entry                          | config.Database       |
| ``grpc_service``| ``grpc:`` entry                               | config.GrpcService    |
| ``codebase``    | codebase (default: the current directory)     | CodebaseTarget        |
| ``codebase_scope`` | codebase                                   | Scope (file roles)    |
| ``compose_file``, ``dockerfile``, ``unit_file``, ``workflow`` | such file | Artefact   |
| ``compose_target`` | Compose project (default files or a ``-f`` variant) | ComposeTarget |
| ``proto_group`` | group of copies of one .proto                 | ProtoGroup            |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from pytest_readiness.config import Host, ReadinessConfig
from pytest_readiness.marker import META_KEY
from pytest_readiness.outcomes import CheckError
from pytest_readiness.plumbing import tree
from pytest_readiness.plumbing.scope import Scope
from pytest_readiness.probes.hosts.connect import connect
from pytest_readiness.recorder import Recorder
from pytest_readiness.targets import (
    NO_HOSTS,
    CodebaseTarget,
    Context,
    HostFile,
    HostMount,
    HostService,
)

# The audit's Context: set at start-up by audit_hooks.py, read by the fixtures and the session.
CONTEXT_KEY = pytest.StashKey[Context]()
# A check's Recorder: made by the ``readiness`` fixture, read by runtest.py for its payload.
RECORDER_KEY = pytest.StashKey[Recorder]()
TARGET_KEY = pytest.StashKey["ItemTarget"]()

def _targets(ctx: Context) -> dict[str, Callable[[], list[Any]]]:
    cfg = ctx.config
    return {
        "host_config": lambda: ctx.hosts,
        "host_file": lambda: [HostFile(h, f) for f in cfg.files for h in ctx.hosts_named(f.hosts)],
        "host_service": lambda: [
            HostService(h, s) for s in cfg.services for h in ctx.hosts_named(s.hosts)],
        "host_mount": lambda: [
            HostMount(h, m) for m in cfg.mounts for h in ctx.hosts_named(m.hosts)],
        "endpoint": lambda: list(cfg.endpoints),
        "dns_name": lambda: list(cfg.dns),
        "database": lambda: list(cfg.databases),
        "grpc_service": lambda: list(cfg.grpc),
        "codebase": lambda: [cb for cb in ctx.codebases if not ctx.empty(cb)],
        "compose_file": lambda: ctx.artefacts("compose"),
        "compose_target": lambda: ctx.compose_targets(),
        "dockerfile": lambda: ctx.artefacts("dockerfiles"),
        "unit_file": lambda: ctx.artefacts("units"),
        "workflow": lambda: ctx.artefacts("workflows"),
        "proto_group": lambda: ctx.proto_groups(),
    }


_NOUN = {"host_config": "hosts", "host_file": "files", "host_service": "services",
         "host_mount": "mounts",
         "endpoint": "endpoints", "dns_name": "dns names", "database": "databases",
         "grpc_service": "grpc services", "codebase": "codebases",
         "compose_file": "compose files", "compose_target": "compose projects",
         "dockerfile": "Dockerfiles",
         "unit_file": "systemd unit files", "workflow": "CI workflows",
         "proto_group": "proto groups"}


def target_name(value: object) -> str | None:
    name = getattr(value, "target_name", None)
    return str(name) if name is not None else None


@dataclass(frozen=True)
class ItemTarget:
    """What a collected check audits, from its parametrisation."""

    value: Any  # the first target fixture's value (CodebaseTarget, Endpoint, HostFile, ...)
    name: str | None  # its name in reports
    host: Host | None  # the host behind it, for a host check


def target_of(item: pytest.Item) -> ItemTarget:
    """The one place that finds a check's target and host (selection, sharding, host
    affinity under xdist, the ``host`` fixture, the recorder and the result); found once
    per item (its parametrisation is fixed at collection)."""
    found = item.stash.get(TARGET_KEY, None)
    if found is None:
        found = item.stash[TARGET_KEY] = _target_of(item)
    return found


def _target_of(item: pytest.Item) -> ItemTarget:
    callspec = getattr(item, "callspec", None)
    value: Any = None
    name = None
    host = None
    for param in (callspec.params.values() if callspec else ()):
        if name is None and (found := target_name(param)) is not None:
            value, name = param, found
        if isinstance(param, Host):
            host = param
        elif isinstance(getattr(param, "host", None), Host):
            host = param.host
    return ItemTarget(value, name, host)


def result_target(item: pytest.Item) -> str | None:
    """The target a check's result names: the one it ran for, or the name it gave itself."""
    recorder = item.stash.get(RECORDER_KEY, None)
    if recorder is not None and recorder.target_name:
        return recorder.target_name
    return target_of(item).name


def generate_targets(metafunc: pytest.Metafunc, ctx: Context) -> None:
    """Parametrise every target fixture a check asks for; host checks get hosts."""
    names = set(metafunc.fixturenames)
    if "host" in names and not names & _HOST_FIXTURES:
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


_HOST_FIXTURES = {"host_config", "host_file", "host_service", "host_mount"}


def recorder_for(request: pytest.FixtureRequest) -> Recorder:
    """The ``readiness`` fixture's value (plugin.py): the check's Recorder, made once."""
    node: pytest.Item = request.node
    if RECORDER_KEY not in node.stash:
        node.stash[RECORDER_KEY] = Recorder(check=node.stash.get(META_KEY, None),
                                            target=target_of(node).value,
                                            context=request.config.stash.get(CONTEXT_KEY, None))
    return node.stash[RECORDER_KEY]


@pytest.fixture(scope="session")
def readiness_context(request: pytest.FixtureRequest) -> Context:
    return request.config.stash[CONTEXT_KEY]


@pytest.fixture(scope="session")
def readiness_config(readiness_context: Context) -> ReadinessConfig:
    return readiness_context.config


@pytest.fixture
def host(request: pytest.FixtureRequest) -> Any:
    model = target_of(request.node).host
    if model is None:
        raise CheckError(f"this check asks for a host but none is configured ({NO_HOSTS})")
    try:
        return connect(model)
    except Exception as exc:  # a malformed connection string, a missing backend
        raise CheckError(f"host {model.name}: cannot open {model.connection}: {exc}") from exc


@pytest.fixture
def inventory(codebase: CodebaseTarget, readiness_context: Context) -> tree.Inventory:
    return readiness_context.inventory(codebase)


@pytest.fixture
def codebase_scope(codebase: CodebaseTarget, readiness_context: Context) -> Scope:
    """The roles of the codebase's files: what is production (plumbing/scope.py)."""
    return readiness_context.scope(codebase)


AUDIT_FIXTURES = (readiness_context, readiness_config, host, inventory, codebase_scope)


def Fixtures() -> ModuleType:  # noqa: N802 - the name audit_hooks.py registers
    """The fixtures only an audit has, as a plugin module of module-level fixtures.

    Registered on --readiness after every other plugin, so ``host`` here wins over
    pytest-testinfra's own (which stays untouched in a normal run). A module, not a
    class instance: pytest deprecates session fixtures that are instance methods.
    """
    plugin = ModuleType(f"{__name__}.audit")
    plugin.__dict__.update({f.__name__: f for f in AUDIT_FIXTURES})
    return plugin
