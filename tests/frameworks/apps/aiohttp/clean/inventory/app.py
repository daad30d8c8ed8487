"""Application factory: middlewares, routes, CORS, and the clients' lifecycle."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp_cors
from aiohttp import web

from inventory import logs, settings
from inventory.auth import auth_middleware
from inventory.cache import Cache
from inventory.clients import Notifier, PricingClient, open_session
from inventory.constants import Role
from inventory.db import Database
from inventory.keys import CACHE, DB, HTTP, METRICS, NOTIFIER, PRICING
from inventory.metrics import Metrics, metrics_middleware
from inventory.passwords import hash_password
from inventory.routes import routes
from inventory.security import https_middleware

log = logging.getLogger(__name__)


async def clients(app: web.Application) -> AsyncIterator[None]:
    app[CACHE] = Cache(settings.REDIS_URL)
    app[HTTP] = open_session()
    app[PRICING] = PricingClient(app[HTTP], settings.PRICING_URL)
    app[NOTIFIER] = Notifier(app[HTTP], settings.NOTIFY_URL)
    await bootstrap_admin(app)
    yield
    await app[HTTP].close()
    await app[CACHE].close()
    await app[DB].close()


async def bootstrap_admin(app: web.Application) -> None:
    """First start of an empty database: create ``admin`` when a password is provided."""
    if not settings.BOOTSTRAP_ADMIN_PASSWORD:
        return
    if await app[DB].get_user("admin") is None:
        await app[DB].create_user(
            "admin", hash_password(settings.BOOTSTRAP_ADMIN_PASSWORD), Role.ADMIN.value
        )
        log.info("bootstrap admin created")


def setup_cors(app: web.Application) -> None:
    options = aiohttp_cors.ResourceOptions(
        allow_credentials=True,
        allow_headers=("Authorization", "Content-Type"),
        allow_methods=("GET", "POST"),
    )
    cors = aiohttp_cors.setup(
        app, defaults={origin: options for origin in settings.CORS_ALLOWED_ORIGINS}
    )
    for route in list(app.router.routes()):
        if route.resource is not None and route.resource.canonical.startswith("/api/"):
            cors.add(route)


def create_app(*, db: Any = None) -> web.Application:
    logs.configure(settings.LOG_LEVEL)
    app = web.Application(middlewares=[https_middleware, metrics_middleware, auth_middleware])
    app[DB] = db if db is not None else Database(settings.DATABASE_URL)
    app[METRICS] = Metrics()
    app.cleanup_ctx.append(clients)
    app.add_routes(routes)
    setup_cors(app)
    return app
