"""HTTP security headers and health/latency/metrics suites against real HTTP(S) servers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from tests.servers.http import GOOD_HEADERS, Route, http_server
from tests.servers.tls import Pki, https_server

HEADER_CHECKS = ("http.hsts", "http.nosniff", "http.framing", "http.referrer-policy",
                 "http.csp", "http.cors", "http.redirect-https")


def metrics_page() -> bytes:
    registry = CollectorRegistry()
    Counter("app_requests", "Requests served", ["route"], registry=registry).labels("/").inc(3)
    Gauge("app_up", "Up", registry=registry).set(1)
    return generate_latest(registry)


@pytest.fixture(scope="session")
def web(network_dir: Path, started: list[Any]) -> dict[str, Any]:
    pki = Pki.create(network_dir / "web-pki")
    cert = pki.write("web", pki.leaf())
    good = https_server(*cert, {"*": Route(headers=GOOD_HEADERS | {
        "Access-Control-Allow-Origin": "https://app.example",
        "Access-Control-Allow-Credentials": "true"})})
    bad = https_server(*cert, {"*": Route(headers={
        "Strict-Transport-Security": "max-age=600", "X-Frame-Options": "ALLOWALL",
        "Referrer-Policy": "unsafe-url",
        "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"})})
    reflect = https_server(*cert, {"*": Route(headers=GOOD_HEADERS | {
        "Access-Control-Allow-Origin": "https://readiness-probe.invalid",
        "Access-Control-Allow-Credentials": "true"})})
    redirect = http_server({"*": Route(301, {"Location": good.url()}, b"")})
    plain = http_server({
        "/": Route(headers={"X-Content-Type-Options": "nosniff"}),
        "/health": Route(body=b'{"status": "ok"}'),
        "/down": Route(503, body=b"db unreachable"),
        "/slow": Route(delay_s=0.3),
        "/metrics": Route(headers={"Content-Type": CONTENT_TYPE_LATEST}, body=metrics_page()),
        "/metrics.json": Route(headers={"Content-Type": "application/json"},
                               body=json.dumps({"requests": 3}).encode()),
        "/metrics.bad": Route(body=b"app_requests{route=\"/\" 3\n"),
    })
    started.extend([good, bad, reflect, redirect, plain])
    return {"good": good, "bad": bad, "reflect": reflect, "redirect": redirect, "plain": plain,
            "ca": str(pki.ca_bundle)}


def test_security_headers_good_bad_and_plain(web, run_network) -> None:
    ca = {"ca_bundle": web["ca"]}
    config = {"endpoints": [
        {"name": "good", "url": web["good"].url(), "tls": ca, "http_url": web["redirect"].url()},
        {"name": "bad", "url": web["bad"].url(), "tls": ca, "http_url": web["plain"].url()},
        {"name": "reflect", "url": web["reflect"].url(), "tls": ca, "redirect_http": False},
        {"name": "plain", "url": web["plain"].url()},
    ]}
    run = run_network(config, "http")
    assert run.outcomes("good") == {c: "pass" for c in HEADER_CHECKS}
    assert run.outcomes("bad") == {c: "fail" for c in HEADER_CHECKS}
    assert run.outcomes("reflect") == {c: "pass" for c in HEADER_CHECKS} | {
        "http.cors": "fail", "http.redirect-https": "skip"}
    assert run.outcomes("plain") == {c: "fail" for c in HEADER_CHECKS} | {
        "http.hsts": "skip", "http.nosniff": "pass", "http.cors": "pass"}

    hsts = run.check("http.hsts", "good")["evidence"]
    assert (hsts["max_age"], hsts["include_subdomains"], hsts["preload"]) == (63072000, True, True)
    assert run.check("http.hsts", "bad")["message"].startswith(
        "Strict-Transport-Security max-age is 600")
    cors = run.check("http.cors", "bad")
    assert "Access-Control-Allow-Origin: * with" in cors["message"]
    assert cors["evidence"]["headers"]["Access-Control-Allow-Origin"] == "*"
    assert "reflected" in run.check("http.cors", "reflect")["message"]
    assert run.check("http.redirect-https", "good")["evidence"]["location"] == web["good"].url()
    assert "without redirect" in run.check("http.redirect-https", "bad")["message"]
    assert run.check("http.framing", "bad")["evidence"]["headers"]["X-Frame-Options"] == "ALLOWALL"


def test_health_latency_and_metrics(web, run_network) -> None:
    base = web["plain"].url()
    fast = {"samples": 10, "concurrency": 5}
    config = {"endpoints": [
        # A generous budget where the check must pass: a loaded CI machine adds latency.
        {"name": "ok", "url": base, "health": "/health", "metrics": "/metrics",
         "latency": fast | {"p95_budget_ms": 2000}},
        {"name": "down", "url": base, "health": "/down", "metrics": "/metrics.json",
         "latency": fast},
        {"name": "slow", "url": base, "health": "/slow", "metrics": "/metrics.bad",
         "latency": fast | {"p95_budget_ms": 200}},
    ]}
    run = run_network(config, "health")
    assert run.outcomes("ok") == {"health.endpoint": "pass", "health.latency-p95": "pass",
                                  "health.metrics": "pass"}
    assert run.outcomes("down") == {"health.endpoint": "fail", "health.latency-p95": "error",
                                    "health.metrics": "fail"}
    assert run.outcomes("slow") == {"health.endpoint": "pass", "health.latency-p95": "fail",
                                    "health.metrics": "fail"}

    latency = run.check("health.latency-p95", "ok")["evidence"]
    assert latency["samples"] == 10 and latency["errors"] == 0
    assert latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"] <= latency["max_ms"]
    slow = run.check("health.latency-p95", "slow")
    assert slow["evidence"]["p95_ms"] >= 300 and "exceeds the 200 ms budget" in slow["message"]
    assert "none of 10 requests succeeded: HTTP 503" in run.check(
        "health.latency-p95", "down")["message"]
    metrics = run.check("health.metrics", "ok")["evidence"]
    assert {"app_requests", "app_up"} <= set(metrics["metric_names"])
    assert metrics["samples"] >= 3
    assert "JSON document" in run.check("health.metrics", "down")["message"]
    assert "not valid exposition format" in run.check("health.metrics", "slow")["message"]
    assert run.check("health.endpoint", "down")["evidence"]["body"] == "db unreachable"
    categories = {c["name"]: c for c in run.record["scorecard"]["categories"]}
    assert set(categories) >= {"resilience", "performance", "monitoring"}
