"""Flaws of the aiohttp inventory service (apps/aiohttp/clean/inventory)."""

# ruff: noqa: E501 - edits quote the apps' source lines verbatim

from __future__ import annotations

from tests.frameworks.catalog import App, Edit, Quiet
from tests.frameworks.flaws.common import compose_replicas, flaw, shared_quiet

P = "inventory/"

METRICS_HANDLER = '''@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    if not scrape_token_ok(request):
        raise web.HTTPUnauthorized(text="scrape token required")
    body = generate_latest(request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
'''
HEALTH_HANDLER = '''    report = await services.dependency_report(request.app)
    healthy = all(report.values())
    return web.json_response(
        {"status": "ok" if healthy else "unavailable"}, status=200 if healthy else 503
    )
'''
ADMIN_HANDLER = '''async def admin_users(request: web.Request) -> web.Response:
    return web.json_response({"users": await request.app[DB].list_users()})
'''
PUBLIC = 'PUBLIC_PATHS = frozenset({"/health", "/metrics", TOKEN_URL})'
ISSUE_RETURN = '''    kid = settings.JWT_ACTIVE_KID
    return jwt.encode(
        claims, settings.JWT_SIGNING_KEYS[kid], algorithm=ALGORITHM, headers={"kid": kid}
    )
'''
DECODE_KEY = '''        kid = jwt.get_unverified_header(token).get("kid")
        key = settings.JWT_SIGNING_KEYS[kid]
'''
QUOTE = '''            try:
                async with self._session.get(f"{self._base_url}/prices/{sku}") as response:
                    if response.status < 500:
                        response.raise_for_status()
                        return await response.json()
            except aiohttp.ClientError as exc:
'''
REDIRECT = '''    if not is_https(request) and request.path not in PROBE_PATHS:
        raise web.HTTPPermanentRedirect(request.url.with_scheme("https"))
'''
HSTS = '''    response.headers["Strict-Transport-Security"] = (
        f"max-age={settings.HSTS_SECONDS}; includeSubDomains"
    )
'''
AUTH_DEF = ("async def auth_middleware(request: web.Request, handler: Handler)"
            " -> web.StreamResponse:")
HTTPS_DEF = ("async def https_middleware(request: web.Request, handler: Handler)"
             " -> web.StreamResponse:")
MIDDLEWARE_OFF = {  # what the app looks like with no authentication at all
    "api_anon": 200, "admin_user": 401, "admin_admin": 401, "logout": 500,
    "revoked_token_reuse": 200, "health_details_anon": 200, "debug_anon": 404,
    "docs_anon": [404, 404], "events_anon": 101, "shared_state": ["ratelimit"],
}

FLAWS = (
    # 1 routes ---------------------------------------------------------------------------
    flaw("aiohttp/metrics-unauthenticated", 1, "/metrics serves anyone: the scrape-token check "
         "is gone and the path is excluded from the JWT middleware",
         "routes", "sensitive-route-unauthenticated", P + "routes.py",
         Edit(P + "routes.py", METRICS_HANDLER, METRICS_HANDLER.replace(
             '@routes.get("/metrics")', '@routes.get("/metrics")  {marker}').replace(
             '''    if not scrape_token_ok(request):
        raise web.HTTPUnauthorized(text="scrape token required")
''', "")),
         Edit(P + "routes.py", "from inventory.auth import require_role, scrape_token_ok",
              "from inventory.auth import require_role"),
         runtime={"metrics_anon": 200}),
    flaw("aiohttp/debug-route-public", 1, "a /debug/config route, added to the public paths "
         "for on-call convenience", "routes", "sensitive-route-unauthenticated",
         P + "routes.py",
         Edit(P + "routes.py", ADMIN_HANDLER, ADMIN_HANDLER + '''

@routes.get("/debug/config")  {marker}
async def debug_config(request: web.Request) -> web.Response:
    return web.json_response({
        "pricing_url": settings.PRICING_URL,
        "notify_url": settings.NOTIFY_URL,
        "cors": list(settings.CORS_ALLOWED_ORIGINS),
        "token_ttl_seconds": settings.TOKEN_TTL_SECONDS,
    })
'''),
         Edit(P + "auth.py", PUBLIC,
              'PUBLIC_PATHS = frozenset({"/health", "/metrics", TOKEN_URL, "/debug/config"})'),
         runtime={"debug_anon": 200}),
    flaw("aiohttp/websocket-public", 1, "the WebSocket stream excluded from authentication "
         "(browsers cannot send the header)", "routes", "sensitive-route-unauthenticated",
         P + "routes.py",
         Edit(P + "auth.py", PUBLIC,
              'PUBLIC_PATHS = frozenset({"/health", "/metrics", TOKEN_URL, "/api/stream"})'),
         Edit(P + "routes.py", '@routes.get("/api/stream")', '@routes.get("/api/stream")  {marker}'),
         runtime={"events_anon": 101}),
    flaw("aiohttp/auth-exclusion-prefix", 1, "public paths matched by prefix: /health also "
         "exempts /health/details", "routes", "exclusion-prefix-match", P + "auth.py",
         Edit(P + "auth.py", PUBLIC, 'PUBLIC_PATHS = ("/health", "/metrics", TOKEN_URL)'),
         Edit(P + "auth.py", '    if request.path in PUBLIC_PATHS or request.method == "OPTIONS":',
              '    if request.path.startswith(PUBLIC_PATHS) or request.method == "OPTIONS":'
              "  {marker}"),
         runtime={"health_details_anon": 200}),
    flaw("aiohttp/auth-middleware-unregistered", 1, "auth_middleware is defined but not in "
         "the application's middlewares", "routes", "middleware-unregistered", P + "auth.py",
         Edit(P + "app.py", "middlewares=[https_middleware, metrics_middleware, auth_middleware]",
              "middlewares=[https_middleware, metrics_middleware]"),
         Edit(P + "app.py", "from inventory.auth import auth_middleware\n", ""),
         Edit(P + "auth.py", AUTH_DEF, AUTH_DEF + "  {marker}"),
         runtime=MIDDLEWARE_OFF),
    # 2 cors -----------------------------------------------------------------------------
    flaw("aiohttp/cors-wildcard-credentials", 2, 'aiohttp-cors defaults for "*" with '
         "credentials: every origin is echoed back", "cors", "wildcard-origin-credentials",
         P + "app.py",
         Edit(P + "app.py",
              "        app, defaults={origin: options for origin in settings.CORS_ALLOWED_ORIGINS}",
              '        app, defaults={"*": options}  {marker}'),
         runtime={"cors_evil_origin": "https://evil.example", "cors_evil_credentials": "true"}),
    # 3 transport ------------------------------------------------------------------------
    flaw("aiohttp/https-not-enforced", 3, "the security middleware sets HSTS but no longer "
         "redirects plain HTTP", "transport", "https-not-enforced", P + "security.py",
         Edit(P + "security.py", REDIRECT, ""),
         Edit(P + "security.py", HTTPS_DEF, HTTPS_DEF + "  {marker}"),
         Edit(P + "security.py", '''# Probes of the orchestrator and the load balancer speak plain HTTP to the pod.
PROBE_PATHS = frozenset({"/health"})


def is_https(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"


''', ""),
         runtime={"http_redirect": 401}),
    flaw("aiohttp/hsts-missing", 3, "no Strict-Transport-Security header", "transport",
         "hsts-missing", P + "security.py",
         Edit(P + "security.py", HSTS, ""),
         Edit(P + "security.py", HTTPS_DEF, HTTPS_DEF + "  {marker}"),
         Edit(P + "security.py", "\nfrom inventory import settings\n", "\n"),
         runtime={"hsts": False}),
    flaw("aiohttp/cookie-not-secure", 3, "the session cookie is sent over plain HTTP too",
         "transport", "cookie-not-secure", P + "routes.py",
         Edit(P + "routes.py", "SESSION_COOKIE, token, secure=True, httponly=True,",
              "SESSION_COOKIE, token, secure=False, httponly=True,  {marker}\n       "),
         runtime={"cookie_secure": False}),
    flaw("aiohttp/tls-verify-off-request", 3, "the webhook POST passes ssl=False",
         "tls", "verification-off", P + "clients.py",
         Edit(P + "clients.py",
              '            async with self._session.post(self._url, json={"event": '
              '"item.created", **item}) as r:',
              '            async with self._session.post(  {marker}\n'
              '                self._url, json={"event": "item.created", **item}, ssl=False\n'
              '            ) as r:'),
         runtime={"untrusted_upstream_reached": True}),
    flaw("aiohttp/tls-context-cert-none", 3, "the client SSL context checks neither hostname "
         "nor chain", "tls", "verification-off", P + "clients.py",
         Edit(P + "clients.py", '''    context.check_hostname = not settings.INSECURE_SKIP_TLS_VERIFY
    context.verify_mode = ssl.CERT_NONE if settings.INSECURE_SKIP_TLS_VERIFY else ssl.CERT_REQUIRED
''', '''    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  {marker}
'''),
         runtime={"untrusted_upstream_reached": True}),
    flaw("aiohttp/tls-skip-setting-default-on", 3, "INSECURE_SKIP_TLS_VERIFY defaults to "
         "true: verification is off unless someone turns it on", "tls",
         "verification-off-by-setting", P + "settings.py",
         Edit(P + "settings.py",
              'INSECURE_SKIP_TLS_VERIFY = env_bool("INSECURE_SKIP_TLS_VERIFY", False)',
              'INSECURE_SKIP_TLS_VERIFY = env_bool("INSECURE_SKIP_TLS_VERIFY", True)  {marker}'),
         runtime={"untrusted_upstream_reached": True}),
    # 4 logging --------------------------------------------------------------------------
    flaw("aiohttp/token-in-log-fstring", 4, "the issued token logged in an f-string",
         "logging", "secret-in-log", P + "routes.py",
         Edit(P + "routes.py", '    log.info("issued token for %s", username)',
              '    log.info(f"issued token {token} for {username}")  {marker}'),
         runtime={"secret_in_logs": True}),
    # 5 blocking -------------------------------------------------------------------------
    flaw("aiohttp/requests-in-async-path", 5, "get_item -> services.item_with_price -> "
         "PricingClient.quote -> _fetch calls requests.get", "blocking", "blocking-call-in-async",
         P + "clients.py",
         Edit(P + "clients.py", QUOTE, '''            try:
                response = requests.get(  {marker}
                    f"{self._base_url}/prices/{sku}", timeout=settings.UPSTREAM_TIMEOUT_SECONDS
                )
                if response.status_code < 500:
                    response.raise_for_status()
                    return response.json()
            except requests.RequestException as exc:
'''),
         Edit(P + "clients.py", "import aiohttp\n", "import aiohttp\nimport requests\n"),
         runtime={"blocking_in_event_loop": ["requests"]}),
    flaw("aiohttp/time-sleep-in-async-path", 5, "the retry back-off sleeps with time.sleep "
         "(get_item -> item_with_price -> quote -> _fetch -> backoff)", "blocking",
         "blocking-call-in-async", P + "clients.py",
         Edit(P + "clients.py",
              "    await asyncio.sleep(settings.UPSTREAM_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1))",
              "    time.sleep(settings.UPSTREAM_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1))"
              "  {marker}"),
         Edit(P + "clients.py", "import asyncio\nimport logging\nimport ssl\n",
              "import logging\nimport ssl\nimport time\n"),
         runtime={"blocking_in_event_loop": ["time.sleep"]}),
    # 6 scale ----------------------------------------------------------------------------
    flaw("aiohttp/in-memory-denylist", 6, "revoked tokens kept in a module-level set, with "
         "three replicas: a token revoked on one is valid on the others", "scale",
         "process-local-shared-state", P + "tokens.py",
         Edit(P + "tokens.py", 'ALGORITHM = "HS256"\n',
              'ALGORITHM = "HS256"\n_REVOKED: set[str] = set()  {marker}\n'),
         Edit(P + "tokens.py", '''    if await cache.is_revoked(claims["jti"]):''',
              '''    if claims["jti"] in _REVOKED:'''),
         Edit(P + "tokens.py",
              '''    await cache.revoke(claims["jti"], int(claims["exp"]) - int(time.time()))''',
              '''    _REVOKED.add(claims["jti"])'''),
         compose_replicas("inventory", '["python", "-m", "inventory"]', 8080),
         runtime={"shared_state": ["ratelimit"]}),
    # 7 endpoints ------------------------------------------------------------------------
    flaw("aiohttp/metrics-json", 7, "/metrics answers JSON, which Prometheus cannot scrape",
         "endpoints", "metrics-not-prometheus", P + "routes.py",
         Edit(P + "routes.py", '''    body = generate_latest(request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
''', '''    registry = request.app[METRICS].registry
    return web.json_response(  {marker}
        {m.name: [s.value for s in m.samples] for m in registry.collect()}
    )
'''),
         Edit(P + "routes.py",
              "from prometheus_client import CONTENT_TYPE_LATEST, generate_latest\n", ""),
         runtime={"metrics_type": "application/json"}),
    flaw("aiohttp/health-always-ok", 7, "/health answers 200 whatever the database and cache "
         "say", "endpoints", "health-cannot-fail", P + "routes.py",
         Edit(P + "routes.py", HEALTH_HANDLER,
              '    return web.json_response({"status": "ok"})  {marker}\n'),
         runtime={"health_failing": 200}),
    # 8 tokens and defaults --------------------------------------------------------------
    flaw("aiohttp/jwt-no-expiry", 8, "tokens carry no exp claim and decoding does not "
         "require one", "tokens", "jwt-no-expiry", P + "tokens.py",
         Edit(P + "tokens.py", '        "exp": issued_at + settings.TOKEN_TTL_SECONDS,\n', ""),
         Edit(P + "tokens.py", '            options={"require": ["exp", "iat", "jti", "sub"]},',
              '            options={"require": ["iat", "jti", "sub"]},  {marker}'),
         Edit(P + "tokens.py",
              '''    await cache.revoke(claims["jti"], int(claims["exp"]) - int(time.time()))''',
              '''    await cache.revoke(claims["jti"], settings.TOKEN_TTL_SECONDS)'''),
         runtime={"token_claims": ["iat", "iss", "jti", "role", "sub"]}),
    flaw("aiohttp/jwt-hardcoded-secret", 8, "a short signing key written in the settings "
         "module", "tokens", "jwt-weak-secret", P + "settings.py",
         Edit(P + "settings.py", '''JWT_SIGNING_KEYS = signing_keys(env_required("JWT_SIGNING_KEYS"))
JWT_ACTIVE_KID = os.environ.get("JWT_ACTIVE_KID", next(iter(JWT_SIGNING_KEYS)))''',
              '''JWT_SIGNING_KEYS = {"k1": "inventory-jwt"}  {marker}
JWT_ACTIVE_KID = "k1"'''),
         runtime={"token_signed_with_configured_key": False}),
    flaw("aiohttp/jwt-no-kid", 8, "one key, no kid: the key cannot be rotated without "
         "logging everyone out", "tokens", "jwt-no-key-rotation", P + "tokens.py",
         Edit(P + "tokens.py", ISSUE_RETURN, '''    key = settings.JWT_SIGNING_KEYS[settings.JWT_ACTIVE_KID]
    return jwt.encode(claims, key, algorithm=ALGORITHM)  {marker}
'''),
         Edit(P + "tokens.py", DECODE_KEY,
              "        key = settings.JWT_SIGNING_KEYS[settings.JWT_ACTIVE_KID]\n"),
         runtime={"token_kid": False}),
    flaw("aiohttp/jwt-no-revocation", 8, "the middleware decodes tokens without checking the "
         "denylist: logout does not end a session", "tokens", "jwt-no-revocation",
         P + "auth.py",
         Edit(P + "auth.py", "        request[USER] = await tokens.verify(request.app[CACHE], token)",
              "        request[USER] = tokens.decode(token)  {marker}"),
         Edit(P + "auth.py", "from inventory.keys import CACHE, USER", "from inventory.keys import USER"),
         runtime={"revoked_token_reuse": 200}),
    flaw("aiohttp/default-admin-password", 8, 'the bootstrap admin gets the password "admin" '
         "when none is configured", "defaults", "default-admin-credentials", P + "settings.py",
         Edit(P + "settings.py",
              'BOOTSTRAP_ADMIN_PASSWORD = os.environ.get("BOOTSTRAP_ADMIN_PASSWORD", "")',
              'BOOTSTRAP_ADMIN_PASSWORD = os.environ.get("BOOTSTRAP_ADMIN_PASSWORD", "admin")'
              "  {marker}"),
         runtime={"default_admin_login": 200}),
)

QUIET = (
    *shared_quiet(P),
    Quiet(P + "constants.py", 'TOKEN_URL = "/auth/token"', "a URL path"),
    Quiet(P + "settings.py",
          'INSECURE_SKIP_TLS_VERIFY = env_bool("INSECURE_SKIP_TLS_VERIFY", False)',
          "a negated setting whose default keeps verification on"),
    Quiet(P + "clients.py", "    context.verify_mode = ssl.CERT_NONE if settings."
          "INSECURE_SKIP_TLS_VERIFY else ssl.CERT_REQUIRED",
          "CERT_NONE only when the (off by default) skip setting is on"),
    Quiet(P + "auth.py", 'PUBLIC_PATHS = frozenset({"/health", "/metrics", TOKEN_URL})',
          "an exact-match exclusion list; /metrics checks its own scrape token"),
    Quiet(P + "clients.py", "    await asyncio.sleep(", "the non-blocking sleep"),
    Quiet(P + "clients.py", "            await backoff(attempt)",
          "the retry loop's back-off, one call away (a retry with back-off)"),
    Quiet(P + "breaker.py", "class CircuitBreaker:",
          "per-process state on purpose: each replica protects itself"),
)

APP = App("aiohttp", "aiohttp", "inventory",
          "inventory service: aiohttp, aiohttp-cors, redis.asyncio, psycopg async, PyJWT",
          FLAWS, QUIET)
