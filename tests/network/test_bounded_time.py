"""Misbehaving peers cost their timeout and end in an ERROR naming the target and phase.

Durations are measured and printed (run with ``-s`` to see them), never asserted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers import silent

pytestmark = pytest.mark.slow  # the fast tier (-m 'not slow') leaves it out


@pytest.fixture(scope="module")
def peers() -> Iterator[dict[str, Any]]:
    started = {"silent": silent.silent(), "stalled": silent.stalled_tls(),
               "trickle": silent.trickle_http()}
    yield started
    for peer in started.values():
        peer.stop()


def test_silent_and_stalled_peers_error_in_the_handshake(peers, run_network) -> None:
    config = {"endpoints": [
        {"name": "silent", "url": f"https://127.0.0.1:{peers['silent'].port}/", "timeout": 1.5},
        {"name": "stalled", "url": f"https://127.0.0.1:{peers['stalled'].port}/", "timeout": 1.5},
    ]}
    began = time.monotonic()
    run = run_network(config, "tls")
    print(f"tls suite against a silent and a stalled peer: {time.monotonic() - began:.2f}s")
    for name in ("silent", "stalled"):
        outcomes = run.outcomes(name)
        assert outcomes.pop("tls.auto-renewal") == "warn"  # it needs no handshake
        assert set(outcomes.values()) == {"error", "skip"}, outcomes
        assert outcomes["tls.san-coverage"] == "skip"
        message = run.check("tls.cert-expiry", name)["message"]
        assert message == f"CheckError: {name}: handshake timed out after 1.5s"
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED


def test_trickling_http_errors_in_the_read(peers, run_network) -> None:
    url = f"http://127.0.0.1:{peers['trickle'].port}/"
    config = {"endpoints": [{"name": "trickle", "url": url, "health": "/health",
                             "timeout": 2, "redirect_http": False}]}
    began = time.monotonic()
    run = run_network(config, "health", extra=("-k", "health_answers"))
    print(f"health check against a one-byte-per-second peer: {time.monotonic() - began:.2f}s")
    check = run.check("health.endpoint", "trickle")
    assert check["outcome"] == "error"
    assert check["message"] == f"CheckError: trickle ({url}health): read timed out after 2s"


def test_silent_headers_and_closed_port(peers, run_network) -> None:
    config = {"endpoints": [
        {"name": "silent", "url": f"http://127.0.0.1:{peers['silent'].port}/", "timeout": 1},
        {"name": "closed", "url": "http://127.0.0.1:9/", "timeout": 1, "redirect_http": False},
    ]}
    run = run_network(config, "http", extra=("-k", "nosniff"))
    assert run.check("http.nosniff", "silent")["message"] == \
        "CheckError: silent: read timed out after 1s"
    closed = run.check("http.nosniff", "closed")
    assert closed["outcome"] == "error"
    assert closed["message"].startswith("CheckError: closed: connect failed: ")
    assert run.check("http.nosniff", "silent")["outcome"] == "error"
