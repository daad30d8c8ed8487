"""The ledger.v1 messages and services, compiled from protos/ at import (grpcio-tools)."""

from __future__ import annotations

import sys
from pathlib import Path

import grpc

PROTO_ROOT = Path(__file__).resolve().parent.parent / "protos"
if str(PROTO_ROOT) not in sys.path:
    sys.path.append(str(PROTO_ROOT))

messages, services = grpc.protos_and_services("ledger_api/v1/ledger.proto")
