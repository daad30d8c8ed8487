"""Catalog service: items, tokens and administration over gRPC (grpcio, synchronous)."""
