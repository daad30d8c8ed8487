"""Request metrics, recorded around every request."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from accounts.deps import deps


def start_timer() -> None:
    g.started = time.perf_counter()


def record(response: Response) -> Response:
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    metrics = deps().metrics
    metrics.requests.labels(request.method, route, str(response.status_code)).inc()
    started = g.get("started", time.perf_counter())
    metrics.latency.labels(route).observe(time.perf_counter() - started)
    return response


def init_metrics(app: Flask) -> None:
    app.before_request(start_timer)
    app.after_request(record)
