"""Flaws of the Flask accounts service (apps/flask/clean/accounts)."""

# ruff: noqa: E501 - edits quote the apps' source lines verbatim

from __future__ import annotations

from tests.frameworks.catalog import App, Edit, Quiet
from tests.frameworks.flaws.common import compose_replicas, flaw, shared_quiet

P = "accounts/"
PUBLIC = 'PUBLIC_PATHS = frozenset({"/health", "/metrics", TOKEN_URL})'
CORS_CALL = '''    CORS(app, resources={r"/api/*": {"origins": settings.CORS_ALLOWED_ORIGINS}},
         supports_credentials=True)'''
COOKIE = ('    response.set_cookie(SESSION_COOKIE, token, secure=True, httponly=True, '
          'samesite="Strict",')
HEALTH_BODY = '''    report = services.dependency_report()
    healthy = all(report.values())
    return jsonify(status="ok" if healthy else "unavailable"), 200 if healthy else 503
'''
ISSUE_RETURN = '''    kid = settings.JWT_ACTIVE_KID
    return jwt.encode(
        claims, settings.JWT_SIGNING_KEYS[kid], algorithm=ALGORITHM, headers={"kid": kid}
    )
'''
HOOK_OFF = {  # no authentication hook at all
    "api_anon": 200, "admin_user": 401, "admin_admin": 401, "logout": 500,
    "revoked_token_reuse": 200, "health_details_anon": 200, "debug_anon": 404,
    "docs_anon": [404, 404], "events_anon": 200, "shared_state": ["ratelimit"],
}

FLAWS = (
    # 1 routes ---------------------------------------------------------------------------
    flaw("flask/metrics-unauthenticated", 1, "/metrics without the scrape-token check",
         "routes", "sensitive-route-unauthenticated", P + "routes.py",
         Edit(P + "routes.py", '''@ops.get("/metrics")
def metrics() -> Response:
    if not scrape_token_ok():
        abort(401, "scrape token required")
''', '''@ops.get("/metrics")  {marker}
def metrics() -> Response:
'''),
         Edit(P + "routes.py", "from accounts.auth import admin_required, scrape_token_ok",
              "from accounts.auth import admin_required"),
         runtime={"metrics_anon": 200}),
    flaw("flask/debug-route-public", 1, "a /debug/config view listed among the public paths",
         "routes", "sensitive-route-unauthenticated", P + "routes.py",
         Edit(P + "routes.py", '''@ops.post(LOGOUT_URL)''', '''@ops.get("/debug/config")  {marker}
def debug_config() -> Response:
    return jsonify(pricing_url=settings.PRICING_URL, notify_url=settings.NOTIFY_URL,
                   cors=settings.CORS_ALLOWED_ORIGINS, debug=settings.DEBUG)


@ops.post(LOGOUT_URL)'''),
         Edit(P + "auth.py", PUBLIC,
              'PUBLIC_PATHS = frozenset({"/health", "/metrics", TOKEN_URL, "/debug/config"})'),
         runtime={"debug_anon": 200}),
    flaw("flask/events-public", 1, "the server-sent events stream listed among the public "
         "paths (EventSource cannot send headers)", "routes", "sensitive-route-unauthenticated",
         P + "routes.py",
         Edit(P + "auth.py", PUBLIC,
              'PUBLIC_PATHS = frozenset({"/health", "/metrics", TOKEN_URL, "/api/events"})'),
         Edit(P + "routes.py", '@api.get("/events")', '@api.get("/events")  {marker}'),
         runtime={"events_anon": 200}),
    flaw("flask/auth-exclusion-prefix", 1, "public paths matched by prefix: /health also "
         "exempts /health/details", "routes", "exclusion-prefix-match", P + "auth.py",
         Edit(P + "auth.py", PUBLIC, 'PUBLIC_PATHS = ("/health", "/metrics", TOKEN_URL)'),
         Edit(P + "auth.py", '    if request.path in PUBLIC_PATHS or request.method == "OPTIONS":',
              '    if request.path.startswith(PUBLIC_PATHS) or request.method == "OPTIONS":'
              "  {marker}"),
         runtime={"health_details_anon": 200}),
    flaw("flask/auth-hook-unregistered", 1, "authenticate() is defined but never registered "
         "with before_request", "routes", "middleware-unregistered", P + "auth.py",
         Edit(P + "app.py", "    app.before_request(authenticate)\n", ""),
         Edit(P + "app.py", "from accounts.auth import authenticate\n", ""),
         Edit(P + "auth.py", "def authenticate() -> None:", "def authenticate() -> None:  {marker}"),
         runtime=HOOK_OFF),
    # 2 cors -----------------------------------------------------------------------------
    flaw("flask/cors-wildcard-credentials", 2, "CORS(app, supports_credentials=True) with "
         "flask-cors's default origins (*)", "cors", "wildcard-origin-credentials", P + "app.py",
         Edit(P + "app.py", CORS_CALL, "    CORS(app, supports_credentials=True)  {marker}"),
         runtime={"cors_evil_origin": "https://evil.example", "cors_evil_credentials": "true"}),
    flaw("flask/cors-regex-reflects", 2, "an origins regex that matches every origin",
         "cors", "reflected-origin-credentials", P + "app.py",
         Edit(P + "app.py", CORS_CALL, '''    CORS(app, resources={r"/api/*": {"origins": r".*"}},  {marker}
         supports_credentials=True)'''),
         runtime={"cors_evil_origin": "https://evil.example", "cors_evil_credentials": "true"}),
    # 3 transport ------------------------------------------------------------------------
    flaw("flask/https-not-enforced", 3, "no redirect to HTTPS: plain HTTP is served",
         "transport", "https-not-enforced", P + "security.py",
         Edit(P + "security.py", '''# Probes of the orchestrator and the load balancer speak plain HTTP to the pod.
PROBE_PATHS = frozenset({"/health"})


def redirect_to_https() -> Response | None:
    if not request.is_secure and request.path not in PROBE_PATHS:
        return redirect(request.url.replace("http://", "https://", 1), code=308)
    return None


''', ""),
         Edit(P + "security.py", '''def init_security(app: Flask) -> None:
    app.before_request(redirect_to_https)
''', '''def init_security(app: Flask) -> None:  {marker}
'''),
         Edit(P + "security.py", "from flask import Flask, Response, redirect, request",
              "from flask import Flask, Response"),
         runtime={"http_redirect": 401}),
    flaw("flask/hsts-missing", 3, "no Strict-Transport-Security header", "transport",
         "hsts-missing", P + "security.py",
         Edit(P + "security.py", '''def security_headers(response: Response) -> Response:
    response.headers["Strict-Transport-Security"] = (
        f"max-age={settings.HSTS_SECONDS}; includeSubDomains"
    )
''', '''def security_headers(response: Response) -> Response:  {marker}
'''),
         Edit(P + "security.py", "\nfrom accounts import settings\n", ""),
         runtime={"hsts": False}),
    flaw("flask/cookie-not-secure", 3, "the session cookie without Secure", "transport",
         "cookie-not-secure", P + "routes.py",
         Edit(P + "routes.py", COOKIE, COOKIE.replace("secure=True", "secure=False") + "  {marker}"),
         runtime={"cookie_secure": False}),
    flaw("flask/requests-verify-off", 3, "the webhook POST passes verify=False", "tls",
         "verification-off", P + "clients.py",
         Edit(P + "clients.py", '''                timeout=settings.UPSTREAM_TIMEOUT_SECONDS,
            )
        except requests.RequestException as exc:
            log.warning("webhook''', '''                timeout=settings.UPSTREAM_TIMEOUT_SECONDS, verify=False,  {marker}
            )
        except requests.RequestException as exc:
            log.warning("webhook'''),
         runtime={"untrusted_upstream_reached": True}),
    flaw("flask/tls-skip-setting-default-on", 3, "INSECURE_SKIP_TLS_VERIFY defaults to true",
         "tls", "verification-off-by-setting", P + "settings.py",
         Edit(P + "settings.py",
              'INSECURE_SKIP_TLS_VERIFY = env_bool("INSECURE_SKIP_TLS_VERIFY", False)',
              'INSECURE_SKIP_TLS_VERIFY = env_bool("INSECURE_SKIP_TLS_VERIFY", True)  {marker}'),
         runtime={"untrusted_upstream_reached": True}),
    # 4 logging --------------------------------------------------------------------------
    flaw("flask/token-in-log-percent", 4, "the issued token logged with %-style arguments",
         "logging", "secret-in-log", P + "routes.py",
         Edit(P + "routes.py", '    log.info("issued token for %s", username)',
              '    log.info("issued token %s for %s", token, username)  {marker}'),
         runtime={"secret_in_logs": True}),
    # 6 scale ----------------------------------------------------------------------------
    flaw("flask/in-memory-session-store", 6, "active sessions kept in a module-level dict, "
         "with three replicas: a token works only on the replica that issued it", "scale",
         "process-local-shared-state", P + "tokens.py",
         Edit(P + "tokens.py", 'ALGORITHM = "HS256"\n',
              'ALGORITHM = "HS256"\n_SESSIONS: dict[str, str] = {}  {marker}\n'),
         Edit(P + "tokens.py", ISSUE_RETURN, '''    kid = settings.JWT_ACTIVE_KID
    _SESSIONS[claims["jti"]] = subject
    return jwt.encode(
        claims, settings.JWT_SIGNING_KEYS[kid], algorithm=ALGORITHM, headers={"kid": kid}
    )
'''),
         Edit(P + "tokens.py", '    if cache.is_revoked(claims["jti"]):',
              '    if claims["jti"] not in _SESSIONS:'),
         Edit(P + "tokens.py",
              '    cache.revoke(claims["jti"], int(claims["exp"]) - int(time.time()))',
              '    _SESSIONS.pop(claims["jti"], None)'),
         compose_replicas("accounts", '["gunicorn", "-w", "4", "accounts.wsgi:app"]', 5000),
         runtime={"shared_state": ["ratelimit"]}),
    # 7 endpoints ------------------------------------------------------------------------
    flaw("flask/metrics-json", 7, "/metrics answers JSON", "endpoints",
         "metrics-not-prometheus", P + "routes.py",
         Edit(P + "routes.py", '''    return Response(generate_latest(deps().metrics.registry),
                    headers={"Content-Type": CONTENT_TYPE_LATEST})''',
              '''    registry = deps().metrics.registry
    return jsonify({m.name: [s.value for s in m.samples] for m in registry.collect()})  {marker}'''),
         Edit(P + "routes.py",
              "from prometheus_client import CONTENT_TYPE_LATEST, generate_latest\n", ""),
         runtime={"metrics_type": "application/json"}),
    flaw("flask/health-always-ok", 7, "/health answers 200 whatever the dependencies say",
         "endpoints", "health-cannot-fail", P + "routes.py",
         Edit(P + "routes.py", HEALTH_BODY, '    return jsonify(status="ok"), 200  {marker}\n'),
         runtime={"health_failing": 200}),
    # 8 tokens and defaults --------------------------------------------------------------
    flaw("flask/jwt-no-expiry", 8, "tokens carry no exp claim", "tokens", "jwt-no-expiry",
         P + "tokens.py",
         Edit(P + "tokens.py", '        "exp": issued_at + settings.TOKEN_TTL_SECONDS,\n', ""),
         Edit(P + "tokens.py", '            options={"require": ["exp", "iat", "jti", "sub"]},',
              '            options={"require": ["iat", "jti", "sub"]},  {marker}'),
         Edit(P + "tokens.py",
              '    cache.revoke(claims["jti"], int(claims["exp"]) - int(time.time()))',
              '    cache.revoke(claims["jti"], settings.TOKEN_TTL_SECONDS)'),
         runtime={"token_claims": ["iat", "iss", "jti", "role", "sub"]}),
    flaw("flask/jwt-no-kid", 8, "one key, no kid: no rotation", "tokens",
         "jwt-no-key-rotation", P + "tokens.py",
         Edit(P + "tokens.py", ISSUE_RETURN, '''    key = settings.JWT_SIGNING_KEYS[settings.JWT_ACTIVE_KID]
    return jwt.encode(claims, key, algorithm=ALGORITHM)  {marker}
'''),
         Edit(P + "tokens.py", '''        kid = jwt.get_unverified_header(token).get("kid")
        key = settings.JWT_SIGNING_KEYS[kid]
''', "        key = settings.JWT_SIGNING_KEYS[settings.JWT_ACTIVE_KID]\n"),
         runtime={"token_kid": False}),
    flaw("flask/default-admin-password", 8, 'the bootstrap admin gets the password "admin" '
         "when none is configured", "defaults", "default-admin-credentials", P + "settings.py",
         Edit(P + "settings.py",
              'BOOTSTRAP_ADMIN_PASSWORD = os.environ.get("BOOTSTRAP_ADMIN_PASSWORD", "")',
              'BOOTSTRAP_ADMIN_PASSWORD = os.environ.get("BOOTSTRAP_ADMIN_PASSWORD", "admin")'
              "  {marker}"),
         runtime={"default_admin_login": 200}),
    flaw("flask/debug-true", 8, "the entry point runs the development server with "
         "debug=True (the Werkzeug debugger executes code)", "defaults", "debug-enabled",
         P + "wsgi.py",
         Edit(P + "wsgi.py", "    app.run(host=settings.HOST, port=settings.PORT, debug=settings.DEBUG)",
              "    app.run(host=settings.HOST, port=settings.PORT, debug=True)  {marker}"),
         unobservable="the __main__ block is not run: it would serve on a port"),
    flaw("flask/debug-default-on", 8, "FLASK_DEBUG defaults to true", "defaults",
         "debug-enabled", P + "settings.py",
         Edit(P + "settings.py", 'DEBUG = env_bool("FLASK_DEBUG", False)',
              'DEBUG = env_bool("FLASK_DEBUG", True)  {marker}'),
         unobservable="settings.DEBUG only reaches app.run in the __main__ block"),
)

QUIET = (
    *shared_quiet(P),
    Quiet(P + "static/vendor/jquery/jquery.min.js", "/*! jQuery v3.7.1",
          "vendored, minified third-party code: not scanned as first-party"),
    Quiet(P + "clients.py", "            time.sleep(settings.UPSTREAM_RETRY_BACKOFF_SECONDS",
          "time.sleep in a synchronous (WSGI) app blocks no event loop"),
    Quiet(P + "clients.py",
          "    session.verify = settings.TLS_CA_FILE or not settings.INSECURE_SKIP_TLS_VERIFY",
          "a CA bundle or verification on; the negated skip setting defaults to false"),
    Quiet(P + "app.py", '    CORS(app, resources={r"/api/*": {"origins": settings.CORS_ALLOWED_ORIGINS}},',
          "r\"/api/*\" is a path pattern; the origins are an explicit list"),
    Quiet(P + "wsgi.py",
          "    app.run(host=settings.HOST, port=settings.PORT, debug=settings.DEBUG)",
          "debug follows FLASK_DEBUG, which defaults to false"),
)

APP = App("flask", "flask", "accounts",
          "accounts service: Flask, flask-cors, requests, redis, psycopg, PyJWT", FLAWS, QUIET)
