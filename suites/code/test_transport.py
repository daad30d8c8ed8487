"""Transport security of the applications: HTTPS enforced, HSTS, Secure cookies, gRPC over
TLS."""

from __future__ import annotations

import pytest

from pytest_readiness import Recorder
from pytest_readiness.plumbing import envreads, webapps
from pytest_readiness.plumbing.tree import Inventory
from pytest_readiness.probes.code import transport

pytestmark = pytest.mark.readiness(section="Transport Security", category="security")


@pytest.fixture
def web(inventory: Inventory) -> tuple[webapps.Code, list[webapps.App]]:
    """The codebase's modules and applications, read once per index (webapps.from_inventory)."""
    if not inventory.python:
        pytest.skip("not applicable: no Python code in this codebase")
    return webapps.from_inventory(inventory)


@pytest.mark.readiness(id="transport.https", severity="high", rules=transport.HTTPS_RULES,
                       levels=transport.HTTPS_LEVELS,
                       fix="Redirect plain HTTP to https (HTTPSRedirectMiddleware, Django's "
                           "SECURE_SSL_REDIRECT, a before_request hook), send "
                           "Strict-Transport-Security, and mark session and CSRF cookies "
                           "Secure; if the ingress does the first two, waive with that reason")
def test_https_enforced(inventory: Inventory, web: tuple[webapps.Code, list[webapps.App]],
                        readiness: Recorder) -> None:
    """Plain HTTP is redirected, HSTS is sent, session cookies are Secure."""
    code, apps = web
    if not apps or all(a.framework == "grpc" for a in apps):
        pytest.skip("not applicable: no aiohttp, FastAPI/Starlette, Flask or Django app found")
    readiness.evidence(apps=[f"{a.framework} {a.file}:{a.line}" for a in apps])
    readiness.conclude(transport.https(code, apps, envreads.index_helpers(inventory)),
                       "transport security gap(s)",
                       warning="transport security gap(s) (warning)", code=True)


@pytest.mark.readiness(id="transport.grpc-plaintext", severity="high",
                       rules=transport.GRPC_RULES, levels=transport.GRPC_LEVELS,
                       fix="Serve with add_secure_port(addr, grpc.ssl_server_credentials(...)) "
                           "or bind plaintext to 127.0.0.1 only; call remote services with "
                           "grpc.secure_channel(target, grpc.ssl_channel_credentials(...))")
def test_grpc_over_tls(web: tuple[webapps.Code, list[webapps.App]], readiness: Recorder) -> None:
    """gRPC servers beyond loopback and channels to remote hosts use TLS."""
    code, _ = web
    if not code.importing("grpc"):
        pytest.skip("not applicable: no grpc import")
    readiness.conclude(transport.grpc_plaintext(code), "plaintext gRPC port(s) or channel(s)",
                       warning="plaintext gRPC with an unknown address (warning)", code=True)
