"""HTTP views of the accounts API, as blueprints."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from flask import Blueprint, Response, abort, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from accounts import services, settings, tokens
from accounts.auth import admin_required, scrape_token_ok
from accounts.constants import LOGOUT_URL, SESSION_COOKIE, TOKEN_URL
from accounts.deps import deps
from accounts.passwords import verify_password

log = logging.getLogger(__name__)

ops = Blueprint("ops", __name__)
api = Blueprint("api", __name__, url_prefix="/api")
admin = Blueprint("admin", __name__, url_prefix="/admin")


@ops.get("/health")
def health() -> tuple[Response, int]:
    report = services.dependency_report()
    healthy = all(report.values())
    return jsonify(status="ok" if healthy else "unavailable"), 200 if healthy else 503


@ops.get("/health/details")
def health_details() -> tuple[Response, int]:
    report = services.dependency_report()
    return jsonify(dependencies=report), 200 if all(report.values()) else 503


@ops.get("/metrics")
def metrics() -> Response:
    if not scrape_token_ok():
        abort(401, "scrape token required")
    return Response(generate_latest(deps().metrics.registry),
                    headers={"Content-Type": CONTENT_TYPE_LATEST})


@ops.post(TOKEN_URL)
def login() -> Response:
    payload = request.get_json(force=True, silent=True) or {}
    username, password = str(payload.get("username", "")), str(payload.get("password", ""))
    if not deps().cache.hit(f"login:{username}", settings.LOGIN_ATTEMPTS_PER_MINUTE, 60):
        abort(429, "too many login attempts")
    user = deps().db.get_user(username)
    if user is None or not verify_password(password, user["password_hash"]):
        log.warning("login failed for user %s", username)
        abort(401, "bad credentials")
    token = tokens.issue(user["username"], user["role"])
    response = jsonify(access_token=token, token_type="Bearer")
    response.set_cookie(SESSION_COOKIE, token, secure=True, httponly=True, samesite="Strict",
                        max_age=settings.TOKEN_TTL_SECONDS)
    log.info("issued token for %s", username)
    return response


@ops.post(LOGOUT_URL)
def logout() -> Response:
    tokens.revoke(deps().cache, g.user)
    log.info("logout of %s", g.user["sub"])
    return jsonify(revoked=True)


@api.get("/items")
def list_items() -> Response:
    return jsonify(items=deps().db.list_items())


@api.get("/items/<int:item_id>")
def get_item(item_id: int) -> Response:
    item = services.item_with_price(item_id)
    if item is None:
        abort(404, "no such item")
    return jsonify(item)


@api.post("/items")
def create_item() -> tuple[Response, int]:
    payload = request.get_json(force=True)
    item = services.add_item(str(payload["sku"]), str(payload["name"]),
                             int(payload.get("quantity", 0)))
    return jsonify(item), 201


@api.get("/events")
def events() -> Response:
    """Server-sent events for the console: a snapshot; the client reconnects for more."""
    items = deps().db.list_items()

    def stream() -> Iterator[str]:
        yield f"event: snapshot\ndata: {json.dumps(items)}\n\n"

    return Response(stream(), mimetype="text/event-stream")


@admin.get("/users")
@admin_required
def admin_users() -> Response:
    return jsonify(users=deps().db.list_users())
