"""The static app model (plumbing/webapps) and the routes, transport and endpoint rules on
small trees: the idioms the framework apps do not show, and the near misses."""

from __future__ import annotations

import textwrap

from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.plumbing import webapps
from pytest_readiness.plumbing.webapps.model import Exclusion, sensitive_kind
from pytest_readiness.probes.code import routes, transport
from pytest_readiness.probes.deployment.monitoring import endpoints
from tests.code.conftest import module_of


def code_of(files: dict[str, str]) -> webapps.Code:
    return webapps.Code([module_of(textwrap.dedent(src), rel) for rel, src in files.items()])


def inventory(files: dict[str, str]) -> dict[str, str]:
    apps = webapps.read_code(code_of(files))
    return {f"{r['method']} {r['path']}": str(r["auth"]) for r in routes.inventory(apps)}


def test_flask_blueprint_prefixes_and_register_override() -> None:
    rows = inventory({
        "svc/app.py": """
            from flask import Flask
            from svc.views import admin, api
            def create_app():
                app = Flask(__name__)
                app.register_blueprint(api)
                app.register_blueprint(admin, url_prefix="/ops/admin")
                return app
            """,
        "svc/views.py": """
            from flask import Blueprint
            from flask_login import login_required
            api = Blueprint("api", __name__, url_prefix="/api/v1")
            admin = Blueprint("admin", __name__, url_prefix="/admin")
            @api.route("/items", methods=["GET", "POST"])
            def items(): ...
            @admin.get("/users")
            @login_required
            def users(): ...
            """})
    assert rows == {"GET,POST /api/v1/items": "none", "GET /ops/admin/users": "@login_required"}


def test_django_include_across_modules_and_drf_permissions() -> None:
    rows = inventory({
        "proj/settings.py": 'ROOT_URLCONF = "proj.urls"\nMIDDLEWARE = []\n',
        "proj/urls.py": """
            from django.urls import include, path
            urlpatterns = [path("api/", include("shop.urls"))]
            """,
        "shop/urls.py": """
            from django.urls import path, re_path
            from shop import views
            urlpatterns = [
                path("orders/", views.OrderList.as_view()),
                re_path(r"^admin/stats$", views.stats),
            ]
            """,
        "shop/views.py": """
            from rest_framework.permissions import IsAdminUser
            from rest_framework.views import APIView
            class OrderList(APIView):
                permission_classes = [IsAdminUser]
            def stats(request): ...
            """})
    assert rows == {"* /api/orders/": "permission_classes=IsAdminUser",
                    "* /api/admin/stats": "none"}
    apps = webapps.read_code(code_of({
        "proj/settings.py": 'ROOT_URLCONF = "proj.urls"\nMIDDLEWARE = []\n',
        "proj/urls.py": 'from django.urls import path\nfrom proj import v\n'
                        'urlpatterns = [path("admin/stats", v.stats)]\n',
        "proj/v.py": "def stats(request): ...\n"}))
    assert [f.level for f in routes.unauthenticated(apps)] == ["error"]


def test_fastapi_nested_routers_security_and_docs_off() -> None:
    rows = inventory({
        "api/main.py": """
            from fastapi import APIRouter, FastAPI, Security
            from api.auth import api_key
            inner = APIRouter(prefix="/metrics")
            outer = APIRouter()
            @inner.get("")
            def metrics(): ...
            @outer.websocket("/ws")
            async def ws(key: str = Security(api_key)): ...
            outer.include_router(inner, prefix="/ops")
            app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
            app.include_router(outer, prefix=PREFIX)
            """,
        "api/auth.py": "def api_key(): ...\n"})
    assert rows == {"GET {PREFIX}/ops/metrics": "none", "WS {PREFIX}/ws": "Depends(api_key)"}


def test_grpc_prefix_match_and_admin_method_in_public_list() -> None:
    files = {"srv.py": """
        import grpc
        PUBLIC = ("/pkg.Auth/Login", "/pkg.Admin/Reset")
        class Auth(grpc.ServerInterceptor):
            def intercept_service(self, continuation, details):
                if details.method.startswith(PUBLIC):
                    return continuation(details)
                return deny(grpc.StatusCode.UNAUTHENTICATED)
        server = grpc.server(pool, interceptors=[Auth()])
        """}
    apps = webapps.read_code(code_of(files))
    assert [(f.line, f.level) for f in routes.unauthenticated(apps)] == [(2, "error")]
    assert [(f.line, f.level) for f in routes.prefix_exclusions(apps)] == [(5, "error")]


def test_library_middleware_without_an_app_is_not_reported() -> None:
    apps = webapps.read_code(code_of({"lib/mw.py": """
        from aiohttp import web
        @web.middleware
        async def auth(request, handler):
            raise web.HTTPUnauthorized()
        """}))
    assert apps == [] and routes.unregistered(apps) == []


@given(st.lists(st.sampled_from(["api", "v1", "x", "{id}", "items"]), max_size=4),
       st.sampled_from(["admin", "metrics", "debug", "docs"]))
def test_a_sensitive_segment_anywhere_names_the_route(prefix: list[str], word: str) -> None:
    assert sensitive_kind("/" + "/".join([*prefix, word, "x"])) == word


@given(st.lists(st.text(alphabet="/abh", min_size=1, max_size=5), min_size=1, max_size=4),
       st.text(alphabet="/abh", max_size=8))
def test_a_prefix_match_exempts_at_least_what_an_exact_match_does(names: list[str],
                                                                  path: str) -> None:
    entries = tuple((n, 1) for n in names)
    exact, prefix = Exclusion("P", "f", entries), Exclusion("P", "f", entries, 2, "f")
    assert not exact.exempts(path) or prefix.exempts(path)


def test_grpc_ports_and_channels() -> None:
    code = code_of({"s.py": """
        import grpc
        server.add_insecure_port("127.0.0.1:50051")
        server.add_insecure_port("unix:/run/app.sock")
        server.add_insecure_port("[::]:50051")
        server.add_insecure_port(address)
        grpc.insecure_channel("localhost:50051")
        grpc.insecure_channel("payments.internal:443")
        grpc.aio.insecure_channel(target)
        grpc.insecure_channel("payments.example.com:443")
        grpc.insecure_channel("cart:7070")
        grpc.insecure_channel("8.8.8.8:443")
        grpc.insecure_channel("10.1.2.3:443")
        server.add_insecure_port("1.2.3.4:50051")
        server.add_insecure_port("192.168.1.4:50051")
        """})
    assert [(f.rule, f.line, f.level) for f in transport.grpc_plaintext(code)] == [
        # every interface: what a container binds; whether the network is private, or
        # a mesh adds mTLS, cannot be told from the code
        ("insecure-port", 4, "warning"), ("insecure-port", 5, "warning"),
        ("insecure-channel", 7, "warning"), ("insecure-channel", 8, "warning"),
        ("insecure-channel", 9, "error"), ("insecure-channel", 10, "warning"),
        ("insecure-channel", 11, "error"), ("insecure-channel", 12, "warning"),
        ("insecure-port", 13, "error"), ("insecure-port", 14, "warning")]


def test_django_transport_settings_explicit_absent_and_untouched() -> None:
    code = code_of({"proj/settings.py": """
        MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
        ROOT_URLCONF = "proj.urls"
        SECURE_SSL_REDIRECT = True
        SECURE_HSTS_SECONDS = 0
        SESSION_COOKIE_SECURE = False
        """})
    found = {(f.rule, f.level) for f in transport.https(code, webapps.read_code(code))}
    assert found == {("hsts-missing", "warning"), ("cookie-not-secure", "error"),
                     ("cookie-not-secure", "warning")}  # the CSRF cookie: not set
    bare = code_of({"proj/settings.py": 'MIDDLEWARE = []\nROOT_URLCONF = "proj.urls"\n'})
    assert {f.level for f in transport.https(bare, webapps.read_code(bare))} == {"note"}


def test_liveness_beside_a_failing_readiness_is_fine() -> None:
    files = {"app.py": """
        from fastapi import FastAPI
        from fastapi.responses import JSONResponse
        app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
        @app.get("/livez")
        def live():
            return {"ok": True}
        @app.get("/healthz")
        def health():
            return {"ok": True}
        @app.get("/readyz")
        async def ready():
            ok = await db.ping()
            return JSONResponse({}, status_code=200 if ok else 503)
        """}
    code = code_of(files)
    assert endpoints.health_cannot_fail(code, webapps.read_code(code)) == []
    code = code_of({"app.py": files["app.py"].split('        @app.get("/readyz")')[0]})
    found = endpoints.health_cannot_fail(code, webapps.read_code(code))
    assert [(f.line, f.level) for f in found] == [(9, "warning")]


def test_metrics_json_only_without_the_exposition_format() -> None:
    code = code_of({"app.py": """
        from flask import Flask, jsonify, Response
        from prometheus_client import generate_latest
        app = Flask(__name__)
        @app.get("/metrics")
        def metrics():
            if request.args.get("format") == "json":
                return jsonify(stats())
            return Response(generate_latest())
        @app.get("/internal/metrics")
        def internal():
            return jsonify(stats())
        """})
    found = endpoints.metrics_json(code, webapps.read_code(code))
    assert [f.line for f in found] == [11]
