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


# ``token=abc...``, ``Authorization: Bearer abc...``, ``session=abc...`` in free text
# (a response body, a header dump, a log line): unquoted, unlike source code.
_NAMED_VALUE = re.compile(
    r"(?i)(?:\b(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?token|"
    r"client[_-]?secret|session(?:id)?|sid|cookie)\s*[=:]\s*|\bbearer\s+)"
    r"(?P<value>[^\s'\"&;,<>${}()\\]{8,})")


def scrub(text: str) -> str:
    """``text`` with every secret-looking value and URL password redacted.

    The last line of defence before anything a check produced reaches a report or the
    terminal: messages, evidence, tracebacks and captured output all pass through here.
    """
    from pytest_readiness.probes.secrets import pattern_values

    text = mask_url_password(text)
    text = _NAMED_VALUE.sub(
        lambda m: m.group(0)[: m.start("value") - m.start()] + redact(m["value"]), text)
    for value in sorted(set(pattern_values(text)), key=len, reverse=True):
        text = text.replace(value, redact(value))
    return text
