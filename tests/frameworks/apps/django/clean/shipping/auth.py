"""Bearer-token authentication for every path but the exact public ones; role checks."""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from parcels import tokens

log = logging.getLogger(__name__)
View = Callable[..., HttpResponse]

PUBLIC_PATHS = frozenset({"/health", "/metrics", "/auth/token"})


def bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return header.removeprefix("Bearer ").strip() or None


class JWTAuthenticationMiddleware:
    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.jwt_claims = None  # type: ignore[attr-defined]
        if request.path in PUBLIC_PATHS or request.method == "OPTIONS":
            return self.get_response(request)
        token = bearer_token(request)
        if token is None:
            return JsonResponse({"detail": "missing bearer token"}, status=401)
        try:
            request.jwt_claims = tokens.verify(token)  # type: ignore[attr-defined]
        except tokens.InvalidToken as exc:
            log.info("rejected token on %s: %s", request.path, exc)
            return JsonResponse({"detail": "invalid token"}, status=401)
        return self.get_response(request)


def admin_required(view: View) -> View:
    @functools.wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        claims = getattr(request, "jwt_claims", None)
        if claims is None:
            return JsonResponse({"detail": "missing bearer token"}, status=401)
        if claims.get("role") != "admin":
            return JsonResponse({"detail": "admin role required"}, status=403)
        return view(request, *args, **kwargs)

    return checked


def scrape_token_ok(request: HttpRequest) -> bool:
    """Prometheus sends ``Authorization: Bearer <METRICS_TOKEN>`` (its bearer_token_file)."""
    supplied = bearer_token(request) or ""
    return hmac.compare_digest(supplied.encode(), settings.METRICS_TOKEN.encode())
