"""grpc.health.v1 answering from the dependencies, checked on every call."""

from __future__ import annotations

from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2

from ledger.cache import Cache


class DependencyHealth(health.aio.HealthServicer):
    def __init__(self, db: Any, cache: Cache) -> None:
        super().__init__()
        self._db = db
        self._cache = cache

    async def Check(self, request: Any, context: grpc.aio.ServicerContext) -> Any:  # noqa: N802
        healthy = await self._db.ping() and await self._cache.ping()
        status = (health_pb2.HealthCheckResponse.SERVING if healthy
                  else health_pb2.HealthCheckResponse.NOT_SERVING)
        return health_pb2.HealthCheckResponse(status=status)
