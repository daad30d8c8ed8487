"""What is running: the build the image was made from (set by CI as BUILD_SHA)."""

from __future__ import annotations

from orders import settings


def revision() -> str:
    return settings.BUILD_SHA


def describe() -> dict[str, str]:
    return {"build": revision(), "service": "orders"}
