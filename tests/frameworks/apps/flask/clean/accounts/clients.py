"""Clients of the services this one calls: pricing (with retries) and webhooks."""

from __future__ import annotations

import logging
import time
from typing import Any

import requests

from accounts import settings
from accounts.breaker import CircuitBreaker

log = logging.getLogger(__name__)


def open_session() -> requests.Session:
    session = requests.Session()
    session.verify = settings.TLS_CA_FILE or not settings.INSECURE_SKIP_TLS_VERIFY
    return session


class UpstreamError(Exception):
    """An upstream service did not answer usefully."""


class PricingClient:
    def __init__(self, session: requests.Session, base_url: str, attempts: int = 3) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._attempts = attempts
        self._breaker = CircuitBreaker("pricing")

    def quote(self, sku: str) -> dict[str, Any]:
        self._breaker.check()
        try:
            price = self._fetch(sku)
        except UpstreamError:
            self._breaker.record_failure()
            raise
        self._breaker.record_success()
        return price

    def _fetch(self, sku: str) -> dict[str, Any]:
        for attempt in range(1, self._attempts + 1):
            try:
                response = self._session.get(
                    f"{self._base_url}/prices/{sku}", timeout=settings.UPSTREAM_TIMEOUT_SECONDS
                )
                if response.status_code < 500:
                    response.raise_for_status()
                    return response.json()
            except requests.RequestException as exc:
                log.warning("pricing attempt %d for %s failed: %s", attempt, sku, exc)
            # A worker thread of a synchronous app: sleeping here blocks nobody else.
            time.sleep(settings.UPSTREAM_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1))
        raise UpstreamError(f"pricing unavailable for {sku}")


class Notifier:
    def __init__(self, session: requests.Session, url: str) -> None:
        self._session = session
        self._url = url

    def item_created(self, item: dict[str, Any]) -> bool:
        try:
            response = self._session.post(
                self._url, json={"event": "account.created", **item},
                timeout=settings.UPSTREAM_TIMEOUT_SECONDS,
            )
        except requests.RequestException as exc:
            log.warning("webhook to %s failed: %s", self._url, exc)
            return False
        return response.ok
