"""Inventory service: stock levels behind a JWT-protected JSON API (aiohttp)."""
