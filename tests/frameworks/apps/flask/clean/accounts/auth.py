"""Authentication for every request but the exact public paths; role checks per view."""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, g, request

from accounts import settings, tokens
from accounts.constants import TOKEN_URL, Role
from accounts.deps import deps

log = logging.getLogger(__name__)
View = TypeVar("View", bound=Callable[..., Any])

PUBLIC_PATHS = frozenset({"/health", "/metrics", TOKEN_URL})


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return header.removeprefix("Bearer ").strip() or None


def authenticate() -> None:
    """before_request hook: sets ``g.user`` from the bearer token, or answers 401."""
    if request.path in PUBLIC_PATHS or request.method == "OPTIONS":
        return
    token = bearer_token()
    if token is None:
        abort(401, "missing bearer token")
    try:
        g.user = tokens.verify(deps().cache, token)
    except tokens.InvalidToken as exc:
        log.info("rejected token on %s: %s", request.path, exc)
        abort(401, "invalid token")


def admin_required(view: View) -> View:
    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        user = g.get("user")
        if user is None:
            abort(401, "missing bearer token")
        if user.get("role") != Role.ADMIN:
            abort(403, "admin role required")
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]


def scrape_token_ok() -> bool:
    """Prometheus sends ``Authorization: Bearer <METRICS_TOKEN>`` (its bearer_token_file)."""
    supplied = bearer_token() or ""
    return hmac.compare_digest(supplied.encode(), settings.METRICS_TOKEN.encode())
