"""grpc.aio apps: the server on an event loop in its own thread, called over TLS."""

from __future__ import annotations

import asyncio
import importlib
import threading
from typing import Any

from tests.frameworks.harness.fakes import AsyncMemoryDatabase, MemoryDatabase
from tests.frameworks.harness.grpc_observe import Bindings, observe_grpc
from tests.frameworks.harness.session import Session

# Imported, never used, before the fork: no channel or server exists in the parent.
PREIMPORT = ("jwt", "redis.asyncio", "psycopg", "prometheus_client", "pymongo", "grpc",
             "grpc.aio", "grpc_health.v1.health", "grpc_tools.protoc")


def exercise(session: Session, package: str) -> dict[str, Any]:
    bindings = Bindings()
    bindings.install()
    server_module = importlib.import_module(f"{package}.server")
    protos = importlib.import_module(f"{package}.protos")
    rows = session.seed_users(MemoryDatabase(), importlib.import_module(f"{package}.passwords"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=30)

    server = run(server_module.build_server(db=AsyncMemoryDatabase(rows)))
    session.install_tripwires()
    run(server.start())
    try:
        return observe_grpc(bindings, protos, session.keys, session.upstreams.cert,
                            session.upstreams.key,
                            break_dependencies=lambda: setattr(rows, "healthy", False))
    finally:
        run(server.stop(grace=None))
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
