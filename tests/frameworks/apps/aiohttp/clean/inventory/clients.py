"""Clients of the services this one calls: pricing (with retries) and webhooks."""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any

import aiohttp

from inventory import settings
from inventory.breaker import CircuitBreaker

log = logging.getLogger(__name__)


def tls_context() -> ssl.SSLContext:
    """Verifying context; INSECURE_SKIP_TLS_VERIFY exists for a local mock only."""
    context = ssl.create_default_context(cafile=settings.TLS_CA_FILE)
    context.check_hostname = not settings.INSECURE_SKIP_TLS_VERIFY
    context.verify_mode = ssl.CERT_NONE if settings.INSECURE_SKIP_TLS_VERIFY else ssl.CERT_REQUIRED
    return context


def open_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=settings.UPSTREAM_TIMEOUT_SECONDS),
        connector=aiohttp.TCPConnector(ssl=tls_context()),
    )


class UpstreamError(Exception):
    """An upstream service did not answer usefully."""


class PricingClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, attempts: int = 3) -> None:
        self._session = session
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
                async with self._session.get(f"{self._base_url}/prices/{sku}") as response:
                    if response.status < 500:
                        response.raise_for_status()
                        return await response.json()
            except aiohttp.ClientError as exc:
                log.warning("pricing attempt %d for %s failed: %s", attempt, sku, exc)
            await backoff(attempt)
        raise UpstreamError(f"pricing unavailable for {sku}")


async def backoff(attempt: int) -> None:
    await asyncio.sleep(settings.UPSTREAM_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1))


class Notifier:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self._session = session
        self._url = url

    async def item_created(self, item: dict[str, Any]) -> bool:
        try:
            async with self._session.post(self._url, json={"event": "item.created", **item}) as r:
                return r.status < 300
        except (aiohttp.ClientError, ssl.SSLError) as exc:
            log.warning("webhook to %s failed: %s", self._url, exc)
            return False
