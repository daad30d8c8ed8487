"""One whole audit over every kind of network target: the scorecard shows exactly the flaws.

The same system is audited twice: clean, then with one flaw injected per
category (a certificate expiring in 10 days: security; a gRPC service NOT_SERVING:
resilience; a JSON placeholder at /metrics: monitoring; a health route slower
than the latency budget: performance). The clean run scores 100 in each of those
categories; the flawed run fails exactly the four injected checks and lowers
exactly those four categories.
"""

from __future__ import annotations

import json
import sqlite3
import ssl
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from tests.servers.grpc_server import HealthServer
from tests.servers.http import GOOD_HEADERS, Route, http_server
from tests.servers.tls import Pki, https_server

CATEGORIES = ("security", "resilience", "monitoring", "performance")
INJECTED = {("tls.cert-expiry", "shop"), ("grpc.health", "orders"),
            ("health.metrics", "shop"), ("health.latency-p95", "shop")}


def _metrics() -> bytes:
    registry = CollectorRegistry()
    Gauge("shop_up", "Up", registry=registry).set(1)
    return generate_latest(registry)


def _system(tmp: Path, flawed: bool, started: list[Any]) -> dict[str, Any]:
    pki = Pki.create(tmp / "pki")
    cert = pki.write("shop", pki.leaf(days_left=10) if flawed else pki.leaf())
    metrics = (Route(headers={"Content-Type": "application/json"}, body=b'{"up": 1}') if flawed
               else Route(headers={"Content-Type": CONTENT_TYPE_LATEST}, body=_metrics()))
    shop = https_server(*cert, {
        "*": Route(headers=GOOD_HEADERS),
        "/health": Route(headers=GOOD_HEADERS, body=b'{"status": "ok"}',
                         delay_s=1.0 if flawed else 0.0),
        "/metrics": metrics,
    }, versions=(ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3))
    redirect = http_server({"*": Route(301, {"Location": shop.url()}, b"")})
    grpc = HealthServer({"": "SERVING", "shop.Orders": "NOT_SERVING" if flawed else "SERVING"})
    started.extend([shop, redirect, grpc])
    sqlite_path = tmp / "shop.db"
    with sqlite3.connect(sqlite_path) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, cents INTEGER)")
        conn.executemany("INSERT INTO orders (cents) VALUES (?)", [(i,) for i in range(100)])
    conn.close()
    return {
        "system": "shop",
        "endpoints": [{
            "name": "shop", "url": shop.url(), "health": "/health", "metrics": "/metrics",
            "http_url": redirect.url(), "timeout": 5,
            "tls": {"ca_bundle": str(pki.ca_bundle)},
            # Far from both: 0 ms passes even on a loaded machine, 1,000 ms always fails.
            "latency": {"samples": 6, "concurrency": 3, "p95_budget_ms": 700},
        }],
        "grpc": [{"name": "orders", "target": grpc.target, "service": "shop.Orders"}],
        "databases": [{"name": "orders-db", "sqlite": str(sqlite_path)}],
        # one or two checks a category: score each (the threshold has its own tests)
        "scoring": {"min_checks": 0},
    }


def _audit(pytester: pytest.Pytester, config: dict[str, Any]) -> dict[str, Any]:
    (pytester.path / "readiness.yaml").write_text(json.dumps(config), encoding="utf-8")
    # cert-manager renews the shop's certificate (tls.auto-renewal confirms it).
    (pytester.path / "certificate.yaml").write_text(
        "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: shop}\n"
        "spec: {secretName: shop-tls, dnsNames: [localhost]}\n", encoding="utf-8")
    args = ["--readiness", "--readiness-json", "out.json", "-p", "no:cacheprovider"]
    for suite in ("tls", "http", "health", "db", "grpc"):
        args += ["--readiness-suite", suite]
    pytester.runpytest(*args)
    return json.loads((pytester.path / "out.json").read_text(encoding="utf-8"))


def _scores(record: dict[str, Any]) -> dict[str, float | None]:
    return {c["name"]: c["score"] for c in record["scorecard"]["categories"]}


@pytest.mark.slow
@pytest.mark.parametrize("flawed", [False, True], ids=["clean", "flawed"])
def test_scorecard_reflects_exactly_the_injected_flaws(
        pytester: pytest.Pytester, tmp_path: Path, started: list[Any], flawed: bool) -> None:
    record = _audit(pytester, _system(tmp_path, flawed, started))
    bad = {(c["id"], c["target"]) for c in record["checks"] if c["outcome"] in ("fail", "error")}
    scores = _scores(record)
    ran = {c["id"] for c in record["checks"] if c["outcome"] != "skip"}
    assert {"tls.cert-expiry", "http.hsts", "health.endpoint", "health.metrics",
            "health.latency-p95", "grpc.health", "db.sqlite-integrity"} <= ran
    if not flawed:
        assert bad == set(), [(c["id"], c["message"]) for c in record["checks"]
                              if c["outcome"] in ("fail", "error")]
        assert {name: scores[name] for name in CATEGORIES} == {name: 100.0 for name in CATEGORIES}
    else:
        assert bad == INJECTED, [(c["id"], c["outcome"], c["message"]) for c in record["checks"]
                                 if c["outcome"] in ("fail", "error", "warn")]
        for name in CATEGORIES:
            assert scores[name] is not None and scores[name] < 100.0, (name, scores)
        failed_categories = {c["category"] for c in record["checks"] if c["outcome"] == "fail"}
        assert failed_categories == set(CATEGORIES)
