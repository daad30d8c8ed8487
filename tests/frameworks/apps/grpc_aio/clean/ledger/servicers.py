"""The ledger.v1 services (asyncio)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import grpc

from ledger import settings, tokens
from ledger.audit import AuditLog
from ledger.cache import Cache
from ledger.interceptors import CLAIMS
from ledger.passwords import verify_password
from ledger.protos import messages, services

log = logging.getLogger(__name__)
Context = grpc.aio.ServicerContext


def _item(row: dict[str, Any]) -> Any:
    return messages.Item(id=row["id"], sku=row["sku"], name=row["name"], quantity=row["quantity"])


class CatalogServicer(services.CatalogServicer):
    def __init__(self, db: Any, audit: AuditLog, accounts: grpc.aio.Channel) -> None:
        self._db = db
        self._audit = audit
        self._accounts = accounts  # balance checks move here from the monolith next

    async def ListItems(self, request: Any, context: Context) -> Any:  # noqa: N802
        return messages.ListItemsResponse(items=[_item(r) for r in await self._db.list_items()])

    async def GetItem(self, request: Any, context: Context) -> Any:  # noqa: N802
        row = await self._db.get_item(request.id)
        if row is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such item")
        return _item(row)

    async def CreateItem(self, request: Any, context: Context) -> Any:  # noqa: N802
        row = await self._db.create_item(request.sku, request.name, request.quantity)
        await asyncio.to_thread(self._audit.record, "item.created", CLAIMS.get()["sub"],
                                sku=request.sku)
        return _item(row)


class AuthServicer(services.AuthServicer):
    def __init__(self, db: Any, cache: Cache, audit: AuditLog) -> None:
        self._db = db
        self._cache = cache
        self._audit = audit

    async def Login(self, request: Any, context: Context) -> Any:  # noqa: N802
        bucket = f"login:{request.username}"
        if not await self._cache.hit(bucket, settings.LOGIN_ATTEMPTS_PER_MINUTE, 60):
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "too many login attempts")
        user = await self._db.get_user(request.username)
        if user is None or not verify_password(request.password, user["password_hash"]):
            log.warning("login failed for user %s", request.username)
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "bad credentials")
        token = tokens.issue(user["username"], user["role"])
        await asyncio.to_thread(self._audit.record, "login", user["username"])
        log.info("issued token for %s", request.username)
        return messages.TokenResponse(access_token=token, token_type="Bearer")

    async def LoginAs(self, request: Any, context: Context) -> Any:  # noqa: N802
        """Support impersonation; the interceptor admits admins only."""
        user = await self._db.get_user(request.username)
        if user is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such user")
        return messages.TokenResponse(access_token=tokens.issue(user["username"], user["role"]),
                                      token_type="Bearer")

    async def Logout(self, request: Any, context: Context) -> Any:  # noqa: N802
        claims = CLAIMS.get()
        await tokens.revoke(self._cache, claims)
        log.info("logout of %s", claims["sub"])
        return messages.LogoutResponse(revoked=True)


class AdminServicer(services.AdminServicer):
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ListUsers(self, request: Any, context: Context) -> Any:  # noqa: N802
        return messages.ListUsersResponse(users=[
            messages.User(username=u["username"], role=u["role"])
            for u in await self._db.list_users()
        ])
