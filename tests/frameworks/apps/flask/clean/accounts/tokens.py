"""Access tokens: short-lived JWTs signed with a key set (``kid``), revocable by ``jti``."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import jwt

from accounts import settings
from accounts.cache import Cache

log = logging.getLogger(__name__)
ALGORITHM = "HS256"


class InvalidToken(Exception):
    """The token is malformed, expired, signed with an unknown key or revoked."""


def issue(subject: str, role: str, *, now: int | None = None) -> str:
    issued_at = int(time.time()) if now is None else now
    claims = {
        "sub": subject,
        "role": role,
        "iss": settings.JWT_ISSUER,
        "iat": issued_at,
        "exp": issued_at + settings.TOKEN_TTL_SECONDS,
        "jti": uuid.uuid4().hex,
    }
    kid = settings.JWT_ACTIVE_KID
    return jwt.encode(
        claims, settings.JWT_SIGNING_KEYS[kid], algorithm=ALGORITHM, headers={"kid": kid}
    )


def decode(token: str) -> dict[str, Any]:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = settings.JWT_SIGNING_KEYS[kid]
        return jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=settings.JWT_ISSUER,
            options={"require": ["exp", "iat", "jti", "sub"]},
        )
    except (jwt.PyJWTError, KeyError) as exc:
        raise InvalidToken(str(exc)) from exc


def verify(cache: Cache, token: str) -> dict[str, Any]:
    claims = decode(token)
    if cache.is_revoked(claims["jti"]):
        raise InvalidToken("revoked")
    return claims


def revoke(cache: Cache, claims: dict[str, Any]) -> None:
    cache.revoke(claims["jti"], int(claims["exp"]) - int(time.time()))
    log.info("session %s of %s ended", claims["jti"], claims["sub"])
