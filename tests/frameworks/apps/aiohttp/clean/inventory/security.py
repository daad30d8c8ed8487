"""Transport security: HTTPS only (TLS ends at the ingress, which sets X-Forwarded-Proto)."""

from __future__ import annotations

from aiohttp import web

from inventory import settings
from inventory.auth import Handler

# Probes of the orchestrator and the load balancer speak plain HTTP to the pod.
PROBE_PATHS = frozenset({"/health"})


def is_https(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"


@web.middleware
async def https_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not is_https(request) and request.path not in PROBE_PATHS:
        raise web.HTTPPermanentRedirect(request.url.with_scheme("https"))
    response = await handler(request)
    response.headers["Strict-Transport-Security"] = (
        f"max-age={settings.HSTS_SECONDS}; includeSubDomains"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
