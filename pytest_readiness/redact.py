"""Redaction: secrets are never shown whole, anywhere. Pure."""

from __future__ import annotations

import re

_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]+)(?P<at>@)")


def redact(secret: str, keep: int = 4) -> str:
    """``sk-abcdef...`` -> ``sk-a…(40 chars)``: enough to find it, never enough to use it."""
    secret = str(secret)
    keep = min(keep, max(len(secret) // 4, 0))
    return f"{secret[:keep]}…({len(secret)} chars)"


def mask_url_password(text: str) -> str:
    """``postgres://app:s3cret@db/app`` -> ``postgres://app:***@db/app``."""
    return _URL_PASSWORD.sub(lambda m: f"{m['head']}***{m['at']}", text)


def redact_in(text: str, secret: str) -> str:
    """Replace every occurrence of ``secret`` inside ``text`` by its redacted form."""
    return text.replace(secret, redact(secret)) if secret else text


def scrub(text: str) -> str:
    """``text`` with every secret-looking value and URL password redacted.

    The last line of defence before anything a check produced reaches a report or the
    terminal: tracebacks, captured output and messages all pass through here.
    """
    from pytest_readiness.probes.secrets import pattern_values

    text = mask_url_password(text)
    for value in sorted(set(pattern_values(text)), key=len, reverse=True):
        text = text.replace(value, redact(value))
    return text
