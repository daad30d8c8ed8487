"""Routes and their guards: the route inventory, sensitive routes without authentication,
public paths matched by prefix, middleware and interceptors never registered."""

from __future__ import annotations

import pytest

from pytest_readiness import Recorder
from pytest_readiness.plumbing import webapps
from pytest_readiness.plumbing.tree import Inventory
from pytest_readiness.probes.code import routes

pytestmark = pytest.mark.readiness(section="Routes and Middleware", category="security")


@pytest.fixture
def web_apps(inventory: Inventory, readiness: Recorder) -> list[webapps.App]:
    """The applications of the codebase (aiohttp, FastAPI, Flask, Django, gRPC), read
    statically; the route inventory goes to the evidence."""
    if not inventory.python:
        pytest.skip("not applicable: no Python code in this codebase")
    code, apps = webapps.from_inventory(inventory)
    others = webapps.unmodelled(code)
    if others:
        readiness.evidence(not_modelled=others[:20])
    if not apps:
        pytest.skip("not applicable: no aiohttp, FastAPI/Starlette, Flask, Django or gRPC "
                    "application found" + (f" (not read: {', '.join(others[:3])})"
                                           if others else ""))
    readiness.evidence(apps=[{"framework": a.framework, "where": f"{a.file}:{a.line}",
                              "routes": len(a.routes), "notes": a.notes} for a in apps],
                       route_inventory=routes.inventory(apps))
    return apps


@pytest.mark.readiness(id="routes.sensitive-unauthenticated", severity="high",
                       levels=routes.LEVELS,
                       fix="Guard the route (an auth dependency or decorator, or take it out "
                           "of the public-path list); serve metrics and docs only to the "
                           "scraper or operators (a token, mutual TLS, or an internal port), "
                           "or disable the docs (docs_url=None, openapi_url=None)")
def test_sensitive_routes_need_auth(web_apps: list[webapps.App], readiness: Recorder) -> None:
    """Admin, debug, metrics, API docs, event streams and RPC entry points need a caller."""
    readiness.conclude(routes.unauthenticated(web_apps),
                       "sensitive route(s) reachable without authentication",
                       warning="sensitive route(s) without authentication (warning)", code=True)


@pytest.mark.readiness(id="routes.exclusion-prefix", severity="high",
                       levels=routes.PREFIX_LEVELS,
                       fix="Compare the request path exactly (path in PUBLIC_PATHS), or "
                           "match whole segments (path == p or path.startswith(p + '/'))")
def test_public_paths_compared_exactly(web_apps: list[webapps.App], readiness: Recorder) -> None:
    """An authentication gate's public-path list is matched exactly, not by prefix."""
    readiness.conclude(routes.prefix_exclusions(web_apps),
                       "public-path list(s) matched by prefix", code=True)


@pytest.mark.readiness(id="routes.middleware-unregistered", severity="high",
                       levels=routes.UNREGISTERED_LEVELS,
                       fix="Register it (middlewares=[...], add_middleware, before_request, "
                           "MIDDLEWARE, interceptors=[...]) or delete it")
def test_middleware_registered(web_apps: list[webapps.App], readiness: Recorder) -> None:
    """Every middleware, request hook and interceptor the code defines is registered."""
    readiness.conclude(routes.unregistered(web_apps),
                       "middleware or interceptor(s) never registered", code=True)
