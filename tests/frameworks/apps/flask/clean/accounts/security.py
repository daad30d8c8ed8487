"""Transport security: HTTPS only (TLS ends at the ingress; ProxyFix trusts one hop)."""

from __future__ import annotations

from flask import Flask, Response, redirect, request

from accounts import settings

# Probes of the orchestrator and the load balancer speak plain HTTP to the pod.
PROBE_PATHS = frozenset({"/health"})


def redirect_to_https() -> Response | None:
    if not request.is_secure and request.path not in PROBE_PATHS:
        return redirect(request.url.replace("http://", "https://", 1), code=308)
    return None


def security_headers(response: Response) -> Response:
    response.headers["Strict-Transport-Security"] = (
        f"max-age={settings.HSTS_SECONDS}; includeSubDomains"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def init_security(app: Flask) -> None:
    app.before_request(redirect_to_https)
    app.after_request(security_headers)
