"""Health and latency: the health path answers, p95 latency fits its budget, /metrics parses."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from pytest_readiness import CheckError, Context, Recorder
from pytest_readiness.config import Endpoint
from pytest_readiness.plumbing import netpool
from pytest_readiness.plumbing.netpool import ProbeFailure, ProbeTimeout
from pytest_readiness.probes.network import health, http

pytestmark = pytest.mark.readiness(section="Health and Latency", category="resilience")


def _url(endpoint: Endpoint, path: str | None) -> str:
    return urljoin(endpoint.url, path) if path else endpoint.url


def _get(endpoint: Endpoint, path: str | None, context: Context) -> http.Response:
    url = _url(endpoint, path)
    try:
        return netpool.pool_for(context).call(url, endpoint.name, lambda: http.fetch(
            url, endpoint.timeout, endpoint.tls.ca_bundle, f"{endpoint.name} ({url})"))
    except (ProbeTimeout, ProbeFailure) as exc:
        raise CheckError(str(exc)) from None


def _sampler(pool: netpool.NetPool) -> netpool.Probe:
    def sample(endpoint: Endpoint) -> health.LatencySample:
        url = _url(endpoint, endpoint.health)
        policy = endpoint.latency
        return health.sample_latency(
            lambda: pool.call(url, endpoint.name, lambda: http.fetch(
                url, endpoint.timeout, endpoint.tls.ca_bundle, endpoint.name)),
            policy.samples, policy.concurrency)
    return sample


@pytest.mark.readiness(id="health.endpoint", severity="critical",
                       fix="Expose a health endpoint that answers 2xx when the service can "
                           "serve (and set endpoints[].health)")
def test_health_answers_2xx(endpoint: Endpoint, readiness_context: Context,
                            readiness: Recorder) -> None:
    """The health path answers 2xx within its timeout."""
    if not endpoint.health:
        pytest.skip(f"not applicable: no health path configured for {endpoint.name}")
    response = _get(endpoint, endpoint.health, readiness_context)
    readiness.evidence(url=_url(endpoint, endpoint.health), status=response.status,
                       elapsed_ms=round(response.elapsed_ms, 1),
                       body=http.truncate(response.body.decode("utf-8", "replace")))
    wanted = endpoint.expect_status or list(range(200, 300))
    assert response.status in wanted, f"health check answered HTTP {response.status}"


@pytest.mark.readiness(id="health.latency-p95", severity="medium", category="performance",
                       fix="Find the slow path (profile, add indexes, cache) or raise the "
                           "budget in endpoints[].latency.p95_budget_ms if it is deliberate")
def test_latency_within_budget(endpoint: Endpoint, readiness_context: Context,
                               readiness: Recorder) -> None:
    """p95 latency over a bounded sample of requests is within the budget."""
    pool = netpool.pool_for(readiness_context)
    pool.register("latency", _sampler(pool), readiness_context.config.endpoints)
    policy = endpoint.latency
    try:
        pool.dead.check(netpool.address(_url(endpoint, endpoint.health)), endpoint.name)
    except ProbeFailure as exc:
        raise CheckError(str(exc)) from None
    waves = -(-policy.samples // policy.concurrency)
    sample = pool.get("latency", endpoint, wait=endpoint.timeout * (waves + 1) + 5)
    readiness.evidence(url=_url(endpoint, endpoint.health), concurrency=policy.concurrency,
                       budget_ms=policy.p95_budget_ms, errors=len(sample.errors),
                       abandoned=sample.abandoned,
                       first_errors=[http.truncate(e, 160) for e in sample.errors[:3]])
    if not sample.timings_ms:
        sent = policy.samples - sample.abandoned
        stopped = f" (stopped after {sent} failures in a row)" if sample.abandoned else ""
        raise CheckError(f"{endpoint.name}: none of {sent} requests succeeded{stopped}: "
                         + http.truncate(sample.errors[0], 160))
    summary = health.latency_summary(sample.timings_ms)
    readiness.evidence(**summary)
    assert summary["p95_ms"] <= policy.p95_budget_ms, (
        f"p95 {summary['p95_ms']} ms over {summary['samples']} requests exceeds the "
        f"{policy.p95_budget_ms:g} ms budget")
    assert not sample.errors, f"{len(sample.errors)} of {policy.samples} requests failed: " \
                              + http.truncate(sample.errors[0], 160)


@pytest.mark.readiness(id="health.metrics", severity="medium", category="monitoring",
                       fix="Serve Prometheus exposition format at the metrics path "
                           "(prometheus_client's generate_latest), not a JSON placeholder")
def test_metrics_parse(endpoint: Endpoint, readiness_context: Context,
                       readiness: Recorder) -> None:
    """The /metrics endpoint parses as Prometheus exposition format."""
    if not endpoint.metrics:
        pytest.skip(f"not applicable: no metrics path configured for {endpoint.name}")
    response = _get(endpoint, endpoint.metrics, readiness_context)
    page = health.parse_metrics(response.body, response.header("content-type"))
    readiness.evidence(url=_url(endpoint, endpoint.metrics), status=response.status,
                       content_type=http.truncate(response.header("content-type") or ""),
                       families=page.families, samples=page.samples, metric_names=page.names)
    assert 200 <= response.status < 300, f"metrics answered HTTP {response.status}"
    assert page.valid, f"{_url(endpoint, endpoint.metrics)}: {page.problem}"
