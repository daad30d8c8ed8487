"""Ledger service: entries, tokens and administration over gRPC (grpc.aio, asyncio)."""
