"""Authentication as dependencies: routers declare who may call them."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from orders import settings, tokens
from orders.constants import Role

log = logging.getLogger(__name__)
bearer = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail,
                         headers={"WWW-Authenticate": "Bearer"})


async def current_user(request: Request, credentials: Credentials) -> dict[str, Any]:
    if credentials is None:
        raise _unauthorized("missing bearer token")
    try:
        claims = await tokens.verify(request.app.state.cache, credentials.credentials)
    except tokens.InvalidToken as exc:
        log.info("rejected token on %s: %s", request.url.path, exc)
        raise _unauthorized("invalid token") from None
    request.state.user = claims
    return claims


User = Annotated[dict[str, Any], Depends(current_user)]


async def require_admin(user: User) -> dict[str, Any]:
    if user.get("role") != Role.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admin role required")
    return user


def require_scrape_token(credentials: Credentials) -> None:
    """Prometheus sends ``Authorization: Bearer <METRICS_TOKEN>`` (its bearer_token_file)."""
    supplied = credentials.credentials if credentials else ""
    if not hmac.compare_digest(supplied.encode(), settings.METRICS_TOKEN.encode()):
        raise _unauthorized("scrape token required")
