"""Redaction for checks of your own (docs/writing-checks.md): never record a secret whole.

The implementation is pytest_readiness/plumbing/redact.py; this module is the public path.
"""

from __future__ import annotations

from pytest_readiness.plumbing.redact import mask_url_password, redact, redact_in, scrub

__all__ = ["mask_url_password", "redact", "redact_in", "scrub"]
