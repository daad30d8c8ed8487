"""Production entry point: ``python -m inventory``."""

from __future__ import annotations

from aiohttp import web

from inventory import settings
from inventory.app import create_app

if __name__ == "__main__":
    web.run_app(create_app(), host=settings.HOST, port=settings.PORT, access_log=None)
