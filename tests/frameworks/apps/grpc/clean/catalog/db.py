"""PostgreSQL access (psycopg 3): one short connection per unit of work."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

Row = dict[str, Any]


class Database:
    def __init__(self, dsn: str, *, connect_timeout: int = 3) -> None:
        self._dsn = dsn
        self._connect_timeout = connect_timeout

    def _fetch(self, query: str, params: tuple[Any, ...] = ()) -> list[Row]:
        with psycopg.connect(
            self._dsn, connect_timeout=self._connect_timeout, row_factory=dict_row
        ) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def ping(self) -> bool:
        try:
            self._fetch("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def get_user(self, username: str) -> Row | None:
        rows = self._fetch(
            "SELECT username, password_hash, role FROM users WHERE username = %s", (username,)
        )
        return rows[0] if rows else None

    def create_user(self, username: str, password_hash: str, role: str) -> None:
        self._fetch(
            "INSERT INTO users (username, password_hash, role) VALUES (%s, %s, %s)",
            (username, password_hash, role),
        )

    def list_users(self) -> list[Row]:
        return self._fetch("SELECT username, role FROM users ORDER BY username")

    def list_items(self) -> list[Row]:
        return self._fetch("SELECT id, sku, name, quantity FROM items ORDER BY id")

    def get_item(self, item_id: int) -> Row | None:
        rows = self._fetch("SELECT id, sku, name, quantity FROM items WHERE id = %s", (item_id,))
        return rows[0] if rows else None

    def create_item(self, sku: str, name: str, quantity: int) -> Row:
        return self._fetch(
            "INSERT INTO items (sku, name, quantity) VALUES (%s, %s, %s)"
            " RETURNING id, sku, name, quantity",
            (sku, name, quantity),
        )[0]

    def close(self) -> None:
        """Connections are per unit of work: nothing is left open."""
