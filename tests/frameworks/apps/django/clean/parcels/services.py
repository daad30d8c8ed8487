"""Use cases: what a view asks for, composed from the models and the upstream clients."""

from __future__ import annotations

import functools
from typing import Any

import urllib3
from django.core.cache import cache
from django.db import DatabaseError, connection

from parcels import clients
from parcels.models import Item


@functools.cache
def http() -> urllib3.PoolManager:
    return clients.pool()


def item_with_price(item_id: int) -> dict[str, Any] | None:
    item = Item.objects.filter(pk=item_id).first()
    if item is None:
        return None
    return {**item.as_dict(), "price_cents": clients.quote(http(), item.sku)["price_cents"]}


def add_item(sku: str, name: str, quantity: int) -> dict[str, Any]:
    item = Item.objects.create(sku=sku, name=name, quantity=quantity).as_dict()
    return {**item, "notified": clients.notify_created(http(), item)}


def dependency_report() -> dict[str, bool]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = True
    except DatabaseError:
        database = False
    try:
        cache.get("ping")
        cache_ok = True
    except Exception:  # redis-py's errors are not Django's: any failure is "down"
        cache_ok = False
    return {"database": database, "cache": cache_ok}
