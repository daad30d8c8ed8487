"""Use cases: what a view asks for, composed from the database and the upstream clients."""

from __future__ import annotations

from typing import Any

from accounts.deps import deps


def item_with_price(item_id: int) -> dict[str, Any] | None:
    item = deps().db.get_item(item_id)
    if item is None:
        return None
    return {**item, "price_cents": deps().pricing.quote(item["sku"])["price_cents"]}


def add_item(sku: str, name: str, quantity: int) -> dict[str, Any]:
    item = deps().db.create_item(sku, name, quantity)
    return {**item, "notified": deps().notifier.item_created(item)}


def dependency_report() -> dict[str, bool]:
    return {"database": deps().db.ping(), "cache": deps().cache.ping()}
