"""What every exercise shares: fresh secrets, the app's environment, log capture."""

from __future__ import annotations

import io
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

import jwt

from tests.frameworks.harness.upstreams import Upstreams

EVIL_ORIGIN = "https://evil.example"
CONSOLE_ORIGIN = "https://console.example.com"


@dataclass
class Secrets:
    """Drawn per run, never committed; a log that shows one of them leaks it."""

    user_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    jwt_keys: dict[str, str] = field(
        default_factory=lambda: {"k2024": secrets.token_urlsafe(40),
                                 "k2025": secrets.token_urlsafe(40)}
    )
    metrics_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    django_secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    issued: list[str] = field(default_factory=list)

    def values(self) -> list[str]:
        return [self.user_password, self.admin_password, self.metrics_token,
                self.django_secret_key, *self.jwt_keys.values(), *self.issued]


def app_environment(keys: Secrets, up: Upstreams) -> dict[str, str]:
    return {
        "DATABASE_URL": "postgresql://service@127.0.0.1:9/service",  # nothing listens: fakes
        "REDIS_URL": up.redis_url,
        "JWT_SIGNING_KEYS": ",".join(f"{kid}:{key}" for kid, key in keys.jwt_keys.items()),
        "JWT_ACTIVE_KID": "k2025",
        "METRICS_TOKEN": keys.metrics_token,
        "DJANGO_SECRET_KEY": keys.django_secret_key,
        "DJANGO_ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
        "CORS_ALLOWED_ORIGINS": CONSOLE_ORIGIN,
        "PRICING_URL": up.pricing_url,
        "NOTIFY_URL": up.webhook_url,
        "UPSTREAM_RETRY_BACKOFF_SECONDS": "0.01",
        "UPSTREAM_TIMEOUT_SECONDS": "5",
        "LOG_LEVEL": "INFO",
        # gRPC servers: their certificate, and the CA of the metrics scrapers' certificates.
        "TLS_CERT_FILE": str(up.cert),
        "TLS_KEY_FILE": str(up.key),
        "METRICS_CLIENT_CA_FILE": str(up.cert),
        "MONGO_URL": "mongodb://127.0.0.1:9/ledger",  # nothing listens: writes are stubbed
    }


def token_facts(token: str | None, keys: dict[str, str]) -> dict[str, Any]:
    """What a token shows: its claims' names, a ``kid``, whether the configured keys sign it."""
    if not token:
        return {"token_claims": None, "token_kid": None, "token_signed_with_configured_key": None}
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    signed = False
    for key in keys.values():
        try:
            jwt.decode(token, key, algorithms=[header.get("alg", "HS256")],
                       options={"verify_exp": False, "verify_aud": False, "verify_iss": False})
        except jwt.PyJWTError:
            continue
        signed = True
    return {"token_claims": sorted(claims), "token_kid": "kid" in header,
            "token_signed_with_configured_key": signed}


class LogCapture(logging.Handler):
    """Every record, with its arguments and ``extra=`` fields, as text to search."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.text = io.StringIO()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is the app's bug, not ours
            message = str(record.msg)
        self.text.write(f"{message} {vars(record)!r}\n")

    def leaked(self, keys: Secrets, printed: str = "") -> bool:
        seen = self.text.getvalue() + printed
        return any(value and value in seen for value in keys.values())


def capture_logs() -> LogCapture:
    handler = LogCapture()
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    return handler
