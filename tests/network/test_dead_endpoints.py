"""A dead endpoint costs its timeout once (issue 16.10).

The first probe that proves an address dead (a timeout, a refused connection, before
it ever answered) marks it dead for the session: every later check of it ends in
``error`` at once, naming that first failure; the latency sample stops after the first
failures in a row. The peer counts the connections it accepted, which is what a dead
endpoint costs; durations are printed (``-s``), not asserted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from pytest_readiness.plumbing import netpool
from pytest_readiness.plumbing.netpool import DeadTarget, DeadTargets, ProbeFailure, ProbeTimeout
from pytest_readiness.probes.network import health
from tests.servers import silent

TIMEOUT = 1.5


def _timeout() -> None:
    raise ProbeTimeout("api", "read", TIMEOUT)


def test_a_timeout_before_any_answer_marks_the_address_dead() -> None:
    dead = DeadTargets()
    with pytest.raises(ProbeTimeout):
        dead.call(("10.0.0.1", 443), "api", _timeout)
    calls = []
    with pytest.raises(DeadTarget) as raised:
        dead.call(("10.0.0.1", 443), "api (/health)", lambda: calls.append(1))
    assert not calls
    assert str(raised.value) == "api (/health): not probed again: api: read timed out after 1.5s"
    assert isinstance(raised.value, ProbeFailure)  # every check's except clause catches it
    assert dead.call(("10.0.0.1", 80), "api", lambda: "other port") == "other port"


def test_an_address_that_answered_once_is_never_marked_dead() -> None:
    dead = DeadTargets()
    assert dead.call(("h", 1), "api", lambda: "ok") == "ok"
    with pytest.raises(ProbeTimeout):
        dead.call(("h", 1), "api", _timeout)
    assert dead.first_failure(("h", 1)) is None


def test_only_timeouts_and_failed_connections_prove_death() -> None:
    dead = DeadTargets()

    def bad_certificate() -> None:
        raise ProbeFailure("api", "handshake", "certificate verify failed")

    def refused() -> None:
        raise ProbeFailure("api", "connect", "Connection refused")

    with pytest.raises(ProbeFailure):
        dead.call(("h", 1), "api", bad_certificate)
    assert dead.first_failure(("h", 1)) is None
    with pytest.raises(ProbeFailure):
        dead.call(("h", 2), "api", refused)
    assert dead.first_failure(("h", 2)) == "api: connect failed: Connection refused"


def test_address_of_a_url() -> None:
    assert netpool.address("https://API.example.com/x") == ("api.example.com", 443)
    assert netpool.address("http://127.0.0.1:8080/") == ("127.0.0.1", 8080)
    assert netpool.address("http://[::1]/") == ("::1", 80)


def test_latency_sampling_stops_after_the_first_failures_in_a_row() -> None:
    sent = []
    lock = threading.Lock()

    def request() -> health.Response:
        with lock:
            sent.append(1)
        raise ProbeTimeout("api", "read", 0.01)

    sample = health.sample_latency(request, samples=20, concurrency=4)
    assert sample.timings_ms == []
    assert len(sent) == len(sample.errors)
    assert health.give_up_after(4) <= len(sent) < 20  # one wave, give or take a thread
    assert sample.abandoned == 20 - len(sent)


def test_latency_sampling_goes_on_after_an_isolated_failure() -> None:
    answers = iter([None] + [200] * 19)
    lock = threading.Lock()

    def request() -> health.Response:
        with lock:
            status = next(answers)
        if status is None:
            raise ProbeFailure("api", "connect", "Connection refused")
        return health.Response("http://x/", status, {}, b"", 5.0)

    sample = health.sample_latency(request, samples=20, concurrency=1)
    assert (len(sample.timings_ms), len(sample.errors), sample.abandoned) == (19, 1, 0)


@pytest.fixture
def blackhole() -> Iterator[silent.MisbehavingPeer]:
    peer = silent.silent()  # accepts TCP, never answers
    yield peer
    peer.stop()


@pytest.mark.slow
@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["one-process", "xdist"])
def test_a_blackholed_endpoint_costs_its_timeout_once(blackhole, run_network,
                                                      workers: tuple[str, ...]) -> None:
    url = f"https://127.0.0.1:{blackhole.port}/"
    config = {"endpoints": [{
        "name": "dead", "url": url, "health": "/health", "metrics": "/metrics",
        "timeout": TIMEOUT, "http_url": f"http://127.0.0.1:{blackhole.port}/",
        "latency": {"samples": 20, "concurrency": 4}}]}
    began = time.monotonic()
    run = run_network(config, "tls", "http", "health", extra=workers)
    took = time.monotonic() - began
    checks = [c for c in run.checks if c["target"] == "dead"]
    spent = sum(c["duration_s"] for c in checks)
    print(f"blackholed endpoint, timeout {TIMEOUT}s, {' '.join(workers) or 'one process'}: "
          f"{spent:.2f}s in its {len(checks)} checks, {took:.2f}s for the whole run, "
          f"{blackhole.accepted} connection(s) accepted")
    outcomes = {c["id"]: c["outcome"] for c in checks}
    assert outcomes.pop("tls.auto-renewal") == "warn"  # no host named: cannot confirm renewal
    assert set(outcomes.values()) <= {"error", "skip"}, outcomes
    errors = [c for c in checks if c["outcome"] == "error"]
    first = [c for c in errors if "not probed again" not in c["message"]]
    assert len(first) == 1, [c["message"] for c in errors]  # one check paid the timeout
    assert first[0]["id"] == "health.endpoint"
    cause = f"dead ({url}health): handshake timed out after {TIMEOUT:g}s"
    assert first[0]["message"] == f"CheckError: {cause}"
    for check in errors:
        assert check["message"].endswith(cause), check["message"]
    assert len(errors) >= 9  # health, latency, metrics, 7 header checks, 8 TLS checks
    assert blackhole.accepted == 1
