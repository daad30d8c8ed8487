"""Clients of the services this one calls: pricing (with retries) and webhooks."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from orders import settings
from orders.breaker import CircuitBreaker

log = logging.getLogger(__name__)


def open_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=settings.UPSTREAM_TIMEOUT_SECONDS,
        verify=not settings.INSECURE_SKIP_TLS_VERIFY,
    )


class UpstreamError(Exception):
    """An upstream service did not answer usefully."""


class PricingClient:
    def __init__(self, client: httpx.AsyncClient, base_url: str, attempts: int = 3) -> None:
        self._client = client
        self._base_url = base_url.rstrip("/")
        self._attempts = attempts
        self._breaker = CircuitBreaker("pricing")

    async def quote(self, sku: str) -> dict[str, Any]:
        self._breaker.check()
        try:
            price = await self._fetch(sku)
        except UpstreamError:
            self._breaker.record_failure()
            raise
        self._breaker.record_success()
        return price

    async def _fetch(self, sku: str) -> dict[str, Any]:
        for attempt in range(1, self._attempts + 1):
            try:
                response = await self._client.get(f"{self._base_url}/prices/{sku}")
                if response.status_code < 500:
                    response.raise_for_status()
                    return response.json()
            except httpx.HTTPError as exc:
                log.warning("pricing attempt %d for %s failed: %s", attempt, sku, exc)
            await asyncio.sleep(settings.UPSTREAM_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1))
        raise UpstreamError(f"pricing unavailable for {sku}")


class Notifier:
    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self._client = client
        self._url = url

    async def item_created(self, item: dict[str, Any]) -> bool:
        try:
            response = await self._client.post(self._url, json={"event": "order.created", **item})
        except httpx.HTTPError as exc:
            log.warning("webhook to %s failed: %s", self._url, exc)
            return False
        return response.is_success
