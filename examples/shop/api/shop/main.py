"""The shop API: orders over HTTP, health and metrics endpoints, JSON logs."""

from __future__ import annotations

import logging
import os

import httpx
from fastapi import FastAPI, HTTPException
from prometheus_client import make_asgi_app
from pythonjsonlogger import jsonlogger

from shop import orders_pb2

DATABASE_URL = os.environ["DATABASE_URL"]
REDIS_URL = os.getenv("REDIS_URL", "redis://redis:6379/0")
LOG_LEVEL = os.getenv("LOG_LEVEL", "info")
# FLAW (contracts.env-provided): read without a default, provided by no deployment file.
PAYMENT_API_KEY = os.environ["PAYMENT_API_KEY"]

handler = logging.StreamHandler()
handler.setFormatter(jsonlogger.JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
logging.basicConfig(level=LOG_LEVEL.upper(), handlers=[handler])
log = logging.getLogger("shop.api")

app = FastAPI(title="shop")
app.mount("/metrics", make_asgi_app())
payments = httpx.AsyncClient(base_url="https://payments.example.com", timeout=5.0,
                             headers={"Authorization": f"Bearer {PAYMENT_API_KEY}"})


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/orders/{order_id}")
async def get_order(order_id: str) -> dict[str, object]:
    if not order_id:
        raise HTTPException(status_code=404)
    order = orders_pb2.Order(id=order_id, status=orders_pb2.STATUS_PAID)
    log.info("order read", extra={"order_id": order_id})
    return {"id": order.id, "status": orders_pb2.Status.Name(order.status)}


@app.post("/orders/{order_id}/pay")
async def pay(order_id: str) -> dict[str, str]:
    response = await payments.post("/charges", json={"order": order_id})
    response.raise_for_status()
    return {"status": "paid"}
