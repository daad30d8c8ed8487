"""The fulfilment worker: takes paid orders from Redis and ships them."""

from __future__ import annotations

import asyncio
import logging
import os

import redis.asyncio as redis
from pythonjsonlogger import jsonlogger

REDIS_URL = os.environ["REDIS_URL"]
BATCH_SIZE = int(os.getenv("BATCH_SIZE", "10"))

handler = logging.StreamHandler()
handler.setFormatter(jsonlogger.JsonFormatter())
logging.basicConfig(level="INFO", handlers=[handler])
log = logging.getLogger("shop.worker")


async def main() -> None:
    client = redis.from_url(REDIS_URL, socket_timeout=5)
    while True:
        batch = await client.lpop("orders:paid", BATCH_SIZE) or []
        for order_id in batch:
            log.info("shipping", extra={"order_id": order_id})
        await asyncio.sleep(1)


if __name__ == "__main__":
    asyncio.run(main())
