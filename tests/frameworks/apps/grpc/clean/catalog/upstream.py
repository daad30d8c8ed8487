"""The inventory service this one asks for stock (TLS, verified against TLS_CA_FILE)."""

from __future__ import annotations

import json
from pathlib import Path

import grpc

from catalog import settings

# Keepalive pings find dead connections; the service config retries UNAVAILABLE calls
# with exponential back-off (gRPC's own retry support).
CHANNEL_OPTIONS = [
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.enable_retries", 1),
    ("grpc.service_config", json.dumps({"methodConfig": [{
        "name": [{}],
        "timeout": "5s",
        "retryPolicy": {
            "maxAttempts": 3, "initialBackoff": "0.2s", "maxBackoff": "2s",
            "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"],
        },
    }]})),
]


def inventory_channel() -> grpc.Channel:
    roots = Path(settings.TLS_CA_FILE).read_bytes() if settings.TLS_CA_FILE else None
    return grpc.secure_channel(
        settings.INVENTORY_TARGET, grpc.ssl_channel_credentials(root_certificates=roots),
        options=CHANNEL_OPTIONS,
    )
