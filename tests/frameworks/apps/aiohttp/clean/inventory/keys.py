"""Typed keys for what the application and each request carry."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

from inventory.cache import Cache
from inventory.db import Database

if TYPE_CHECKING:
    pass

DB = web.AppKey("db", Database)
CACHE = web.AppKey("cache", Cache)
HTTP = web.AppKey("http", aiohttp.ClientSession)
METRICS = web.AppKey("metrics", "Metrics")
PRICING = web.AppKey("pricing", "PricingClient")
NOTIFIER = web.AppKey("notifier", "Notifier")
USER = "user"
