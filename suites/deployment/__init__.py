"""Bundled deployment checks."""
