"""External service resilience: timeouts, retries with backoff, circuit breakers, keepalive."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from pytest_readiness import CodebaseTarget, Context, Recorder
from pytest_readiness.plumbing import callgraph, pyast
from pytest_readiness.plumbing import replicas as replica_facts
from pytest_readiness.plumbing.findings import summary
from pytest_readiness.plumbing.tree import Inventory, is_compose
from pytest_readiness.plumbing.yamlpos import ParseError
from pytest_readiness.probes.code import resilience
from pytest_readiness.probes.deployment import compose, dockerfile

pytestmark = pytest.mark.readiness(section="External Service Resilience", category="resilience")


def _outbound(inventory: Inventory) -> tuple[list[pyast.Module], list[resilience.HttpCall],
                                             list[resilience.Channel]]:
    modules = list(pyast.modules(inventory))
    return modules, resilience.http_calls(modules), resilience.grpc_channels(modules)


def _not_read(inventory: Inventory) -> dict[str, int]:
    return resilience.other_languages(f.rel for f in inventory.files)


def _said_not_read(inventory: Inventory) -> str:
    """`` (Go, Java not read)`` for a polyglot tree: what a warning rests on."""
    others = _not_read(inventory)
    return f" ({', '.join(others)} not read)" if others else ""


@pytest.mark.readiness(id="resilience.http-timeout", levels=resilience.TIMEOUT_LEVELS,
                       severity="high",
                       fix="Pass an explicit timeout to every call or client "
                           "(requests: timeout=(3.05, 27); httpx.Client(timeout=10); "
                           "aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)))")
def test_http_calls_have_explicit_timeouts(inventory: Inventory, readiness: Recorder) -> None:
    """Every outbound HTTP call or client (requests, httpx, aiohttp) sets a timeout."""
    _, calls, _ = _outbound(inventory)
    if not calls:
        pytest.skip("not applicable: no requests/httpx/aiohttp calls found")
    states: dict[str, dict[str, int]] = {}
    for c in calls:
        states.setdefault(c.library, {}).setdefault(c.timeout, 0)
        states[c.library][c.timeout] += 1
    readiness.evidence(http_calls=states, library_defaults={
        lib: resilience.DEFAULTS[lib][0] for lib in states})
    readiness.conclude([*resilience.timeout_findings(calls, pyast.lines_of(inventory)),
                        *pyast.not_analysed(inventory)], "call(s) that can wait forever",
                       warning=pyast.said("call(s) rely on the library's default timeout"),
                       code=True)


@pytest.mark.readiness(id="resilience.retry-backoff", levels=resilience.RETRY_LEVELS,
                       severity="medium",
                       fix="Retry idempotent outbound calls with exponential backoff and jitter "
                           "(tenacity, backoff, urllib3 Retry via HTTPAdapter(max_retries=...))")
def test_outbound_calls_retry_with_backoff(inventory: Inventory, readiness: Recorder) -> None:
    """Outbound calls are retried with backoff (a library or a loop that sleeps)."""
    modules, calls, channels = _outbound(inventory)
    sites = resilience.live_call_sites(calls, channels)
    if not sites:
        pytest.skip("not applicable: no outbound HTTP or gRPC calls in live code")
    found = resilience.retry_mechanisms(modules)
    readiness.evidence(outbound_call_sites=len(sites), retry=[m.__dict__ for m in found[:20]],
                       languages_not_read=_not_read(inventory))
    if found:
        return
    readiness.conclude(
        [*resilience.site_findings(sites, "no retry with backoff anywhere in live code"),
         *pyast.not_analysed(inventory)],
        lambda errors: f"{len(errors)} outbound call site(s) and no retry with backoff anywhere "
                       f"in live Python code{_said_not_read(inventory)}: {summary(errors, 5)}",
        code=True)


@pytest.mark.readiness(id="resilience.circuit-breaker", levels=resilience.CIRCUIT_BREAKER_LEVELS,
                       severity="medium",
                       rules=resilience.CIRCUIT_BREAKER_RULES,
                       fix="Wrap calls to each external dependency in a circuit breaker "
                           "(pybreaker, aiobreaker, purgatory) and apply it on the call path")
def test_circuit_breaker_used_on_production_path(inventory: Inventory,
                                                 readiness: Recorder) -> None:
    """A circuit breaker exists and is applied to calls in live code, not only defined."""
    modules, calls, channels = _outbound(inventory)
    sites = resilience.live_call_sites(calls, channels)
    breakers = resilience.circuit_breakers(modules)
    if not sites and not breakers.defined:
        pytest.skip("not applicable: no outbound calls in live code and no circuit breaker")
    readiness.evidence(defined=[m.__dict__ for m in breakers.defined[:20]],
                       used=[m.__dict__ for m in breakers.used[:20]],
                       languages_not_read=_not_read(inventory))
    if not breakers.defined:
        readiness.conclude(
            [*resilience.site_findings(sites, "no circuit breaker in the codebase"),
             *pyast.not_analysed(inventory)],
            lambda errors: f"no circuit breaker for the outbound calls in Python code"
                           f"{_said_not_read(inventory)}: {summary(errors, 5)}",
            code=True)
    elif not breakers.used:
        readiness.conclude(
            [*resilience.unused_breaker_findings(breakers), *pyast.not_analysed(inventory)],
            lambda _: "circuit breaker defined but never used on a production path: "
                      + ", ".join(f"{m.file} {m.detail}" for m in breakers.defined[:5]),
            code=True)


@pytest.mark.readiness(id="resilience.grpc-keepalive", levels=resilience.KEEPALIVE_LEVELS,
                       severity="medium",
                       fix="Create channels with options=[('grpc.keepalive_time_ms', 30000), "
                           "('grpc.keepalive_timeout_ms', 10000)] so dead peers are detected")
def test_grpc_channels_have_keepalive(inventory: Inventory, readiness: Recorder) -> None:
    """gRPC channels are created with keepalive options."""
    _, _, channels = _outbound(inventory)
    if not channels:
        pytest.skip("not applicable: no gRPC channels created")
    readiness.evidence(channels=len(channels),
                       with_keepalive=sum(bool(c.keepalive) for c in channels),
                       languages_not_read=_not_read(inventory))
    readiness.conclude([*resilience.keepalive_findings(channels), *pyast.not_analysed(inventory)],
                       "channel(s) without keepalive",
                       warning=lambda warnings: summary(warnings, 5), code=True)


def _compose_replicas(projects: list[compose.ComposeProject], ours: Callable[[str], bool]
                      ) -> tuple[list[resilience.Replicas], set[str]]:
    """Processes of each production Compose service running this code (built in the tree,
    or its command names a package): ``deploy.replicas``/``scale`` times the workers its
    command (or its Dockerfile's CMD/ENTRYPOINT) starts, with WEB_CONCURRENCY /
    GUNICORN_CMD_ARGS from its environment; and the Dockerfiles those services build."""
    found, built = [], set()
    for cp in projects:
        for service in cp.services:
            df = cp.dockerfile_of(service)
            stage = df.stage(service.build[1]) if df is not None and service.build else None
            if df is not None:
                built.add(df.rel)
            line = service.command_line or (stage.command if stage is not None else "")
            if service.build is None and not ours(line):
                continue
            env = {**(stage.args if stage is not None else {}), **service.env_values()}
            count, key = service.replicas
            workers, said = replica_facts.workers(line, env)
            processes = count * workers
            if processes > 1:
                file, at = service.where("deploy" if key.startswith("deploy") else
                                         key or ("command" if service.command_line else
                                                 "build"))
                said = ", ".join(filter(None, [f"{key} {count}" if key else "", said]))
                found.append(resilience.Replicas(
                    processes, f"compose service {service.name} runs {processes} processes "
                               f"({said}; {file}:{at})"))
    return found, built


def _replicas(codebase: CodebaseTarget, inventory: Inventory, ctx: Context,
              readiness: Recorder) -> resilience.Replicas | None:
    """The most processes the production deployment runs this code in: Compose services
    (above), Dockerfiles of the tree no service builds (their CMD/ENTRYPOINT workers),
    and Kubernetes Deployments/StatefulSets of the tree (``spec.replicas`` times the
    workers of the container's command). Evidence tied to the code (a service built in
    the tree, a command or image naming one of its packages) wins over evidence that
    is not (``certain=False``)."""
    projects, skipped = ctx.production_compose(codebase)
    if skipped:
        readiness.evidence(compose_not_read=skipped)
    packages = {name.split(".")[0] for name in callgraph.of(inventory).modules}
    names = re.compile(r"(?<![\w.-])(?:" + "|".join(map(re.escape, sorted(packages))) +
                       r")(?![\w-])") if packages else None

    def ours(text: str) -> bool:
        return bool(names and names.search(text))

    found, built = _compose_replicas(projects, ours)
    scope = ctx.scope(codebase)

    def production(rel: str) -> bool:
        judged = scope.judge(rel)
        return judged is None or judged.production

    for f in inventory.dockerfiles:
        if f.rel in built or not production(f.rel):
            continue
        try:
            stage = dockerfile.parse("\n".join(inventory.lines(f.rel)) + "\n", f.rel).final
        except ParseError:
            continue
        workers, said = replica_facts.workers(stage.command, stage.args)
        at = (stage.last("CMD") or stage.last("ENTRYPOINT"))
        if workers > 1:
            found.append(resilience.Replicas(
                workers, f"Dockerfile {f.rel} starts {workers} worker processes ({said}; "
                         f"{f.rel}:{at.line if at else stage.line})", ours(stage.command)))
    for f in inventory.files:
        if not f.rel.endswith((".yaml", ".yml")) or is_compose(f.rel) or not production(f.rel):
            continue
        for w in replica_facts.workloads(f.rel, inventory.text(f) or ""):
            for c in w.containers:
                workers, said = replica_facts.workers(c.command, c.env)
                if w.replicas * workers <= 1:
                    continue
                tied = ours(f"{c.image} {c.command}")
                found.append(resilience.Replicas(
                    w.replicas * workers,
                    f"Kubernetes {w.kind} {w.name} runs {w.replicas * workers} processes "
                    f"(replicas {w.replicas}" + (f", {said}" if said else "") +
                    f"; {w.file}:{w.line})" + ("" if tied else
                                             f": container {c.name} ({c.image}) names no "
                                             "package of this code, so it may run another "
                                             "service"), tied))
    return max(found, key=lambda r: (r.certain, r.processes), default=None)


@pytest.mark.readiness(id="resilience.process-local-state", levels=resilience.PROCESS_STATE_LEVELS,
                       severity="high",
                       fix="Keep state every replica must see (sessions, revoked tokens, rate "
                           "limits, queues) in a shared store: Redis, the database, Django's "
                           "RedisCache; keep in-process only what may differ per process")
def test_no_process_local_shared_state(codebase: CodebaseTarget, inventory: Inventory,
                                       readiness: Recorder, readiness_context: Context) -> None:
    """State that must be shared is not kept in one process's memory when the service
    runs as several processes (replicas or workers)."""
    states = resilience.process_local_state(pyast.modules(inventory))
    if not states:
        pytest.skip("not applicable: no module-level container changed by a function, "
                    "no LocMemCache, no cached function named after shared data")
    replicas = _replicas(codebase, inventory, readiness_context, readiness)
    readiness.evidence(process_local_state=[f"{s.file}:{s.line} {s.name}" for s in states[:20]],
                       processes=replicas.why if replicas else
                       "no evidence of more than one process (compose replicas, workers)")
    readiness.conclude([*resilience.process_state_findings(states, replicas),
                        *pyast.not_analysed(inventory)],
                       "process-local shared state with several processes",
                       warning=pyast.said("process-local shared state (warning)"), code=True)
