"""The gRPC suite against a real grpc.health.v1 server and a silent peer."""

from __future__ import annotations

import pytest

from pytest_readiness.probes.network import grpc as grpc_probe
from tests.servers import silent
from tests.servers.grpc_server import HealthServer


def test_grpc_health_and_keepalive(run_network) -> None:
    server = HealthServer({"": "SERVING", "api.Orders": "SERVING", "api.Billing": "NOT_SERVING"})
    peer = silent.silent()
    try:
        run = run_network({"grpc": [
            {"name": "server", "target": server.target},
            {"name": "orders", "target": server.target, "service": "api.Orders",
             "keepalive": {"time_ms": 30000, "timeout_ms": 10000}},
            {"name": "billing", "target": server.target, "service": "api.Billing",
             "keepalive": {"time_ms": 1000, "timeout_ms": 5000}},
            {"name": "unknown", "target": server.target, "service": "api.Nope"},
            {"name": "hung", "target": f"127.0.0.1:{peer.port}", "timeout": 1.5},
        ]}, "grpc")
    finally:
        server.stop()
        peer.stop()
    assert {n: run.outcome("grpc.health", n) for n in
            ("server", "orders", "billing", "unknown", "hung")} == {
        "server": "pass", "orders": "pass", "billing": "fail", "unknown": "fail", "hung": "error"}
    assert run.check("grpc.health", "billing")["evidence"]["status"] == "NOT_SERVING"
    assert run.check("grpc.health", "unknown")["evidence"]["status"] == "SERVICE_UNKNOWN"
    assert run.check("grpc.health", "hung")["message"] == \
        "CheckError: hung: health call timed out after 1.5s"
    assert {n: run.outcome("grpc.keepalive", n) for n in ("server", "orders", "billing")} == {
        "server": "skip", "orders": "pass", "billing": "fail"}


@pytest.mark.parametrize(("time_ms", "timeout_ms", "permit", "count"), [
    (30_000, 10_000, False, 0), (5_000, 1_000, False, 1), (20_000, 20_000, True, 2),
    (60_000, 500, False, 1)])
def test_keepalive_rules(time_ms: int, timeout_ms: int, permit: bool, count: int) -> None:
    assert len(grpc_probe.keepalive_problems(time_ms, timeout_ms, permit)) == count
