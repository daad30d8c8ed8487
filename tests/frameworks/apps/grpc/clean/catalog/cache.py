"""Redis: the state every replica shares (revoked tokens, login rate limits)."""

from __future__ import annotations

import logging

import redis

log = logging.getLogger(__name__)


class Cache:
    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        self._redis = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )

    def ping(self) -> bool:
        try:
            return bool(self._redis.ping())
        except redis.RedisError:
            return False

    def revoke(self, jti: str, ttl_seconds: int) -> None:
        self._redis.set(f"revoked:{jti}", 1, ex=max(ttl_seconds, 1))
        log.debug("token id %s denylisted for %d s", jti, ttl_seconds)

    def is_revoked(self, jti: str) -> bool:
        return bool(self._redis.exists(f"revoked:{jti}"))

    def hit(self, bucket: str, limit: int, window_seconds: int) -> bool:
        """Count one attempt in ``bucket``; False once ``limit`` is passed in the window."""
        key = f"ratelimit:{bucket}"
        count = int(self._redis.incr(key))
        if count == 1:
            self._redis.expire(key, window_seconds)
        return count <= limit
