"""gRPC: each configured service reports SERVING on grpc.health.v1; keepalive is sane."""

from __future__ import annotations

import pytest

from pytest_readiness import CheckError, Recorder
from pytest_readiness.config import GrpcService
from pytest_readiness.plumbing.netpool import ProbeFailure, ProbeTimeout
from pytest_readiness.probes.network import grpc as grpc_probe

pytestmark = pytest.mark.readiness(section="gRPC", category="resilience")


@pytest.mark.readiness(id="grpc.health", severity="critical",
                       fix="Register grpc.health.v1 (grpcio-health-checking) and set SERVING "
                           "for the service once it can serve")
def test_health_serving(grpc_service: GrpcService, readiness: Recorder) -> None:
    """The standard health service reports SERVING for the configured service."""
    svc = grpc_service
    readiness.evidence(target=svc.target, service=svc.service or "(server)", tls=svc.tls)
    try:
        status = grpc_probe.health(svc.target, svc.service, svc.timeout, svc.name, svc.tls,
                                   svc.ca_bundle)
    except (ProbeTimeout, ProbeFailure) as exc:
        raise CheckError(str(exc)) from None
    readiness.evidence(status=status.status)
    assert status.status == "SERVING", \
        f"{svc.service or 'the server'} reports {status.status} on {svc.target}"


@pytest.mark.readiness(id="grpc.keepalive", severity="low",
                       fix="Use keepalive time >= 10 s (typically 30-60 s), a timeout shorter "
                           "than it, and match the server's min ping interval")
def test_keepalive_sane(grpc_service: GrpcService, readiness: Recorder) -> None:
    """Declared channel keepalive settings are sane."""
    keepalive = grpc_service.keepalive
    if keepalive is None:
        pytest.skip(f"not applicable: no keepalive declared for {grpc_service.name}")
    readiness.evidence(time_ms=keepalive.time_ms, timeout_ms=keepalive.timeout_ms,
                       permit_without_calls=keepalive.permit_without_calls)
    problems = grpc_probe.keepalive_problems(keepalive.time_ms, keepalive.timeout_ms,
                                             keepalive.permit_without_calls)
    assert not problems, "; ".join(problems)
