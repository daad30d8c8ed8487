"""HTTP routes of the orders API, grouped by who may call them."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from orders import services, settings, tokens
from orders.auth import User, current_user, require_admin, require_scrape_token
from orders.constants import LOGOUT_URL, SESSION_COOKIE, TOKEN_URL
from orders.passwords import verify_password

log = logging.getLogger(__name__)

root = APIRouter()  # each route states its own guard
api = APIRouter(prefix="/api", dependencies=[Depends(current_user)])
admin = APIRouter(prefix="/admin", dependencies=[Depends(require_admin)])


class Login(BaseModel):
    username: str
    password: str


class NewItem(BaseModel):
    sku: str
    name: str
    quantity: int = 0


@root.get("/health")
async def health(request: Request) -> JSONResponse:
    report = await services.dependency_report(request)
    healthy = all(report.values())
    return JSONResponse({"status": "ok" if healthy else "unavailable"},
                        status_code=200 if healthy else 503)


@root.get("/metrics", dependencies=[Depends(require_scrape_token)])
async def metrics(request: Request) -> Response:
    body = generate_latest(request.app.state.metrics.registry)
    return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@root.post(TOKEN_URL)
async def login(request: Request, body: Login) -> JSONResponse:
    state = request.app.state
    if not await state.cache.hit(f"login:{body.username}", settings.LOGIN_ATTEMPTS_PER_MINUTE, 60):
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "too many login attempts")
    user = await state.db.get_user(body.username)
    if user is None or not verify_password(body.password, user["password_hash"]):
        log.warning("login failed for user %s", body.username)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bad credentials")
    token = tokens.issue(user["username"], user["role"])
    response = JSONResponse({"access_token": token, "token_type": "Bearer"})
    response.set_cookie(SESSION_COOKIE, token, secure=True, httponly=True, samesite="strict",
                        max_age=settings.TOKEN_TTL_SECONDS)
    log.info("issued token for %s", body.username, extra={"subject": user["username"]})
    return response


@root.post(LOGOUT_URL)
async def logout(request: Request, user: User) -> dict[str, bool]:
    await tokens.revoke(request.app.state.cache, user)
    log.info("logout of %s", user["sub"])
    return {"revoked": True}


@api.get("/items")
async def list_items(request: Request) -> dict[str, Any]:
    return {"items": await request.app.state.db.list_items()}


@api.get("/items/{item_id}")
async def get_item(request: Request, item_id: int) -> dict[str, Any]:
    item = await services.item_with_price(request, item_id)
    if item is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such item")
    return item


@api.post("/items", status_code=201)
async def create_item(request: Request, body: NewItem) -> dict[str, Any]:
    return await services.add_item(request, body.sku, body.name, body.quantity)


@api.get("/events")
async def events(request: Request) -> StreamingResponse:
    """Server-sent events for the console: a snapshot; the client reconnects for more."""
    items = await request.app.state.db.list_items()

    async def stream() -> AsyncIterator[str]:
        yield f"event: snapshot\ndata: {json.dumps(items)}\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream")


@root.get("/health/details")
async def health_details(request: Request, user: User) -> JSONResponse:
    details = await services.health_details(request)
    healthy = all(details["dependencies"].values())
    return JSONResponse(details, status_code=200 if healthy else 503)


@admin.get("/users")
async def admin_users(request: Request) -> dict[str, Any]:
    return {"users": await services.user_directory(request)}
