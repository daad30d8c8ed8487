"""Application factory: hooks, blueprints, CORS, and what the views depend on."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from accounts import logs, settings
from accounts.auth import authenticate
from accounts.cache import Cache
from accounts.clients import Notifier, PricingClient, open_session
from accounts.constants import Role
from accounts.db import Database
from accounts.deps import Deps, Metrics
from accounts.metrics import init_metrics
from accounts.passwords import hash_password
from accounts.routes import admin, api, ops
from accounts.security import init_security

log = logging.getLogger(__name__)


def bootstrap_admin(db: Any) -> None:
    """First start of an empty database: create ``admin`` when a password is provided."""
    if settings.BOOTSTRAP_ADMIN_PASSWORD and db.get_user("admin") is None:
        db.create_user("admin", hash_password(settings.BOOTSTRAP_ADMIN_PASSWORD), Role.ADMIN.value)
        log.info("bootstrap admin created")


def create_app(*, db: Any = None) -> Flask:
    logs.configure(settings.LOG_LEVEL)
    app = Flask(__name__)
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]
    session = open_session()
    app.extensions["accounts"] = Deps(
        db=db if db is not None else Database(settings.DATABASE_URL),
        cache=Cache(settings.REDIS_URL),
        pricing=PricingClient(session, settings.PRICING_URL),
        notifier=Notifier(session, settings.NOTIFY_URL),
        metrics=Metrics.create(),
    )
    init_security(app)
    init_metrics(app)
    app.before_request(authenticate)
    CORS(app, resources={r"/api/*": {"origins": settings.CORS_ALLOWED_ORIGINS}},
         supports_credentials=True)
    for blueprint in (ops, api, admin):
        app.register_blueprint(blueprint)
    bootstrap_admin(app.extensions["accounts"].db)
    return app
