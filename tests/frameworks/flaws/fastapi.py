"""Flaws of the FastAPI orders service (apps/fastapi/clean/orders)."""

# ruff: noqa: E501 - edits quote the apps' source lines verbatim

from __future__ import annotations

from tests.frameworks.catalog import App, Edit, Quiet
from tests.frameworks.flaws.common import compose_replicas, flaw, shared_quiet

P = "orders/"
AUTH_IMPORT = "from orders.auth import User, current_user, require_admin, require_scrape_token"
FASTAPI_CALL = '''    app = FastAPI(title="orders", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)'''
HEALTH_BODY = '''    report = await services.dependency_report(request)
    healthy = all(report.values())
    return JSONResponse({"status": "ok" if healthy else "unavailable"},
                        status_code=200 if healthy else 503)
'''
METRICS_BODY = '''    body = generate_latest(request.app.state.metrics.registry)
    return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST})
'''
COOKIE = ('    response.set_cookie(SESSION_COOKIE, token, secure=True, httponly=True, '
          'samesite="strict",')
LOGIN_LIMIT = ('    if not await state.cache.hit(f"login:{body.username}", '
               'settings.LOGIN_ATTEMPTS_PER_MINUTE, 60):')

FLAWS = (
    # 1 routes ---------------------------------------------------------------------------
    flaw("fastapi/metrics-unauthenticated", 1, "/metrics without its scrape-token dependency",
         "routes", "sensitive-route-unauthenticated", P + "routes.py",
         Edit(P + "routes.py", '@root.get("/metrics", dependencies=[Depends(require_scrape_token)])',
              '@root.get("/metrics")  {marker}'),
         Edit(P + "routes.py", AUTH_IMPORT,
              "from orders.auth import User, current_user, require_admin"),
         runtime={"metrics_anon": 200}),
    flaw("fastapi/docs-public", 1, "Swagger UI and the OpenAPI schema served to anyone "
         "(FastAPI's defaults)", "routes", "sensitive-route-unauthenticated", P + "app.py",
         Edit(P + "app.py", FASTAPI_CALL,
              '    app = FastAPI(title="orders", lifespan=lifespan)  {marker}'),
         runtime={"docs_anon": [200, 200]}),
    flaw("fastapi/admin-router-unguarded", 1, "the admin router lost its require_admin "
         "dependency", "routes", "sensitive-route-unauthenticated", P + "routes.py",
         Edit(P + "routes.py",
              'admin = APIRouter(prefix="/admin", dependencies=[Depends(require_admin)])',
              'admin = APIRouter(prefix="/admin")'),
         Edit(P + "routes.py", '@admin.get("/users")', '@admin.get("/users")  {marker}'),
         Edit(P + "routes.py", AUTH_IMPORT,
              "from orders.auth import User, current_user, require_scrape_token"),
         runtime={"admin_anon": 200, "admin_user": 200}),
    flaw("fastapi/events-public", 1, "the server-sent events stream moved to the unguarded "
         "router (EventSource cannot send headers)", "routes", "sensitive-route-unauthenticated",
         P + "routes.py",
         Edit(P + "routes.py", '@api.get("/events")', '@root.get("/api/events")  {marker}'),
         runtime={"events_anon": 200}),
    flaw("fastapi/security-middleware-unregistered", 1, "SecurityHeadersMiddleware is defined "
         "but never added", "routes", "middleware-unregistered", P + "middleware.py",
         Edit(P + "app.py", "    app.add_middleware(SecurityHeadersMiddleware)\n", ""),
         Edit(P + "app.py", "from orders.middleware import Metrics, MetricsMiddleware, "
              "SecurityHeadersMiddleware", "from orders.middleware import Metrics, "
              "MetricsMiddleware"),
         Edit(P + "middleware.py", "class SecurityHeadersMiddleware:",
              "class SecurityHeadersMiddleware:  {marker}"),
         runtime={"hsts": False}),
    # 2 cors -----------------------------------------------------------------------------
    flaw("fastapi/cors-wildcard-credentials", 2, 'allow_origins=["*"] with '
         "allow_credentials=True: Starlette echoes any origin that sends cookies",
         "cors", "wildcard-origin-credentials", P + "app.py",
         Edit(P + "app.py", "        allow_origins=settings.CORS_ALLOWED_ORIGINS,",
              '        allow_origins=["*"],  {marker}'),
         runtime={"cors_evil_origin": "https://evil.example"}),
    flaw("fastapi/cors-regex-reflects", 2, "an origin regex that matches every https origin",
         "cors", "reflected-origin-credentials", P + "app.py",
         Edit(P + "app.py", "        allow_origins=settings.CORS_ALLOWED_ORIGINS,",
              '        allow_origin_regex=r"https://.*",  {marker}'),
         runtime={"cors_evil_origin": "https://evil.example"}),
    # 3 transport ------------------------------------------------------------------------
    flaw("fastapi/https-not-enforced", 3, "HTTPSRedirectMiddleware is not added: plain HTTP "
         "is served", "transport", "https-not-enforced", P + "app.py",
         Edit(P + "app.py", "    app.add_middleware(HTTPSRedirectMiddleware)\n", ""),
         Edit(P + "app.py", "from fastapi.middleware.httpsredirect import "
              "HTTPSRedirectMiddleware\n", ""),
         Edit(P + "app.py", FASTAPI_CALL, FASTAPI_CALL.replace(
             "redoc_url=None,", "redoc_url=None,  {marker}")),
         runtime={"http_redirect": 401}),
    flaw("fastapi/cookie-not-secure", 3, "the session cookie without Secure", "transport",
         "cookie-not-secure", P + "routes.py",
         Edit(P + "routes.py", COOKIE,
              COOKIE.replace("secure=True", "secure=False") + "  {marker}"),
         runtime={"cookie_secure": False}),
    flaw("fastapi/httpx-verify-off", 3, "httpx.AsyncClient(verify=False)", "tls",
         "verification-off", P + "clients.py",
         Edit(P + "clients.py", "        verify=not settings.INSECURE_SKIP_TLS_VERIFY,",
              "        verify=False,  {marker}"),
         runtime={"untrusted_upstream_reached": True}),
    flaw("fastapi/tls-skip-setting-default-on", 3, "INSECURE_SKIP_TLS_VERIFY defaults to true",
         "tls", "verification-off-by-setting", P + "settings.py",
         Edit(P + "settings.py",
              'INSECURE_SKIP_TLS_VERIFY = env_bool("INSECURE_SKIP_TLS_VERIFY", False)',
              'INSECURE_SKIP_TLS_VERIFY = env_bool("INSECURE_SKIP_TLS_VERIFY", True)  {marker}'),
         runtime={"untrusted_upstream_reached": True}),
    # 4 logging --------------------------------------------------------------------------
    flaw("fastapi/token-in-log-extra", 4, "the issued token passed in extra= (the JSON log "
         "formatter writes it out)", "logging", "secret-in-log", P + "routes.py",
         Edit(P + "routes.py",
              '    log.info("issued token for %s", body.username, extra={"subject": '
              'user["username"]})',
              '    log.info("issued token for %s", body.username,  {marker}\n'
              '             extra={"subject": user["username"], "token": token})'),
         runtime={"secret_in_logs": True}),
    # 5 blocking -------------------------------------------------------------------------
    flaw("fastapi/psycopg2-in-async-path", 5, "admin_users -> services.user_directory -> "
         "reporting.user_directory opens a psycopg2 connection to the reporting replica",
         "blocking", "blocking-call-in-async", P + "reporting.py",
         Edit(P + "reporting.py", None, '''"""Reporting queries, run on the read replica."""

from __future__ import annotations

from typing import Any

import psycopg2
import psycopg2.extras


def user_directory(dsn: str) -> list[dict[str, Any]]:
    with psycopg2.connect(dsn, connect_timeout=3) as conn:  {marker}
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
            cursor.execute("SELECT username, role FROM users ORDER BY username")
            return [dict(row) for row in cursor.fetchall()]
'''),
         Edit(P + "services.py", '''async def user_directory(request: Request) -> list[dict[str, Any]]:
    return await request.app.state.db.list_users()''',
              '''async def user_directory(request: Request) -> list[dict[str, Any]]:
    return reporting.user_directory(settings.REPORTING_DATABASE_URL)'''),
         Edit(P + "services.py", "from orders import buildinfo\n",
              "from orders import buildinfo, reporting, settings\n"),
         runtime={"blocking_in_event_loop": ["psycopg2"], "admin_admin": 500}),
    flaw("fastapi/subprocess-in-async-path", 5, "health_details -> services.health_details -> "
         "buildinfo.describe -> revision runs git with subprocess.run", "blocking",
         "blocking-call-in-async", P + "buildinfo.py",
         Edit(P + "buildinfo.py", '''def revision() -> str:
    return settings.BUILD_SHA''', '''def revision() -> str:
    done = subprocess.run(  {marker}
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=2,
        check=False,
    )
    return done.stdout.strip() or settings.BUILD_SHA'''),
         Edit(P + "buildinfo.py", "from __future__ import annotations\n",
              "from __future__ import annotations\n\nimport subprocess\n"),
         runtime={"blocking_in_event_loop": ["subprocess.run"]}),
    flaw("fastapi/boto3-in-async-path", 5, "create_item -> services.add_item calls "
         "InvoiceArchive.put (boto3 put_object) on the event loop, not in a thread",
         "blocking", "blocking-call-in-async", P + "archive.py",
         Edit(P + "services.py",
              "    invoice = await asyncio.to_thread(state.archive.put, item)",
              "    invoice = state.archive.put(item)"),
         Edit(P + "services.py", "import asyncio\n", ""),
         Edit(P + "archive.py", "        self._s3.put_object(",
              "        self._s3.put_object(  {marker}"),
         runtime={"blocking_in_event_loop": ["boto3"]}),
    # 6 scale ----------------------------------------------------------------------------
    flaw("fastapi/in-memory-rate-limiter", 6, "login attempts counted in a module-level dict, "
         "with three replicas: each allows its own five", "scale",
         "process-local-shared-state", P + "ratelimit.py",
         Edit(P + "ratelimit.py", None, '''"""Login throttling."""

from __future__ import annotations

import time
from collections import defaultdict

_ATTEMPTS: defaultdict[str, list[float]] = defaultdict(list)  {marker}


def allow(bucket: str, limit: int, window_seconds: int) -> bool:
    now = time.monotonic()
    recent = [t for t in _ATTEMPTS[bucket] if now - t < window_seconds]
    recent.append(now)
    _ATTEMPTS[bucket] = recent
    return len(recent) <= limit
'''),
         Edit(P + "routes.py", LOGIN_LIMIT, '    if not ratelimit.allow(f"login:{body.username}", '
              'settings.LOGIN_ATTEMPTS_PER_MINUTE, 60):'),
         Edit(P + "routes.py", "from orders import services, settings, tokens",
              "from orders import ratelimit, services, settings, tokens"),
         compose_replicas("orders", '["python", "-m", "orders"]', 8000),
         runtime={"shared_state": ["revoked"]}),
    # 7 endpoints ------------------------------------------------------------------------
    flaw("fastapi/metrics-json", 7, "/metrics answers JSON", "endpoints",
         "metrics-not-prometheus", P + "routes.py",
         Edit(P + "routes.py", METRICS_BODY, '''    registry = request.app.state.metrics.registry
    return JSONResponse(  {marker}
        {m.name: [s.value for s in m.samples] for m in registry.collect()}
    )
'''),
         Edit(P + "routes.py",
              "from prometheus_client import CONTENT_TYPE_LATEST, generate_latest\n", ""),
         Edit(P + "routes.py", "from fastapi import APIRouter, Depends, HTTPException, "
              "Request, Response, status", "from fastapi import APIRouter, Depends, "
              "HTTPException, Request, status"),
         runtime={"metrics_type": "application/json"}),
    flaw("fastapi/health-always-ok", 7, "/health answers 200 whatever the dependencies say",
         "endpoints", "health-cannot-fail", P + "routes.py",
         Edit(P + "routes.py", HEALTH_BODY,
              '    return JSONResponse({"status": "ok"})  {marker}\n'),
         runtime={"health_failing": 200}),
    # 8 tokens and defaults --------------------------------------------------------------
    flaw("fastapi/jwt-no-revocation", 8, "current_user decodes without the denylist",
         "tokens", "jwt-no-revocation", P + "auth.py",
         Edit(P + "auth.py",
              "        claims = await tokens.verify(request.app.state.cache, "
              "credentials.credentials)",
              "        claims = tokens.decode(credentials.credentials)  {marker}"),
         runtime={"revoked_token_reuse": 200}),
    flaw("fastapi/jwt-secret-fallback", 8, "a signing key written in the code, used when "
         "the environment has none", "tokens", "jwt-weak-secret", P + "settings.py",
         Edit(P + "settings.py",
              'JWT_SIGNING_KEYS = signing_keys(env_required("JWT_SIGNING_KEYS"))',
              'JWT_SIGNING_KEYS = signing_keys(  {marker}\n'
              '    os.environ.get("JWT_SIGNING_KEYS", "dev:orders-local-signing-key-not-for-prod")\n'
              ')'),
         unobservable="the harness always sets JWT_SIGNING_KEYS, so the fallback never runs"),
    flaw("fastapi/default-admin-created", 8, "the lifespan creates admin/admin when no "
         "admin exists", "defaults", "default-admin-credentials", P + "app.py",
         Edit(P + "app.py", '''    if not settings.BOOTSTRAP_ADMIN_PASSWORD:
        return
    if await app.state.db.get_user("admin") is None:
        await app.state.db.create_user(
            "admin", hash_password(settings.BOOTSTRAP_ADMIN_PASSWORD), Role.ADMIN.value
        )''', '''    if await app.state.db.get_user("admin") is None:
        await app.state.db.create_user("admin", hash_password("admin"), Role.ADMIN.value)  {marker}'''),
         runtime={"default_admin_login": 200}),
    flaw("fastapi/uvicorn-reload", 8, "the production entry point runs uvicorn with "
         "reload=True", "defaults", "reload-in-production", P + "__main__.py",
         Edit(P + "__main__.py", "        access_log=False,\n",
              "        access_log=False,\n        reload=True,  {marker}\n"),
         unobservable="the entry point is not run: it would serve on a port and watch files"),
)

QUIET = (
    *shared_quiet(P),
    Quiet(P + "clients.py", "        verify=not settings.INSECURE_SKIP_TLS_VERIFY,",
          "verification follows a negated setting that defaults to false"),
    Quiet(P + "services.py", "    invoice = await asyncio.to_thread(state.archive.put, item)",
          "boto3 runs in a worker thread, not on the event loop"),
    Quiet(P + "routes.py", "root = APIRouter()  # each route states its own guard",
          "every route on it declares a dependency, except /health and the login"),
)

APP = App("fastapi", "fastapi", "orders",
          "orders service: FastAPI/Starlette, httpx, redis.asyncio, psycopg async, boto3, PyJWT",
          FLAWS, QUIET, env={"AWS_REGION": "eu-west-1"})
