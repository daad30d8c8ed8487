"""Server interceptors: authentication and roles per method, request metrics."""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable
from typing import Any

import grpc
from prometheus_client import CollectorRegistry, Counter, Histogram

from catalog import tokens
from catalog.cache import Cache
from catalog.constants import LOGIN_METHOD, Role

log = logging.getLogger(__name__)

CLAIMS: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("claims")

PUBLIC_METHODS = frozenset({
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    LOGIN_METHOD,
})
ADMIN_METHODS = frozenset({"/catalog.v1.Auth/LoginAs", "/catalog.v1.Admin/ListUsers"})


def _deny(code: grpc.StatusCode, detail: str) -> grpc.RpcMethodHandler:
    def abort(request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(code, detail)

    return grpc.unary_unary_rpc_method_handler(abort)


def _with_claims(handler: grpc.RpcMethodHandler, claims: dict[str, Any]) -> grpc.RpcMethodHandler:
    inner: Callable[..., Any] = handler.unary_unary

    def call(request: Any, context: grpc.ServicerContext) -> Any:
        reset = CLAIMS.set(claims)
        try:
            return inner(request, context)
        finally:
            CLAIMS.reset(reset)

    return handler._replace(unary_unary=call)  # type: ignore[attr-defined]


def bearer_token(metadata: Any) -> str | None:
    header = dict(metadata or ()).get("authorization", "")
    if not header.startswith("Bearer "):
        return None
    return header.removeprefix("Bearer ").strip() or None


class AuthInterceptor(grpc.ServerInterceptor):
    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    def intercept_service(self, continuation: Callable[..., Any],
                          details: grpc.HandlerCallDetails) -> Any:
        if details.method in PUBLIC_METHODS:
            return continuation(details)
        token = bearer_token(details.invocation_metadata)
        if token is None:
            return _deny(grpc.StatusCode.UNAUTHENTICATED, "bearer token required")
        try:
            claims = tokens.verify(self._cache, token)
        except tokens.InvalidToken as exc:
            log.info("rejected token on %s: %s", details.method, exc)
            return _deny(grpc.StatusCode.UNAUTHENTICATED, "invalid token")
        if details.method in ADMIN_METHODS and claims.get("role") != Role.ADMIN:
            return _deny(grpc.StatusCode.PERMISSION_DENIED, "admin role required")
        handler = continuation(details)
        return _with_claims(handler, claims) if handler is not None else None


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.calls = Counter("grpc_server_handled_total", "RPCs handled", ["method"],
                             registry=self.registry)
        self.latency = Histogram("grpc_server_handling_seconds", "RPC latency", ["method"],
                                 registry=self.registry)


class MetricsInterceptor(grpc.ServerInterceptor):
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def intercept_service(self, continuation: Callable[..., Any],
                          details: grpc.HandlerCallDetails) -> Any:
        handler = continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        inner, metrics, method = handler.unary_unary, self._metrics, details.method

        def timed(request: Any, context: grpc.ServicerContext) -> Any:
            started = time.perf_counter()
            try:
                return inner(request, context)
            finally:
                metrics.calls.labels(method).inc()
                metrics.latency.labels(method).observe(time.perf_counter() - started)

        return handler._replace(unary_unary=timed)
