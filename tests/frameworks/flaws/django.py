"""Flaws of the Django shipping service (apps/django/clean: shipping/ and parcels/)."""

# ruff: noqa: E501 - edits quote the apps' source lines verbatim

from __future__ import annotations

from tests.frameworks.catalog import App, Edit, Quiet
from tests.frameworks.flaws.common import compose_replicas, flaw, shared_quiet

S = "shipping/settings.py"
V = "parcels/views.py"
PUBLIC = 'PUBLIC_PATHS = frozenset({"/health", "/metrics", "/auth/token"})'
HEALTH_BODY = '''    report = services.dependency_report()
    healthy = all(report.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable"},
                        status=200 if healthy else 503)
'''
MIDDLEWARE_OFF = {  # no authentication middleware at all
    "api_anon": 200, "admin_user": 401, "admin_admin": 401, "logout": 500,
    "revoked_token_reuse": 200, "health_details_anon": 200, "debug_anon": 404,
    "docs_anon": [404, 404], "events_anon": 200, "shared_state": ["ratelimit"],
}

FLAWS = (
    # 1 routes ---------------------------------------------------------------------------
    flaw("django/metrics-unauthenticated", 1, "the metrics view without its scrape-token "
         "check", "routes", "sensitive-route-unauthenticated", "shipping/urls.py",
         Edit(V, '''    if not scrape_token_ok(request):
        return JsonResponse({"detail": "scrape token required"}, status=401)
''', ""),
         Edit(V, "from shipping.auth import admin_required, scrape_token_ok",
              "from shipping.auth import admin_required"),
         Edit("shipping/urls.py", '    path("metrics", views.metrics),',
              '    path("metrics", views.metrics),  {marker}'),
         runtime={"metrics_anon": 200}),
    flaw("django/admin-view-public", 1, "the admin view listed among the public paths and "
         "left without admin_required", "routes", "sensitive-route-unauthenticated",
         "shipping/urls.py",
         Edit("shipping/auth.py", PUBLIC,
              'PUBLIC_PATHS = frozenset({"/health", "/metrics", "/auth/token", "/admin/users"})'),
         Edit(V, "@require_GET\n@admin_required\ndef admin_users(", "@require_GET\ndef admin_users("),
         Edit(V, "from shipping.auth import admin_required, scrape_token_ok",
              "from shipping.auth import scrape_token_ok"),
         Edit("shipping/urls.py", '    path("admin/users", views.admin_users),',
              '    path("admin/users", views.admin_users),  {marker}'),
         runtime={"admin_anon": 200, "admin_user": 200}),
    flaw("django/events-public", 1, "the server-sent events stream listed among the public "
         "paths", "routes", "sensitive-route-unauthenticated", "shipping/urls.py",
         Edit("shipping/auth.py", PUBLIC,
              'PUBLIC_PATHS = frozenset({"/health", "/metrics", "/auth/token", "/api/events"})'),
         Edit("shipping/urls.py", '    path("api/events", views.events),',
              '    path("api/events", views.events),  {marker}'),
         runtime={"events_anon": 200}),
    flaw("django/auth-exclusion-prefix", 1, "public paths matched by prefix: /health also "
         "exempts /health/details", "routes", "exclusion-prefix-match", "shipping/auth.py",
         Edit("shipping/auth.py", PUBLIC,
              'PUBLIC_PATHS = ("/health", "/metrics", "/auth/token")'),
         Edit("shipping/auth.py",
              '        if request.path in PUBLIC_PATHS or request.method == "OPTIONS":',
              '        if request.path.startswith(PUBLIC_PATHS) or request.method == "OPTIONS":'
              "  {marker}"),
         runtime={"health_details_anon": 200}),
    flaw("django/auth-middleware-unregistered", 1, "JWTAuthenticationMiddleware is not in "
         "MIDDLEWARE", "routes", "middleware-unregistered", "shipping/auth.py",
         Edit(S, '    "shipping.auth.JWTAuthenticationMiddleware",\n', ""),
         Edit("shipping/auth.py", "class JWTAuthenticationMiddleware:",
              "class JWTAuthenticationMiddleware:  {marker}"),
         runtime=MIDDLEWARE_OFF),
    # 2 cors -----------------------------------------------------------------------------
    flaw("django/cors-allow-all-credentials", 2, "CORS_ALLOW_ALL_ORIGINS with "
         "CORS_ALLOW_CREDENTIALS: every origin is echoed back", "cors",
         "wildcard-origin-credentials", S,
         Edit(S, 'CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", '
              '"https://console.example.com")', "CORS_ALLOW_ALL_ORIGINS = True  {marker}"),
         runtime={"cors_evil_origin": "https://evil.example", "cors_evil_credentials": "true"}),
    flaw("django/cors-origin-allow-all-legacy", 2, "the pre-3.0 name CORS_ORIGIN_ALLOW_ALL, "
         "still honoured", "cors", "wildcard-origin-credentials", S,
         Edit(S, 'CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", '
              '"https://console.example.com")', "CORS_ORIGIN_ALLOW_ALL = True  {marker}"),
         runtime={"cors_evil_origin": "https://evil.example", "cors_evil_credentials": "true"}),
    # 3 transport ------------------------------------------------------------------------
    flaw("django/ssl-redirect-off", 3, "SECURE_SSL_REDIRECT defaults to false", "transport",
         "https-not-enforced", S,
         Edit(S, 'SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)',
              'SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)  {marker}'),
         runtime={"http_redirect": 401}),
    flaw("django/hsts-off", 3, "SECURE_HSTS_SECONDS defaults to 0", "transport",
         "hsts-missing", S,
         Edit(S, 'SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))',
              'SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0"))  {marker}'),
         runtime={"hsts": False}),
    flaw("django/session-cookie-insecure", 3, "SESSION_COOKIE_SECURE = False", "transport",
         "cookie-not-secure", S,
         Edit(S, "SESSION_COOKIE_SECURE = True", "SESSION_COOKIE_SECURE = False  {marker}"),
         runtime={"cookie_secure": False}),
    flaw("django/urllib3-cert-none", 3, 'urllib3 PoolManager(cert_reqs="CERT_NONE")', "tls",
         "verification-off", "parcels/clients.py",
         Edit("parcels/clients.py",
              '        cert_reqs="CERT_NONE" if settings.INSECURE_SKIP_TLS_VERIFY else '
              '"CERT_REQUIRED",',
              '        cert_reqs="CERT_NONE",  {marker}'),
         runtime={"untrusted_upstream_reached": True}),
    flaw("django/tls-skip-setting-default-on", 3, "INSECURE_SKIP_TLS_VERIFY defaults to true",
         "tls", "verification-off-by-setting", S,
         Edit(S, 'INSECURE_SKIP_TLS_VERIFY = env_bool("INSECURE_SKIP_TLS_VERIFY", False)',
              'INSECURE_SKIP_TLS_VERIFY = env_bool("INSECURE_SKIP_TLS_VERIFY", True)  {marker}'),
         runtime={"untrusted_upstream_reached": True}),
    # 4 logging --------------------------------------------------------------------------
    flaw("django/token-in-log-format", 4, "the issued token logged with str.format",
         "logging", "secret-in-log", V,
         Edit(V, '    log.info("issued token for %s", username)',
              '    log.info("issued token {} for {}".format(token, username))  {marker}'),
         runtime={"secret_in_logs": True}),
    # 6 scale ----------------------------------------------------------------------------
    flaw("django/locmem-cache-with-replicas", 6, "the default cache is LocMemCache: login "
         "limits and revoked tokens live in each replica's memory", "scale",
         "process-local-shared-state", S,
         Edit(S, '''        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "shipping",
        "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},''',
              '''        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",  {marker}
        "LOCATION": "shipping",'''),
         compose_replicas("shipping", '["gunicorn", "-w", "4", "shipping.wsgi"]', 8000),
         runtime={"shared_state": []}),
    # 7 endpoints ------------------------------------------------------------------------
    flaw("django/metrics-json", 7, "the metrics view answers JSON", "endpoints",
         "metrics-not-prometheus", V,
         Edit(V, "    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)",
              "    return JsonResponse(  {marker}\n"
              "        {m.name: [s.value for s in m.samples] for m in REGISTRY.collect()}\n"
              "    )"),
         Edit(V, "from prometheus_client import CONTENT_TYPE_LATEST, generate_latest\n", ""),
         runtime={"metrics_type": "application/json"}),
    flaw("django/health-always-ok", 7, "the health view answers 200 whatever the database "
         "and cache say", "endpoints", "health-cannot-fail", V,
         Edit(V, HEALTH_BODY, '    return JsonResponse({"status": "ok"})  {marker}\n'),
         runtime={"health_failing": 200}),
    # 8 tokens and defaults --------------------------------------------------------------
    flaw("django/debug-default-true", 8, "DEBUG defaults to true: tracebacks, settings and "
         "URL patterns on error pages", "defaults", "debug-enabled", S,
         Edit(S, 'DEBUG = env_bool("DJANGO_DEBUG", False)',
              'DEBUG = env_bool("DJANGO_DEBUG", True)  {marker}'),
         runtime={"verbose_errors": True}),
    flaw("django/secret-key-fallback", 8, "SECRET_KEY falls back to a value written in the "
         "settings", "defaults", "secret-key-fallback", S,
         Edit(S, 'SECRET_KEY = env_required("DJANGO_SECRET_KEY")',
              'SECRET_KEY = os.environ.get(  {marker}\n'
              '    "DJANGO_SECRET_KEY", "django-insecure-7c#p@x!shipping-local-dev-key"\n)'),
         unobservable="the harness always sets DJANGO_SECRET_KEY, so the fallback never runs"),
    flaw("django/allowed-hosts-wildcard", 8, "ALLOWED_HOSTS = ['*']: any Host header is "
         "accepted (cache poisoning, password-reset links)", "defaults",
         "allowed-hosts-wildcard", S,
         Edit(S, 'ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "shipping.example.com")',
              'ALLOWED_HOSTS = ["*"]  {marker}'),
         runtime={"foreign_host": 200}),
    flaw("django/jwt-no-revocation", 8, "the middleware decodes tokens without the denylist",
         "tokens", "jwt-no-revocation", "shipping/auth.py",
         Edit("shipping/auth.py",
              "            request.jwt_claims = tokens.verify(token)  # type: ignore[attr-defined]",
              "            request.jwt_claims = tokens.decode(token)  {marker}"),
         runtime={"revoked_token_reuse": 200}),
    flaw("django/default-admin-migration", 8, "a data migration creates the superuser "
         "admin/admin", "defaults", "default-admin-credentials",
         "parcels/migrations/0002_bootstrap_admin.py",
         Edit("parcels/migrations/0002_bootstrap_admin.py", None, '''from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db import migrations


def create_admin(apps, schema_editor):  # type: ignore[no-untyped-def]
    User = apps.get_model("auth", "User")
    User.objects.create(  {marker}
        username="admin", password=make_password("admin"), is_staff=True, is_superuser=True
    )


class Migration(migrations.Migration):
    dependencies = [("parcels", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_admin, migrations.RunPython.noop)]
'''),
         runtime={"default_admin_login": 200}),
)

QUIET = (
    *shared_quiet("parcels/"),
    Quiet(S, 'INSECURE_SKIP_TLS_VERIFY = env_bool("INSECURE_SKIP_TLS_VERIFY", False)',
          "a negated setting whose default keeps verification on"),
    Quiet("parcels/clients.py", '        cert_reqs="CERT_NONE" if settings.INSECURE_SKIP_TLS_VERIFY '
          'else "CERT_REQUIRED",', "CERT_NONE only when the (off by default) skip setting is on"),
    Quiet(S, 'DEBUG = env_bool("DJANGO_DEBUG", False)', "debug off unless asked for"),
    Quiet(S, "SECURE_REDIRECT_EXEMPT = [r\"^health$\"]",
          "the probe path alone stays on plain HTTP"),
    Quiet("shipping/metrics.py", "REGISTRY = CollectorRegistry()",
          "Prometheus metrics are per process by design: each replica is scraped"),
    Quiet("parcels/services.py", "@functools.cache",
          "a cached client object (connection pool), not shared state"),
)

APP = App("django", "django", "shipping",
          "shipping service: Django, django-cors-headers, Redis cache, urllib3, PyJWT", FLAWS,
          QUIET, env={"DATABASE_URL": "sqlite:///:memory:"})
