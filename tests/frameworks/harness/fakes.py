"""The database the apps are given in place of PostgreSQL: same methods, rows in a dict.

Injected through each app factory's ``db=`` argument, so nothing of it lives in the
app trees the rules read. ``healthy = False`` makes ``ping`` fail (health must say so).
"""

from __future__ import annotations

import copy
from typing import Any

Row = dict[str, Any]


class MemoryDatabase:
    def __init__(self) -> None:
        self.healthy = True
        self.users: dict[str, Row] = {}
        self.items: dict[int, Row] = {
            1: {"id": 1, "sku": "SKU-1", "name": "bolt", "quantity": 40},
            2: {"id": 2, "sku": "SKU-2", "name": "nut", "quantity": 75},
        }

    def ping(self) -> bool:
        return self.healthy

    def get_user(self, username: str) -> Row | None:
        return copy.deepcopy(self.users.get(username))

    def create_user(self, username: str, password_hash: str, role: str) -> None:
        self.users[username] = {"username": username, "password_hash": password_hash, "role": role}

    def list_users(self) -> list[Row]:
        return [{"username": u["username"], "role": u["role"]} for u in self.users.values()]

    def list_items(self) -> list[Row]:
        return [copy.deepcopy(item) for item in self.items.values()]

    def get_item(self, item_id: int) -> Row | None:
        return copy.deepcopy(self.items.get(item_id))

    def create_item(self, sku: str, name: str, quantity: int) -> Row:
        item_id = max(self.items) + 1
        item = {"id": item_id, "sku": sku, "name": name, "quantity": quantity}
        self.items[item_id] = item
        return copy.deepcopy(item)

    def close(self) -> None:
        pass


class AsyncMemoryDatabase:
    """The same rows behind coroutine methods, for the asyncio apps."""

    def __init__(self, rows: MemoryDatabase) -> None:
        self.rows = rows

    async def ping(self) -> bool:
        return self.rows.ping()

    async def get_user(self, username: str) -> Row | None:
        return self.rows.get_user(username)

    async def create_user(self, username: str, password_hash: str, role: str) -> None:
        self.rows.create_user(username, password_hash, role)

    async def list_users(self) -> list[Row]:
        return self.rows.list_users()

    async def list_items(self) -> list[Row]:
        return self.rows.list_items()

    async def get_item(self, item_id: int) -> Row | None:
        return self.rows.get_item(item_id)

    async def create_item(self, sku: str, name: str, quantity: int) -> Row:
        return self.rows.create_item(sku, name, quantity)

    async def close(self) -> None:
        pass
