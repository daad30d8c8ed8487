"""The catalog.v1 services."""

from __future__ import annotations

import logging
from typing import Any

import grpc

from catalog import settings, tokens
from catalog.cache import Cache
from catalog.interceptors import CLAIMS
from catalog.passwords import verify_password
from catalog.protos import messages, services

log = logging.getLogger(__name__)


def _item(row: dict[str, Any]) -> Any:
    return messages.Item(id=row["id"], sku=row["sku"], name=row["name"], quantity=row["quantity"])


class CatalogServicer(services.CatalogServicer):
    def __init__(self, db: Any, inventory: grpc.Channel) -> None:
        self._db = db
        self._inventory = inventory  # stock reservations move here from the monolith next

    def ListItems(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        return messages.ListItemsResponse(items=[_item(r) for r in self._db.list_items()])

    def GetItem(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        row = self._db.get_item(request.id)
        if row is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "no such item")
        return _item(row)

    def CreateItem(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        return _item(self._db.create_item(request.sku, request.name, request.quantity))


class AuthServicer(services.AuthServicer):
    def __init__(self, db: Any, cache: Cache) -> None:
        self._db = db
        self._cache = cache

    def Login(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        if not self._cache.hit(f"login:{request.username}", settings.LOGIN_ATTEMPTS_PER_MINUTE, 60):
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "too many login attempts")
        user = self._db.get_user(request.username)
        if user is None or not verify_password(request.password, user["password_hash"]):
            log.warning("login failed for user %s", request.username)
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "bad credentials")
        log.info("issued token for %s", request.username)
        return messages.TokenResponse(access_token=tokens.issue(user["username"], user["role"]),
                                      token_type="Bearer")

    def LoginAs(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        """Support impersonation; the interceptor admits admins only."""
        user = self._db.get_user(request.username)
        if user is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "no such user")
        log.info("impersonation of %s", request.username)
        return messages.TokenResponse(access_token=tokens.issue(user["username"], user["role"]),
                                      token_type="Bearer")

    def Logout(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        claims = CLAIMS.get()
        tokens.revoke(self._cache, claims)
        log.info("logout of %s", claims["sub"])
        return messages.LogoutResponse(revoked=True)


class AdminServicer(services.AdminServicer):
    def __init__(self, db: Any) -> None:
        self._db = db

    def ListUsers(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        return messages.ListUsersResponse(users=[
            messages.User(username=u["username"], role=u["role"]) for u in self._db.list_users()
        ])
