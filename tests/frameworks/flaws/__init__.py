"""One module per app: its flaw variants and what must stay quiet in its clean tree."""

from __future__ import annotations

from tests.frameworks.catalog import App
from tests.frameworks.flaws import aiohttp, django, fastapi, flask, grpc, grpc_aio

ALL_APPS: tuple[App, ...] = (aiohttp.APP, fastapi.APP, flask.APP, django.APP, grpc.APP,
                              grpc_aio.APP)
