"""Reading the environment: typed, with required secrets and no silent fallbacks."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote, urlsplit


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def env_required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise RuntimeError(f"{name} must be set")
    return value


def database_from_url(url: str) -> dict[str, Any]:
    """``postgresql://user:pw@host:port/name`` or ``sqlite:///path`` -> DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": parts.path.removeprefix("/")}
    if parts.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parts.path.removeprefix("/"),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "OPTIONS": {"connect_timeout": 3},
        }
    raise RuntimeError(f"DATABASE_URL: unsupported scheme {parts.scheme!r}")


def signing_keys(raw: str) -> dict[str, str]:
    """``kid:secret,kid:secret`` -> {kid: secret}; every secret at least 32 characters."""
    keys = dict(pair.split(":", 1) for pair in raw.split(",") if pair)
    short = [kid for kid, secret in keys.items() if len(secret) < 32]
    if not keys or short:
        raise RuntimeError(f"JWT_SIGNING_KEYS: keys shorter than 32 characters: {short}")
    return keys
