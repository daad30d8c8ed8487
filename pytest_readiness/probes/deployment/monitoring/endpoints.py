"""Endpoints that lie (issue 15 item 7), for the monitoring suite: a ``/metrics`` handler
that answers JSON instead of the Prometheus exposition format, and a health endpoint that
cannot report unhealthy.

Read from the static app model (plumbing/webapps): the handler of each route, found by
its definition. A health route "cannot fail" when its handler has no failing answer (no
5xx status, no ``raise``, no status computed at run time) and no other health or
readiness route that a probe can call (one without authentication) can fail either: an
always-200 liveness route beside a readiness route that checks the dependencies is the
right design. Liveness names (``live``, ``livez``, ``ping``) are never reported. For
gRPC: the stock ``grpc_health`` ``HealthServicer`` set to ``SERVING`` and never to
``NOT_SERVING``. Levels: metrics in JSON is an error (Prometheus cannot scrape it); a
health endpoint that cannot fail is a warning. No pytest here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.findings import Finding, RuleLevel
from pytest_readiness.plumbing.suppress import snippet
from pytest_readiness.plumbing.webapps import App, Code, Route
from pytest_readiness.vocabulary import Level

METRICS_LEVELS = (RuleLevel("", Level.ERROR, "the metrics route answers JSON"),)
HEALTH_LEVELS = (RuleLevel("", Level.WARNING, "no health or readiness route can answer "
                                              "unhealthy"),)
JSON_CALLS = frozenset({"json_response", "JSONResponse", "JsonResponse", "jsonify",
                        "ORJSONResponse", "UJSONResponse", "json"})
PROMETHEUS = frozenset({"generate_latest", "CONTENT_TYPE_LATEST", "make_asgi_app",
                        "make_wsgi_app", "exposition", "choose_encoder", "MetricsHandler"})
_HEALTH = re.compile(r"(?i)^/?(?:.*/)?(health|healthz|healthcheck|health-check|ready|readyz|"
                     r"readiness|status)/?$")
_LIVENESS = re.compile(r"(?i)(?:^|/)(live|livez|liveness|ping|alive)/?$")
_FAILING = re.compile(r"(?i)unavailable|INTERNAL_SERVER_ERROR|HTTPServiceUnavailable|"
                      r"HTTP_503|HTTP_500|NOT_SERVING|unhealthy")


def _handler(code: Code, route: Route) -> tuple[pyast.Module, ast.AST] | None:
    m = next((m for m in code.modules if m.rel == route.handler_file), None)
    if m is None or not route.handler_line:
        return None
    fn = next((f for f in m.functions if getattr(f, "lineno", 0) == route.handler_line
               and not isinstance(f, ast.Lambda)), None)
    return (m, fn) if fn is not None else None


def _returns(fn: ast.AST) -> list[ast.Return]:
    return [n for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value is not None]


def metrics_json(code: Code, apps: Iterable[App]) -> list[Finding]:
    """``/metrics`` handlers that return JSON and never produce the exposition format."""
    found = []
    for app in apps:
        for route in app.routes:
            if route.path.rstrip("/").rsplit("/", 1)[-1] != "metrics":
                continue
            handler = _handler(code, route)
            if handler is None:
                continue
            m, fn = handler
            names = {pyast.tail(m.resolve(n)) for n in ast.walk(fn)
                     if isinstance(n, (ast.Name, ast.Attribute))}
            if names & PROMETHEUS:
                continue
            for ret in _returns(fn):
                value = ret.value
                call = value.elts[0] if isinstance(value, ast.Tuple) and value.elts else value
                if isinstance(call, ast.Call) and pyast.tail(m.resolve(call.func)) in JSON_CALLS \
                        or isinstance(call, ast.Dict):
                    found.append(Finding("", f"{route.path} ({route.handler}) answers JSON: "
                                         "Prometheus cannot scrape it (serve generate_latest() "
                                         "with CONTENT_TYPE_LATEST)", m.rel, ret.lineno,
                                         snippet(m.line(ret.lineno)), Level.ERROR))
                    break
    return found


def can_fail(m: pyast.Module, fn: ast.AST) -> bool:
    """The handler has a failing answer: a 5xx status, a raise, a status computed at run
    time, or a call of something that may raise (a dependency check)."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, int) \
                and not isinstance(node.value, bool) and 500 <= node.value < 600:
            return True
        if isinstance(node, (ast.Name, ast.Attribute)):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if _FAILING.search(name):
                return True
        if isinstance(node, ast.keyword) and node.arg in ("status", "status_code") and \
                not isinstance(node.value, ast.Constant):
            return True
        if isinstance(node, ast.Await):
            return True
    return False


def health_cannot_fail(code: Code, apps: Iterable[App]) -> list[Finding]:
    """Health routes that always answer healthy, when no probe route can fail."""
    found: list[Finding] = []
    for app in apps:
        probes = []
        for route in app.routes:
            if not _HEALTH.search(route.path) or _LIVENESS.search(route.path):
                continue
            handler = _handler(code, route)
            if handler is None:
                continue
            probes.append((route, handler, can_fail(*handler)))
        open_probes = [p for p in probes if not p[0].authenticated]
        if not open_probes or any(p[2] for p in open_probes):
            continue
        for route, (m, fn), _ in open_probes:
            returns = _returns(fn)
            line = returns[0].lineno if returns else getattr(fn, "lineno", route.line)
            found.append(Finding("", f"{route.path} ({route.handler}) always answers healthy: "
                                 "no dependency check, no failing status; an orchestrator "
                                 "keeps sending traffic to a broken instance", m.rel, line,
                                 snippet(m.line(line)), Level.WARNING))
    return found + _grpc_health(code)


def _grpc_health(code: Code) -> list[Finding]:
    """The stock grpc_health HealthServicer set to SERVING and never to NOT_SERVING."""
    modules = code.importing("grpc_health")
    if any(_reports_not_serving(code, m) for m in code.modules):
        return []
    found = []
    for m in modules:
        for call in m.calls:
            if pyast.tail(call.name) == "set" and len(call.node.args) >= 2 and \
                    pyast.tail(m.resolve(call.node.args[1])) == "SERVING":
                found.append(Finding("", "the gRPC health service is set to SERVING once and "
                                     "never to NOT_SERVING: it cannot report unhealthy", m.rel,
                                     call.line, snippet(m.line(call.line)), Level.WARNING))
    return found


def _reports_not_serving(code: Code, m: pyast.Module) -> bool:
    """NOT_SERVING set on a servicer, or answered by a servicer class the code uses."""
    if "NOT_SERVING" not in m.text:
        return False
    assert m.tree is not None
    for node in m.tree.body:
        inside = any(isinstance(n, ast.Attribute) and n.attr == "NOT_SERVING"
                     for n in ast.walk(node))
        if not inside:
            continue
        if isinstance(node, ast.ClassDef):
            if code.referenced(node.name):
                return True
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or \
                code.referenced(node.name):
            return True
    return False
