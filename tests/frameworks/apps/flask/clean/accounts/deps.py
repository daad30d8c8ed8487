"""What the app was built with (database, cache, clients), reachable from any request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from prometheus_client import CollectorRegistry, Counter, Histogram

from accounts.cache import Cache


@dataclass
class Metrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram

    @classmethod
    def create(cls) -> Metrics:
        registry = CollectorRegistry()
        return cls(
            registry,
            Counter("http_requests_total", "HTTP requests", ["method", "route", "status"],
                    registry=registry),
            Histogram("http_request_duration_seconds", "HTTP latency", ["route"],
                      registry=registry),
        )


@dataclass
class Deps:
    db: Any
    cache: Cache
    pricing: Any
    notifier: Any
    metrics: Metrics


def deps() -> Deps:
    return current_app.extensions["accounts"]
