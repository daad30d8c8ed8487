"""Access tokens: short-lived JWTs signed with a key set (``kid``), revocable by ``jti``."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import jwt
from django.conf import settings
from django.core.cache import cache

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


def verify(token: str) -> dict[str, Any]:
    claims = decode(token)
    if cache.get(f"revoked:{claims['jti']}") is not None:
        raise InvalidToken("revoked")
    return claims


def revoke(claims: dict[str, Any]) -> None:
    cache.set(f"revoked:{claims['jti']}", 1, timeout=max(int(claims["exp"]) - int(time.time()), 1))
    log.info("session %s of %s ended", claims["jti"], claims["sub"])


def login_allowed(username: str) -> bool:
    """Count one login attempt for ``username``; False past the limit in a minute."""
    key = f"ratelimit:login:{username}"
    cache.add(key, 0, timeout=60)
    return cache.incr(key) <= settings.LOGIN_ATTEMPTS_PER_MINUTE
