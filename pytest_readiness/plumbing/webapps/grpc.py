"""gRPC servers read statically (grpcio and grpc.aio): ``grpc.server(interceptors=[...])``,
``add_*Servicer_to_server`` registrations, server interceptors and whether the server
names them, the public-method list an auth interceptor compares ``details.method`` with,
and a Prometheus ``start_http_server`` beside it. Pure, no pytest."""

from __future__ import annotations

import ast

from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.webapps.model import (
    App,
    Code,
    Gate,
    Route,
    apply_gates,
    denies,
    exclusion_of,
)

SERVERS = ("grpc.server", "grpc.aio.server")
INTERCEPTORS = ("ServerInterceptor",)


def read(code: Code) -> list[App]:
    modules = code.importing("grpc")
    apps: list[App] = []
    routes: list[Route] = []
    for m in modules:
        for call in m.calls:
            if call.name in SERVERS:
                apps.append(App("grpc", m.rel, call.line))
            tail = pyast.tail(call.name)
            if tail.startswith("add_") and tail.endswith("Servicer_to_server"):
                service = tail[len("add_"):-len("Servicer_to_server")]
                if "health" in call.name.lower() or service == "Health":
                    service = "grpc.health.v1.Health"
                routes.append(Route("grpc", "RPC", f"/{service}/*", service, m.rel,
                                    call.line, (), "rpc"))
    if not apps:
        return []
    gates: list[Gate] = []
    for m in modules:
        for cls in m.of(ast.ClassDef):
            if any(pyast.tail(m.resolve(b)) in INTERCEPTORS for b in cls.bases):
                gates.append(Gate("grpc", cls.name, m.rel, cls.lineno, code.referenced(cls.name),
                                  denies(cls, m), exclusion_of(code, m, cls), "interceptor"))
    for m in code.importing("prometheus_client"):
        for call in m.calls:
            if call.name == "prometheus_client.start_http_server":
                guarded = call.keyword("client_auth_required") is not None or \
                    call.keyword("certfile") is not None
                routes.append(Route("prometheus_client", "GET", "/metrics",
                                    "start_http_server", m.rel, call.line,
                                    ("mutual TLS",) if guarded else (), "metrics-server"))
    app = apps[0]
    applied = apply_gates([r for r in routes if r.kind == "rpc"], gates)
    app.routes = applied + [r for r in routes if r.kind != "rpc"]
    app.gates = gates
    return [app]
