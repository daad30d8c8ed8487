"""Health and latency of an endpoint: bounded latency samples (p50/p95/p99) and the
parse of a /metrics page. Requests go through probes/network/http.py. No pytest here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

from pytest_readiness.probes.network.http import Response, truncate


@dataclass(frozen=True)
class LatencySample:
    timings_ms: list[float]
    errors: list[str] = field(default_factory=list)
    # Requests not sent because the first ones all failed (a dead endpoint costs one wave).
    abandoned: int = 0

    @property
    def count(self) -> int:
        return len(self.timings_ms)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (the value a request actually took); values not empty."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil without floats drifting
    return ordered[min(int(rank), len(ordered)) - 1]


def latency_summary(timings_ms: list[float]) -> dict[str, float | int]:
    return {"samples": len(timings_ms),
            "p50_ms": round(percentile(timings_ms, 50), 1),
            "p95_ms": round(percentile(timings_ms, 95), 1),
            "p99_ms": round(percentile(timings_ms, 99), 1),
            "max_ms": round(max(timings_ms), 1)}


def give_up_after(concurrency: int) -> int:
    """Consecutive failed requests (none succeeding) after which sampling stops: one wave,
    and at least 3, so one refused request of a live service does not end the sample."""
    return max(3, concurrency)


def sample_latency(request: Callable[[], Response], samples: int, concurrency: int
                   ) -> LatencySample:
    """``samples`` requests, ``concurrency`` at a time; each bounded by its own timeout.

    Requests that fail in a row (timeouts, refused connections: not HTTP errors) stop the
    sample after :func:`give_up_after` of them: the rest are counted as ``abandoned``.
    """
    timings: list[float] = []
    errors: list[str] = []
    streak = [0, 0]  # consecutive connection failures, requests abandoned
    limit = give_up_after(concurrency)
    lock = threading.Lock()

    def one(_: int) -> None:
        with lock:
            if streak[0] >= limit:
                streak[1] += 1
                return
        try:
            answer = request()
        except (TimeoutError, ConnectionError) as exc:
            with lock:
                errors.append(str(exc))
                streak[0] += 1
            return
        with lock:
            streak[0] = 0
            if 200 <= answer.status < 400:
                timings.append(answer.elapsed_ms)
            else:
                errors.append(f"HTTP {answer.status}")

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="readiness-lat") as pool:
        list(pool.map(one, range(samples)))
    return LatencySample(timings, errors, streak[1])


@dataclass(frozen=True)
class MetricsPage:
    valid: bool
    families: int
    samples: int
    problem: str = ""
    names: list[str] = field(default_factory=list)


def looks_like_json(body: bytes, content_type: str | None) -> bool:
    if "json" in (content_type or "").lower():
        return True
    text = body.lstrip()[:1]
    if text not in (b"{", b"["):
        return False
    try:
        json.loads(body)
        return True
    except ValueError:
        return False


def parse_metrics(body: bytes, content_type: str | None) -> MetricsPage:
    """Parse a /metrics page with prometheus_client's own parser."""
    if looks_like_json(body, content_type):
        return MetricsPage(False, 0, 0, "a JSON document, not Prometheus exposition format")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return MetricsPage(False, 0, 0, "not UTF-8 text")
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as exc:  # the parser raises ValueError, IndexError, ... on bad input
        return MetricsPage(False, 0, 0, f"not valid exposition format: {truncate(str(exc), 120)}")
    samples = sum(len(f.samples) for f in families)
    if not samples:
        return MetricsPage(False, len(families), 0, "no metric samples")
    return MetricsPage(True, len(families), samples, names=sorted(f.name for f in families)[:30])

