"""aiohttp apps: served by an AppRunner on 127.0.0.1 in a thread with its own event loop."""

from __future__ import annotations

import asyncio
import importlib
import threading
from typing import Any

from tests.frameworks.harness.fakes import AsyncMemoryDatabase, MemoryDatabase
from tests.frameworks.harness.loopback import LoopbackClient
from tests.frameworks.harness.observe import HttpShape, observe_http
from tests.frameworks.harness.session import Session

PREIMPORT = ("aiohttp.web", "aiohttp_cors", "jwt", "redis.asyncio", "psycopg",
             "prometheus_client", "requests")


def exercise(session: Session, package: str) -> dict[str, Any]:
    from aiohttp import web

    create_app = importlib.import_module(f"{package}.app").create_app
    rows = session.seed_users(MemoryDatabase(), importlib.import_module(f"{package}.passwords"))
    app = create_app(db=AsyncMemoryDatabase(rows))
    session.install_tripwires()

    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, access_log=None)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        return observe_http(
            LoopbackClient(port), session.keys, HttpShape(events=("ws", "/api/stream")),
            break_dependencies=lambda: setattr(rows, "healthy", False),
            webhook_hits=lambda: session.upstreams.hits,
        )
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
