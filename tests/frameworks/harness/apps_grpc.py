"""grpcio (synchronous) apps: the server in its own thread pool, called over TLS."""

from __future__ import annotations

import importlib
from typing import Any

from tests.frameworks.harness.fakes import MemoryDatabase
from tests.frameworks.harness.grpc_observe import Bindings, observe_grpc
from tests.frameworks.harness.session import Session

# Imported, never used, before the fork: no channel or server exists in the parent.
PREIMPORT = ("jwt", "redis", "psycopg", "prometheus_client", "grpc", "grpc_health.v1.health",
             "grpc_tools.protoc")


def exercise(session: Session, package: str) -> dict[str, Any]:
    bindings = Bindings()
    bindings.install()
    server_module = importlib.import_module(f"{package}.server")
    protos = importlib.import_module(f"{package}.protos")
    rows = session.seed_users(MemoryDatabase(), importlib.import_module(f"{package}.passwords"))
    server = server_module.build_server(db=rows)
    session.install_tripwires()
    server.start()
    try:
        return observe_grpc(bindings, protos, session.keys, session.upstreams.cert,
                            session.upstreams.key,
                            break_dependencies=lambda: setattr(rows, "healthy", False))
    finally:
        server.stop(grace=None)
