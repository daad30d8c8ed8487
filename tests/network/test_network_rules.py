"""Pure rules of the network probes, and NetPool sharing, without servers."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.config import ConfigError, parse_config
from pytest_readiness.plumbing import netpool
from pytest_readiness.probes.network import health, http, tls

label = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)


@given(st.lists(st.floats(0, 1e5, allow_nan=False), min_size=1, max_size=200),
       st.floats(1, 100))
def test_percentile_is_a_sample_and_monotonic(values: list[float], pct: float) -> None:
    p = health.percentile(values, pct)
    assert p in values
    assert health.percentile(values, 50) <= health.percentile(values, 95) <= max(values)
    assert sum(v <= p for v in values) >= len(values) * pct / 100 - 1e-9


@given(label, label, label)
def test_wildcard_covers_one_label_only(a: str, b: str, c: str) -> None:
    assert tls.hostname_matches(f"{a}.{b}.com", [f"*.{b}.com"])
    assert not tls.hostname_matches(f"{a}.{c}.{b}.com", [f"*.{b}.com"])
    assert not tls.hostname_matches(f"{b}.com", [f"*.{b}.com"])
    assert tls.hostname_matches(f"{a}.{b}.COM.", [f"{a}.{b}.com"])


@pytest.mark.parametrize(("value", "age"), [
    ("max-age=31536000; includeSubDomains", 31536000), ('max-age="600"', 600),
    ("includeSubDomains; max-age=5", 5), ("max-age=abc", None), (None, None), ("", None)])
def test_hsts_max_age(value: str | None, age: int | None) -> None:
    assert http.hsts_max_age(value) == age


@given(st.text(max_size=300))
def test_hsts_and_metrics_parsers_never_raise(text: str) -> None:
    http.hsts_max_age(text)
    http.csp_frame_ancestors(text)
    page = health.parse_metrics(text.encode("utf-8", "surrogatepass"), None)
    assert page.valid or page.problem


def test_cors_rules() -> None:
    assert http.cors_problem({"access-control-allow-origin": "*"}) is None
    assert http.cors_problem({"access-control-allow-origin": "*",
                              "access-control-allow-credentials": "true"})
    assert http.cors_problem({"access-control-allow-origin": "https://app.example",
                              "access-control-allow-credentials": "true"}) is None


@pytest.mark.parametrize(("days", "verdict"), [(40, "pass"), (30, "warn"), (15, "warn"),
                                               (14, "fail"), (-1, "fail")])
def test_expiry_verdict(days: float, verdict: str) -> None:
    assert tls.expiry_verdict(days, 30, 14) == verdict


def test_netpool_runs_each_target_once_and_gathers_the_kind_concurrently() -> None:
    calls: list[str] = []
    lock = threading.Lock()

    def probe(target: str) -> str:
        with lock:
            calls.append(target)
        time.sleep(0.2)
        if target == "bad":
            raise netpool.ProbeFailure(target, "connect", "refused")
        return target.upper()

    pool = netpool.NetPool(workers=8)
    targets = ["a", "b", "c", "d", "bad"]
    pool.register("kind", probe, targets)
    assert pool.get("kind", "a") == "A"
    assert sorted(calls) == sorted(targets)  # the whole kind was submitted on first use
    assert [pool.get("kind", t) for t in "abcd"] == ["A", "B", "C", "D"]
    with pytest.raises(netpool.ProbeFailure, match="bad: connect failed: refused"):
        pool.get("kind", "bad")
    assert sorted(calls) == sorted(targets)  # results shared, nothing probed twice
    pool.close()


def test_endpoint_http_url_must_be_plain_http() -> None:
    with pytest.raises(ConfigError, match=r"endpoints\[0\]\.http_url: expected an http:// URL"):
        parse_config("endpoints: [{name: a, url: 'https://x', http_url: 'https://x'}]")
    cfg = parse_config("endpoints: [{name: a, url: 'https://x', http_url: 'http://x:8080'}]")
    assert cfg.endpoints[0].http_url == "http://x:8080"
