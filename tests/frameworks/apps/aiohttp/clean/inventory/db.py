"""PostgreSQL access (psycopg 3, async): one short connection per unit of work."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

Row = dict[str, Any]


class Database:
    def __init__(self, dsn: str, *, connect_timeout: int = 3) -> None:
        self._dsn = dsn
        self._connect_timeout = connect_timeout

    async def _fetch(self, query: str, params: tuple[Any, ...] = ()) -> list[Row]:
        async with await psycopg.AsyncConnection.connect(
            self._dsn, connect_timeout=self._connect_timeout, row_factory=dict_row
        ) as conn:
            cursor = await conn.execute(query, params)
            return await cursor.fetchall() if cursor.description else []

    async def ping(self) -> bool:
        try:
            await self._fetch("SELECT 1")
        except psycopg.Error:
            return False
        return True

    async def get_user(self, username: str) -> Row | None:
        rows = await self._fetch(
            "SELECT username, password_hash, role FROM users WHERE username = %s", (username,)
        )
        return rows[0] if rows else None

    async def create_user(self, username: str, password_hash: str, role: str) -> None:
        await self._fetch(
            "INSERT INTO users (username, password_hash, role) VALUES (%s, %s, %s)",
            (username, password_hash, role),
        )

    async def list_users(self) -> list[Row]:
        return await self._fetch("SELECT username, role FROM users ORDER BY username")

    async def list_items(self) -> list[Row]:
        return await self._fetch("SELECT id, sku, name, quantity FROM items ORDER BY id")

    async def get_item(self, item_id: int) -> Row | None:
        rows = await self._fetch(
            "SELECT id, sku, name, quantity FROM items WHERE id = %s", (item_id,)
        )
        return rows[0] if rows else None

    async def create_item(self, sku: str, name: str, quantity: int) -> Row:
        rows = await self._fetch(
            "INSERT INTO items (sku, name, quantity) VALUES (%s, %s, %s)"
            " RETURNING id, sku, name, quantity",
            (sku, name, quantity),
        )
        return rows[0]

    async def close(self) -> None:
        """Connections are per unit of work: nothing is left open."""
