"""External service resilience: timeouts, retries with backoff, circuit breakers, keepalive."""

from __future__ import annotations

import pytest

from pytest_readiness.plumbing import pyast, suppress
from pytest_readiness.probes.code import resilience

pytestmark = pytest.mark.readiness(section="External Service Resilience", category="resilience")


def _outbound(inventory):
    modules = list(pyast.modules(inventory))
    return modules, resilience.http_calls(modules), resilience.grpc_channels(modules)


@pytest.mark.readiness(id="resilience.http-timeout", severity="high",
                       fix="Pass an explicit timeout to every call or client "
                           "(requests: timeout=(3.05, 27); httpx.Client(timeout=10); "
                           "aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)))")
def test_http_calls_have_explicit_timeouts(codebase, inventory, readiness):
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
    published = suppress.publish_codebase(
        readiness, codebase, inventory,
        resilience.timeout_findings(calls, pyast.lines_of(inventory)), "resilience.http-timeout")
    assert not published.errors, (f"{len(published.errors)} call(s) that can wait forever: "
                                  + published.summary(published.errors))
    if published.warnings:
        readiness.warn(f"{len(published.warnings)} call(s) rely on the library's default "
                       "timeout: " + published.summary(published.warnings, 5))


@pytest.mark.readiness(id="resilience.retry-backoff", severity="medium",
                       fix="Retry idempotent outbound calls with exponential backoff and jitter "
                           "(tenacity, backoff, urllib3 Retry via HTTPAdapter(max_retries=...))")
def test_outbound_calls_retry_with_backoff(codebase, inventory, readiness):
    """Outbound calls are retried with backoff (a library or a loop that sleeps)."""
    modules, calls, channels = _outbound(inventory)
    sites = resilience.live_call_sites(calls, channels)
    if not sites:
        pytest.skip("not applicable: no outbound HTTP or gRPC calls in live code")
    found = resilience.retry_mechanisms(modules)
    readiness.evidence(outbound_call_sites=len(sites), retry=[m.__dict__ for m in found[:20]])
    if found:
        return
    published = _per_site(readiness, codebase, inventory, sites, "resilience.retry-backoff",
                          "no retry with backoff anywhere in live code")
    assert not published.errors, (f"{len(published.errors)} outbound call site(s) and no retry "
                                  "with backoff anywhere in live code: "
                                  + published.summary(published.errors, 5))


def _per_site(readiness, codebase, inventory, sites, check_id, what):
    """One finding per live call site, so a deliberate one can carry an explained
    ``# readiness: ignore[...]`` (a probe that must not retry, say)."""
    findings = [suppress.CodeFinding(check_id, f"{call}: {what}", file, line)
                for file, line, call in sites]
    return suppress.publish_codebase(readiness, codebase, inventory, findings, check_id)


@pytest.mark.readiness(id="resilience.circuit-breaker", severity="medium",
                       fix="Wrap calls to each external dependency in a circuit breaker "
                           "(pybreaker, aiobreaker, purgatory) and apply it on the call path")
def test_circuit_breaker_used_on_production_path(codebase, inventory, readiness):
    """A circuit breaker exists and is applied to calls in live code, not only defined."""
    modules, calls, channels = _outbound(inventory)
    sites = resilience.live_call_sites(calls, channels)
    breakers = resilience.circuit_breakers(modules)
    if not sites and not breakers.defined:
        pytest.skip("not applicable: no outbound calls in live code and no circuit breaker")
    readiness.evidence(defined=[m.__dict__ for m in breakers.defined[:20]],
                       used=[m.__dict__ for m in breakers.used[:20]])
    if not breakers.defined:
        published = _per_site(readiness, codebase, inventory, sites,
                              "resilience.circuit-breaker", "no circuit breaker in the codebase")
        assert not published.errors, ("no circuit breaker for the outbound calls: "
                                      + published.summary(published.errors, 5))
        return
    if not breakers.used:
        suppress.publish_codebase(readiness, codebase, inventory, [
            suppress.CodeFinding("resilience.breaker-unused", f"{m.detail}: defined, never applied",
                                 m.file, m.line, level="warning")
            for m in breakers.defined if m.line], "resilience.circuit-breaker")
    assert breakers.used, ("circuit breaker defined but never used on a production path: "
                           + ", ".join(f"{m.file} {m.detail}" for m in breakers.defined[:5]))


@pytest.mark.readiness(id="resilience.grpc-keepalive", severity="medium",
                       fix="Create channels with options=[('grpc.keepalive_time_ms', 30000), "
                           "('grpc.keepalive_timeout_ms', 10000)] so dead peers are detected")
def test_grpc_channels_have_keepalive(codebase, inventory, readiness):
    """gRPC channels are created with keepalive options."""
    _, _, channels = _outbound(inventory)
    if not channels:
        pytest.skip("not applicable: no gRPC channels created")
    findings = [suppress.CodeFinding(
        "resilience.grpc-keepalive",
        f"{c.call}() " + ("without keepalive options" if c.keepalive is False else
                          "with options built elsewhere: keepalive not verified"),
        c.file, c.line, level="error" if c.keepalive is False else "warning")
        for c in channels if not c.keepalive]
    readiness.evidence(channels=len(channels),
                       with_keepalive=sum(bool(c.keepalive) for c in channels))
    published = suppress.publish_codebase(readiness, codebase, inventory, findings,
                                          "resilience.grpc-keepalive")
    assert not published.errors, (f"{len(published.errors)} channel(s) without keepalive: "
                                  + published.summary(published.errors))
    if published.warnings:
        readiness.warn(published.summary(published.warnings, 5))
