"""Settings, read once from the environment (twelve-factor).

Secrets and certificates have no fallback: a missing one stops the service at start-up.
"""

from __future__ import annotations

import os


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


LISTEN_ADDRESS = os.environ.get("GRPC_LISTEN_ADDRESS", "[::]:50051")
MAX_WORKERS = int(os.environ.get("GRPC_MAX_WORKERS", "16"))
TLS_CERT_FILE = env_required("TLS_CERT_FILE")
TLS_KEY_FILE = env_required("TLS_KEY_FILE")
TLS_CA_FILE = os.environ.get("TLS_CA_FILE") or None

METRICS_PORT = int(os.environ.get("METRICS_PORT", "9464"))
METRICS_ADDRESS = os.environ.get("METRICS_ADDRESS", "0.0.0.0")
METRICS_CLIENT_CA_FILE = env_required("METRICS_CLIENT_CA_FILE")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

DATABASE_URL = env_required("DATABASE_URL")
REDIS_URL = env_required("REDIS_URL")
ACCOUNTS_TARGET = os.environ.get("ACCOUNTS_TARGET", "accounts.internal.example.com:443")

JWT_SIGNING_KEYS = signing_keys(env_required("JWT_SIGNING_KEYS"))
JWT_ACTIVE_KID = os.environ.get("JWT_ACTIVE_KID", next(iter(JWT_SIGNING_KEYS)))
JWT_ISSUER = os.environ.get("JWT_ISSUER", "ledger")
TOKEN_TTL_SECONDS = int(os.environ.get("TOKEN_TTL_SECONDS", "900"))
LOGIN_ATTEMPTS_PER_MINUTE = int(os.environ.get("LOGIN_ATTEMPTS_PER_MINUTE", "5"))
BOOTSTRAP_ADMIN_PASSWORD = os.environ.get("BOOTSTRAP_ADMIN_PASSWORD", "")

MONGO_URL = env_required("MONGO_URL")
AUDIT_DATABASE = os.environ.get("AUDIT_DATABASE", "ledger_audit")
