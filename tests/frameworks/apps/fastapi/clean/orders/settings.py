"""Settings, read once from the environment (twelve-factor).

Secrets have no fallback: a missing one stops the service at start-up instead of
running it with a value everybody can read in this file.
"""

from __future__ import annotations

import os


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


def signing_keys(raw: str) -> dict[str, str]:
    """``kid:secret,kid:secret`` -> {kid: secret}; every secret at least 32 characters."""
    keys = dict(pair.split(":", 1) for pair in raw.split(",") if pair)
    short = [kid for kid, secret in keys.items() if len(secret) < 32]
    if not keys or short:
        raise RuntimeError(f"JWT_SIGNING_KEYS: keys shorter than 32 characters: {short}")
    return keys


HOST = os.environ.get("HOST", "127.0.0.1")
PORT = int(os.environ.get("PORT", "8000"))
FORWARDED_ALLOW_IPS = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
BUILD_SHA = os.environ.get("BUILD_SHA", "unknown")

DATABASE_URL = env_required("DATABASE_URL")
REPORTING_DATABASE_URL = os.environ.get("REPORTING_DATABASE_URL", DATABASE_URL)
REDIS_URL = env_required("REDIS_URL")

JWT_SIGNING_KEYS = signing_keys(env_required("JWT_SIGNING_KEYS"))
JWT_ACTIVE_KID = os.environ.get("JWT_ACTIVE_KID", next(iter(JWT_SIGNING_KEYS)))
JWT_ISSUER = os.environ.get("JWT_ISSUER", "orders")
TOKEN_TTL_SECONDS = int(os.environ.get("TOKEN_TTL_SECONDS", "900"))
LOGIN_ATTEMPTS_PER_MINUTE = int(os.environ.get("LOGIN_ATTEMPTS_PER_MINUTE", "5"))

METRICS_TOKEN = env_required("METRICS_TOKEN")
BOOTSTRAP_ADMIN_PASSWORD = os.environ.get("BOOTSTRAP_ADMIN_PASSWORD", "")

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "https://console.example.com")
HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", "31536000"))

PRICING_URL = os.environ.get("PRICING_URL", "https://pricing.internal.example.com")
NOTIFY_URL = os.environ.get("NOTIFY_URL", "https://hooks.internal.example.com/orders")
UPSTREAM_TIMEOUT_SECONDS = float(os.environ.get("UPSTREAM_TIMEOUT_SECONDS", "3"))
UPSTREAM_RETRY_BACKOFF_SECONDS = float(os.environ.get("UPSTREAM_RETRY_BACKOFF_SECONDS", "0.2"))
INSECURE_SKIP_TLS_VERIFY = env_bool("INSECURE_SKIP_TLS_VERIFY", False)

INVOICE_BUCKET = os.environ.get("INVOICE_BUCKET", "orders-invoices")
AWS_REGION = os.environ.get("AWS_REGION", "eu-west-1")
