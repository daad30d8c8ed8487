"""The accounts service this one asks for balances (TLS, verified against TLS_CA_FILE)."""

from __future__ import annotations

from pathlib import Path

import grpc

from ledger import settings


def accounts_channel() -> grpc.aio.Channel:
    roots = Path(settings.TLS_CA_FILE).read_bytes() if settings.TLS_CA_FILE else None
    return grpc.aio.secure_channel(
        settings.ACCOUNTS_TARGET, grpc.ssl_channel_credentials(root_certificates=roots)
    )
