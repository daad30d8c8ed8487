"""Use cases: what a route asks for, composed from the database and the upstream clients."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request

from orders import buildinfo


async def item_with_price(request: Request, item_id: int) -> dict[str, Any] | None:
    state = request.app.state
    item = await state.db.get_item(item_id)
    if item is None:
        return None
    quote = await state.pricing.quote(item["sku"])
    return {**item, "price_cents": quote["price_cents"]}


async def add_item(request: Request, sku: str, name: str, quantity: int) -> dict[str, Any]:
    state = request.app.state
    item = await state.db.create_item(sku, name, quantity)
    invoice = await asyncio.to_thread(state.archive.put, item)
    notified = await state.notifier.item_created(item)
    return {**item, "invoice": invoice, "notified": notified}


async def user_directory(request: Request) -> list[dict[str, Any]]:
    return await request.app.state.db.list_users()


async def dependency_report(request: Request) -> dict[str, bool]:
    state = request.app.state
    return {"database": await state.db.ping(), "cache": await state.cache.ping()}


async def health_details(request: Request) -> dict[str, Any]:
    return {"dependencies": await dependency_report(request), **buildinfo.describe()}
