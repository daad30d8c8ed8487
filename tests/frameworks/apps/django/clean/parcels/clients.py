"""Clients of the services this one calls (urllib3): pricing with retries, webhooks."""

from __future__ import annotations

import json
import logging
from typing import Any

import urllib3
from django.conf import settings

from parcels.breaker import CircuitBreaker

log = logging.getLogger(__name__)


def pool() -> urllib3.PoolManager:
    return urllib3.PoolManager(
        cert_reqs="CERT_NONE" if settings.INSECURE_SKIP_TLS_VERIFY else "CERT_REQUIRED",
        ca_certs=settings.TLS_CA_FILE,
        timeout=urllib3.Timeout(total=settings.UPSTREAM_TIMEOUT_SECONDS),
        retries=urllib3.Retry(total=3, status_forcelist=[502, 503, 504],
                              backoff_factor=settings.UPSTREAM_RETRY_BACKOFF_SECONDS),
    )


class UpstreamError(Exception):
    """An upstream service did not answer usefully."""


# One per process: each replica stops calling a failing pricing service on its own.
PRICING_BREAKER = CircuitBreaker("pricing")


def quote(http: urllib3.PoolManager, sku: str) -> dict[str, Any]:
    PRICING_BREAKER.check()
    try:
        response = http.request("GET", f"{settings.PRICING_URL.rstrip('/')}/prices/{sku}")
    except urllib3.exceptions.HTTPError as exc:
        PRICING_BREAKER.record_failure()
        raise UpstreamError(f"pricing unavailable for {sku}: {exc}") from exc
    if response.status != 200:
        PRICING_BREAKER.record_failure()
        raise UpstreamError(f"pricing answered {response.status} for {sku}")
    PRICING_BREAKER.record_success()
    return json.loads(response.data)


def notify_created(http: urllib3.PoolManager, item: dict[str, Any]) -> bool:
    try:
        response = http.request(
            "POST", settings.NOTIFY_URL, body=json.dumps({"event": "parcel.created", **item}),
            headers={"Content-Type": "application/json"}, retries=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        log.warning("webhook to %s failed: %s", settings.NOTIFY_URL, exc)
        return False
    return response.status < 300
