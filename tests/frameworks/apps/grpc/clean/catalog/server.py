"""Server assembly: interceptors, services, TLS port, metrics over mutual TLS."""

from __future__ import annotations

import logging
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2_grpc
from prometheus_client import start_http_server

from catalog import logs, settings
from catalog.cache import Cache
from catalog.constants import Role
from catalog.db import Database
from catalog.health import DependencyHealth
from catalog.interceptors import AuthInterceptor, Metrics, MetricsInterceptor
from catalog.passwords import hash_password
from catalog.protos import services
from catalog.servicers import AdminServicer, AuthServicer, CatalogServicer
from catalog.upstream import inventory_channel

log = logging.getLogger(__name__)


def server_credentials() -> grpc.ServerCredentials:
    return grpc.ssl_server_credentials(
        [(Path(settings.TLS_KEY_FILE).read_bytes(), Path(settings.TLS_CERT_FILE).read_bytes())]
    )


def bootstrap_admin(db: Any) -> None:
    """First start of an empty database: create ``admin`` when a password is provided."""
    if settings.BOOTSTRAP_ADMIN_PASSWORD and db.get_user("admin") is None:
        db.create_user("admin", hash_password(settings.BOOTSTRAP_ADMIN_PASSWORD), Role.ADMIN.value)


def start_metrics(metrics: Metrics) -> None:
    """Prometheus scrapes over mutual TLS: no client certificate, no metrics."""
    start_http_server(
        settings.METRICS_PORT, addr=settings.METRICS_ADDRESS, registry=metrics.registry,
        certfile=settings.TLS_CERT_FILE, keyfile=settings.TLS_KEY_FILE,
        client_cafile=settings.METRICS_CLIENT_CA_FILE, client_auth_required=True,
    )


def build_server(*, db: Any = None) -> grpc.Server:
    """The server with its ports bound and metrics served; ``start()`` is the caller's."""
    logs.configure(settings.LOG_LEVEL)
    db = db if db is not None else Database(settings.DATABASE_URL)
    cache = Cache(settings.REDIS_URL)
    metrics = Metrics()
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=settings.MAX_WORKERS),
        interceptors=[MetricsInterceptor(metrics), AuthInterceptor(cache)],
    )
    services.add_CatalogServicer_to_server(CatalogServicer(db, inventory_channel()), server)
    services.add_AuthServicer_to_server(AuthServicer(db, cache), server)
    services.add_AdminServicer_to_server(AdminServicer(db), server)
    health_pb2_grpc.add_HealthServicer_to_server(DependencyHealth(db, cache), server)
    server.add_secure_port(settings.LISTEN_ADDRESS, server_credentials())
    start_metrics(metrics)
    bootstrap_admin(db)
    return server


def serve() -> None:
    server = build_server()
    server.start()
    log.info("serving on %s", settings.LISTEN_ADDRESS)
    server.wait_for_termination()
