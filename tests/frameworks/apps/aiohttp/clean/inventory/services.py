"""Use cases: what a route asks for, composed from the database and the upstream clients."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inventory.keys import CACHE, DB, NOTIFIER, PRICING


async def item_with_price(app: web.Application, item_id: int) -> dict[str, Any] | None:
    item = await app[DB].get_item(item_id)
    if item is None:
        return None
    quote = await app[PRICING].quote(item["sku"])
    return {**item, "price_cents": quote["price_cents"]}


async def add_item(app: web.Application, sku: str, name: str, quantity: int) -> dict[str, Any]:
    item = await app[DB].create_item(sku, name, quantity)
    notified = await app[NOTIFIER].item_created(item)
    return {**item, "notified": notified}


async def dependency_report(app: web.Application) -> dict[str, bool]:
    return {"database": await app[DB].ping(), "cache": await app[CACHE].ping()}
