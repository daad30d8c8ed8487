"""The inventory service this one asks for stock (TLS, verified against TLS_CA_FILE)."""

from __future__ import annotations

from pathlib import Path

import grpc

from catalog import settings


def inventory_channel() -> grpc.Channel:
    roots = Path(settings.TLS_CA_FILE).read_bytes() if settings.TLS_CA_FILE else None
    return grpc.secure_channel(
        settings.INVENTORY_TARGET, grpc.ssl_channel_credentials(root_certificates=roots)
    )
