"""gRPC: the standard health service (grpc.health.v1) and keepalive sanity. No pytest here.

Channels are TLS-verified when the service is configured with ``tls: true`` (system
roots or the configured CA bundle); plaintext only when the config says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from pytest_readiness.plumbing.netpool import ProbeFailure, ProbeTimeout


@dataclass(frozen=True)
class HealthStatus:
    service: str
    status: str  # SERVING, NOT_SERVING, SERVICE_UNKNOWN, UNKNOWN


def _channel(target: str, tls: bool, ca_bundle: str | None) -> grpc.Channel:
    """A channel for one health Check with a deadline, closed after it.

    Keepalive, retries and a circuit breaker serve long-lived clients; for this
    probe a retry would hide the very failure it reports.
    """
    if not tls:
        # readiness: ignore[resilience.*,transport.grpc-plaintext] tls: false, one call
        return grpc.insecure_channel(target)
    roots = Path(ca_bundle).read_bytes() if ca_bundle else None
    # readiness: ignore[resilience.*] one-shot probe channel: one call, then closed
    return grpc.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=roots))


def health(target: str, service: str, timeout: float, name: str, tls: bool = False,
           ca_bundle: str | None = None) -> HealthStatus:
    """Ask grpc.health.v1.Health/Check; the whole call (connect included) has ``timeout``."""
    channel = _channel(target, tls, ca_bundle)
    try:
        stub = health_pb2_grpc.HealthStub(channel)
        reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout,
                           wait_for_ready=False)
    except grpc.RpcError as exc:
        code = exc.code() if hasattr(exc, "code") else None
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            raise ProbeTimeout(name, "health call", timeout) from None
        if code == grpc.StatusCode.NOT_FOUND:
            return HealthStatus(service, "SERVICE_UNKNOWN")
        detail = exc.details() if hasattr(exc, "details") else str(exc)
        raise ProbeFailure(name, "health call", f"{code.name if code else 'error'}: "
                           f"{(detail or '')[:200]}") from None
    finally:
        channel.close()
    return HealthStatus(service, health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


def keepalive_problems(time_ms: int, timeout_ms: int, permit_without_calls: bool) -> list[str]:
    """What is wrong with client keepalive settings (gRPC's own guidance, A8)."""
    problems = []
    if time_ms < 10_000:
        problems.append(f"keepalive time {time_ms} ms is under 10 s: servers answer with "
                        "GOAWAY too_many_pings (their default minimum is 5 min)")
    if timeout_ms >= time_ms:
        problems.append(f"keepalive timeout {timeout_ms} ms is not shorter than the keepalive "
                        f"time {time_ms} ms")
    if timeout_ms < 1_000:
        problems.append(f"keepalive timeout {timeout_ms} ms is under 1 s: slow networks look dead")
    if permit_without_calls and time_ms < 60_000:
        problems.append("permit_without_calls with a keepalive time under 60 s pings idle "
                        "connections too often")
    return problems
