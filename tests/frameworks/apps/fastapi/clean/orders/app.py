"""Application factory: middleware stack, routers, and the clients' lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.httpsredirect import HTTPSRedirectMiddleware

from orders import logs, settings
from orders.archive import InvoiceArchive
from orders.cache import Cache
from orders.clients import Notifier, PricingClient, open_client
from orders.constants import Role
from orders.db import Database
from orders.middleware import Metrics, MetricsMiddleware, SecurityHeadersMiddleware
from orders.passwords import hash_password
from orders.routes import admin, api, root

log = logging.getLogger(__name__)


async def bootstrap_admin(app: FastAPI) -> None:
    """First start of an empty database: create ``admin`` when a password is provided."""
    if not settings.BOOTSTRAP_ADMIN_PASSWORD:
        return
    if await app.state.db.get_user("admin") is None:
        await app.state.db.create_user(
            "admin", hash_password(settings.BOOTSTRAP_ADMIN_PASSWORD), Role.ADMIN.value
        )
        log.info("bootstrap admin created")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.cache = Cache(settings.REDIS_URL)
    app.state.http = open_client()
    app.state.pricing = PricingClient(app.state.http, settings.PRICING_URL)
    app.state.notifier = Notifier(app.state.http, settings.NOTIFY_URL)
    app.state.archive = InvoiceArchive(settings.INVOICE_BUCKET, settings.AWS_REGION)
    await bootstrap_admin(app)
    yield
    await app.state.http.aclose()
    await app.state.cache.close()
    await app.state.db.close()


def create_app(*, db: Any = None) -> FastAPI:
    logs.configure(settings.LOG_LEVEL)
    app = FastAPI(title="orders", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.db = db if db is not None else Database(settings.DATABASE_URL)
    app.state.metrics = Metrics()
    # Added last runs first: redirect, then security headers, CORS, metrics.
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.CORS_ALLOWED_ORIGINS,
        allow_credentials=True,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(HTTPSRedirectMiddleware)
    app.include_router(root)
    app.include_router(api)
    app.include_router(admin)
    return app
