"""Authentication middleware and role checks.

Every route needs a valid bearer token except the exact paths in PUBLIC_PATHS
(``/metrics`` checks its own scrape token in the handler).
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from inventory import settings, tokens
from inventory.constants import SESSION_COOKIE, TOKEN_URL
from inventory.keys import CACHE, USER

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PUBLIC_PATHS = frozenset({"/health", "/metrics", TOKEN_URL})


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip() or None
    # Browsers cannot set headers on a WebSocket handshake: the console sends the cookie.
    return request.cookies.get(SESSION_COOKIE) if request.path == "/api/stream" else None


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in PUBLIC_PATHS or request.method == "OPTIONS":
        return await handler(request)
    token = bearer_token(request)
    if token is None:
        raise web.HTTPUnauthorized(text="missing bearer token")
    try:
        request[USER] = await tokens.verify(request.app[CACHE], token)
    except tokens.InvalidToken as exc:
        log.info("rejected token on %s: %s", request.path, exc)
        raise web.HTTPUnauthorized(text="invalid token") from None
    return await handler(request)


def require_role(role: str) -> Callable[[Handler], Handler]:
    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            user: dict[str, Any] | None = request.get(USER)
            if user is None:
                raise web.HTTPUnauthorized(text="missing bearer token")
            if user.get("role") != role:
                raise web.HTTPForbidden(text=f"{role} role required")
            return await handler(request)

        return checked

    return decorate


def scrape_token_ok(request: web.Request) -> bool:
    """Prometheus sends ``Authorization: Bearer <METRICS_TOKEN>`` (its bearer_token_file)."""
    supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return hmac.compare_digest(supplied.encode(), settings.METRICS_TOKEN.encode())
