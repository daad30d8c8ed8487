"""HTTP routes of the inventory API."""

from __future__ import annotations

import logging

from aiohttp import WSMsgType, web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from inventory import services, settings, tokens
from inventory.auth import require_role, scrape_token_ok
from inventory.constants import LOGOUT_URL, SESSION_COOKIE, TOKEN_URL, Role
from inventory.keys import CACHE, DB, METRICS, USER
from inventory.passwords import verify_password

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    report = await services.dependency_report(request.app)
    healthy = all(report.values())
    return web.json_response(
        {"status": "ok" if healthy else "unavailable"}, status=200 if healthy else 503
    )


@routes.get("/health/details")
async def health_details(request: web.Request) -> web.Response:
    report = await services.dependency_report(request.app)
    return web.json_response({"dependencies": report}, status=200 if all(report.values()) else 503)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    if not scrape_token_ok(request):
        raise web.HTTPUnauthorized(text="scrape token required")
    body = generate_latest(request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@routes.post(TOKEN_URL)
async def login(request: web.Request) -> web.Response:
    payload = await request.json()
    username, password = str(payload.get("username", "")), str(payload.get("password", ""))
    cache = request.app[CACHE]
    if not await cache.hit(f"login:{username}", settings.LOGIN_ATTEMPTS_PER_MINUTE, 60):
        raise web.HTTPTooManyRequests(text="too many login attempts")
    user = await request.app[DB].get_user(username)
    if user is None or not verify_password(password, user["password_hash"]):
        log.warning("login failed for user %s", username)
        raise web.HTTPUnauthorized(text="bad credentials")
    token = tokens.issue(user["username"], user["role"])
    response = web.json_response({"access_token": token, "token_type": "Bearer"})
    response.set_cookie(
        SESSION_COOKIE, token, secure=True, httponly=True, samesite="Strict",
        max_age=settings.TOKEN_TTL_SECONDS,
    )
    log.info("issued token for %s", username)
    return response


@routes.post(LOGOUT_URL)
async def logout(request: web.Request) -> web.Response:
    await tokens.revoke(request.app[CACHE], request[USER])
    log.info("logout of %s", request[USER]["sub"])
    return web.json_response({"revoked": True})


@routes.get("/api/items")
async def list_items(request: web.Request) -> web.Response:
    return web.json_response({"items": await request.app[DB].list_items()})


@routes.get("/api/items/{item_id:\\d+}")
async def get_item(request: web.Request) -> web.Response:
    item = await services.item_with_price(request.app, int(request.match_info["item_id"]))
    if item is None:
        raise web.HTTPNotFound(text="no such item")
    return web.json_response(item)


@routes.post("/api/items")
async def create_item(request: web.Request) -> web.Response:
    payload = await request.json()
    item = await services.add_item(
        request.app, str(payload["sku"]), str(payload["name"]), int(payload.get("quantity", 0))
    )
    return web.json_response(item, status=201)


@routes.get("/api/stream")
async def stream(request: web.Request) -> web.WebSocketResponse:
    """Stock changes pushed to the console; one snapshot, then whatever the client sends."""
    socket = web.WebSocketResponse(heartbeat=30)
    await socket.prepare(request)
    await socket.send_json({"items": await request.app[DB].list_items()})
    async for message in socket:
        if message.type != WSMsgType.TEXT or message.data == "close":
            break
    return socket


@routes.get("/admin/users")
@require_role(Role.ADMIN)
async def admin_users(request: web.Request) -> web.Response:
    return web.json_response({"users": await request.app[DB].list_users()})
