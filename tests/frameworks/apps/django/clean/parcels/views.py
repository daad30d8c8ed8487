"""Views of the shipping API."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from shipping.auth import admin_required, scrape_token_ok
from shipping.metrics import REGISTRY

from parcels import services, tokens
from parcels.constants import TOKEN_TYPE
from parcels.models import Item

log = logging.getLogger(__name__)


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    report = services.dependency_report()
    healthy = all(report.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable"},
                        status=200 if healthy else 503)


@require_GET
def health_details(request: HttpRequest) -> JsonResponse:
    report = services.dependency_report()
    return JsonResponse({"dependencies": report}, status=200 if all(report.values()) else 503)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not scrape_token_ok(request):
        return JsonResponse({"detail": "scrape token required"}, status=401)
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


@require_POST
def login(request: HttpRequest) -> JsonResponse:
    payload = json.loads(request.body or b"{}")
    username, password = str(payload.get("username", "")), str(payload.get("password", ""))
    if not tokens.login_allowed(username):
        return JsonResponse({"detail": "too many login attempts"}, status=429)
    user = authenticate(request, username=username, password=password)
    if user is None:
        log.warning("login failed for user %s", username)
        return JsonResponse({"detail": "bad credentials"}, status=401)
    token = tokens.issue(user.get_username(), "admin" if user.is_staff else "user")
    response = JsonResponse({"access_token": token, "token_type": TOKEN_TYPE})
    response.set_cookie(settings.SESSION_COOKIE_NAME, token, secure=settings.SESSION_COOKIE_SECURE,
                        httponly=True, samesite="Strict", max_age=settings.TOKEN_TTL_SECONDS)
    log.info("issued token for %s", username)
    return response


@require_POST
def logout(request: HttpRequest) -> JsonResponse:
    claims = request.jwt_claims  # type: ignore[attr-defined]
    tokens.revoke(claims)
    log.info("logout of %s", claims["sub"])
    return JsonResponse({"revoked": True})


@require_http_methods(["GET", "POST"])
def items(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        payload = json.loads(request.body)
        item = services.add_item(str(payload["sku"]), str(payload["name"]),
                                 int(payload.get("quantity", 0)))
        return JsonResponse(item, status=201)
    return JsonResponse({"items": [item.as_dict() for item in Item.objects.order_by("pk")]})


@require_GET
def item_detail(request: HttpRequest, item_id: int) -> JsonResponse:
    item = services.item_with_price(item_id)
    if item is None:
        return JsonResponse({"detail": "no such item"}, status=404)
    return JsonResponse(item)


@require_GET
def events(request: HttpRequest) -> StreamingHttpResponse:
    """Server-sent events for the console: a snapshot; the client reconnects for more."""
    snapshot = [item.as_dict() for item in Item.objects.order_by("pk")]

    def stream() -> Iterator[str]:
        yield f"event: snapshot\ndata: {json.dumps(snapshot)}\n\n"

    return StreamingHttpResponse(stream(), content_type="text/event-stream")


@require_GET
@admin_required
def admin_users(request: HttpRequest) -> JsonResponse:
    users = User.objects.order_by("username").values("username", "is_staff")
    return JsonResponse({"users": [
        {"username": u["username"], "role": "admin" if u["is_staff"] else "user"} for u in users
    ]})
