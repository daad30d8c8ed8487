"""Flaws of the synchronous gRPC catalog service (apps/grpc/clean: catalog/, protos/)."""

# ruff: noqa: E501 - edits quote the apps' source lines verbatim

from __future__ import annotations

from tests.frameworks.catalog import App, Edit, Quiet
from tests.frameworks.flaws.common import GRPC_PROBE, compose_replicas, flaw, shared_quiet

P = "catalog/"
ICPT = P + "interceptors.py"
PUBLIC = '''PUBLIC_METHODS = frozenset({
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    LOGIN_METHOD,
})'''
INTERCEPTORS_OFF = {
    "api_anon": "OK", "admin_anon": "OK", "admin_user": "OK", "login_as_anon": "OK",
    "logout": "UNKNOWN", "revoked_token_reuse": "OK", "shared_state": ["ratelimit"],
}

FLAWS = (
    # 1 routes ---------------------------------------------------------------------------
    flaw("grpc/auth-interceptor-unregistered", 1, "AuthInterceptor is defined but the server "
         "is built without it", "routes", "middleware-unregistered", ICPT,
         Edit(P + "server.py",
              "        interceptors=[MetricsInterceptor(metrics), AuthInterceptor(cache)],",
              "        interceptors=[MetricsInterceptor(metrics)],"),
         Edit(P + "server.py",
              "from catalog.interceptors import AuthInterceptor, Metrics, MetricsInterceptor",
              "from catalog.interceptors import Metrics, MetricsInterceptor"),
         Edit(ICPT, "class AuthInterceptor(grpc.ServerInterceptor):",
              "class AuthInterceptor(grpc.ServerInterceptor):  {marker}"),
         runtime=INTERCEPTORS_OFF),
    flaw("grpc/auth-exclusion-prefix", 1, "public methods matched by prefix: "
         "/catalog.v1.Auth/Login also exempts LoginAs (impersonation)", "routes",
         "exclusion-prefix-match", ICPT,
         Edit(ICPT, PUBLIC, PUBLIC.replace("frozenset({", "(").replace("})", ")")),
         Edit(ICPT, "        if details.method in PUBLIC_METHODS:",
              "        if details.method.startswith(PUBLIC_METHODS):  {marker}"),
         runtime={"login_as_anon": "OK"}),
    flaw("grpc/admin-rpc-public", 1, "the Admin service's ListUsers among the public methods "
         "(for the ops CLI)", "routes", "sensitive-route-unauthenticated", ICPT,
         Edit(ICPT, "    LOGIN_METHOD,\n})", '    LOGIN_METHOD,\n    "/catalog.v1.Admin/ListUsers",  {marker}\n})'),
         runtime={"admin_anon": "OK", "admin_user": "OK"}),
    flaw("grpc/metrics-unauthenticated", 1, "the Prometheus endpoint served in plain HTTP to "
         "anyone", "routes", "sensitive-route-unauthenticated", P + "server.py",
         Edit(P + "server.py", '''    start_http_server(
        settings.METRICS_PORT, addr=settings.METRICS_ADDRESS, registry=metrics.registry,
        certfile=settings.TLS_CERT_FILE, keyfile=settings.TLS_KEY_FILE,
        client_cafile=settings.METRICS_CLIENT_CA_FILE, client_auth_required=True,
    )''', '''    start_http_server(settings.METRICS_PORT, registry=metrics.registry)  {marker}'''),
         runtime={"metrics_anon": 200}),
    # 3 transport ------------------------------------------------------------------------
    flaw("grpc/insecure-port-all-interfaces", 3, "add_insecure_port on the listen address, "
         "[::] by default: plaintext gRPC on every interface", "transport",
         "grpc-insecure-port", P + "server.py",
         Edit(P + "server.py",
              "    server.add_secure_port(settings.LISTEN_ADDRESS, server_credentials())",
              "    server.add_insecure_port(settings.LISTEN_ADDRESS)  {marker}"),
         runtime={"ports": ["insecure [::]"]}),
    flaw("grpc/insecure-channel-remote", 3, "a plaintext channel to the remote inventory "
         "service", "transport", "grpc-insecure-channel", P + "upstream.py",
         Edit(P + "upstream.py", '''    roots = Path(settings.TLS_CA_FILE).read_bytes() if settings.TLS_CA_FILE else None
    return grpc.secure_channel(
        settings.INVENTORY_TARGET, grpc.ssl_channel_credentials(root_certificates=roots),
        options=CHANNEL_OPTIONS,
    )''', '''    return grpc.insecure_channel(  {marker}
        settings.INVENTORY_TARGET, options=CHANNEL_OPTIONS
    )'''),
         Edit(P + "upstream.py", "from pathlib import Path\n\n", ""),
         runtime={"channels": ["insecure inventory.internal.example.com:443"]}),
    # 4 logging --------------------------------------------------------------------------
    flaw("grpc/token-in-log-fstring", 4, "a rejected token logged whole in an f-string",
         "logging", "secret-in-log", ICPT,
         Edit(ICPT, '            log.info("rejected token on %s: %s", details.method, exc)',
              '            log.info(f"rejected token {token} on {details.method}: {exc}")'
              "  {marker}"),
         runtime={"secret_in_logs": True}),
    # 6 scale ----------------------------------------------------------------------------
    flaw("grpc/in-memory-denylist", 6, "revoked tokens in a module-level set, with three "
         "replicas", "scale", "process-local-shared-state", P + "tokens.py",
         Edit(P + "tokens.py", 'ALGORITHM = "HS256"\n',
              'ALGORITHM = "HS256"\n_REVOKED: set[str] = set()  {marker}\n'),
         Edit(P + "tokens.py", '    if cache.is_revoked(claims["jti"]):',
              '    if claims["jti"] in _REVOKED:'),
         Edit(P + "tokens.py",
              '    cache.revoke(claims["jti"], int(claims["exp"]) - int(time.time()))',
              '    _REVOKED.add(claims["jti"])'),
         compose_replicas("catalog", '["python", "-m", "catalog"]', 50051, GRPC_PROBE),
         runtime={"shared_state": ["ratelimit"]}),
    # 7 endpoints ------------------------------------------------------------------------
    flaw("grpc/health-always-serving", 7, "the stock HealthServicer set to SERVING once, "
         "never updated", "endpoints", "health-cannot-fail", P + "server.py",
         Edit(P + "server.py",
              "    health_pb2_grpc.add_HealthServicer_to_server(DependencyHealth(db, cache), server)",
              '''    health_servicer = health.HealthServicer()
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)  {marker}
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)'''),
         Edit(P + "server.py", "from grpc_health.v1 import health_pb2_grpc",
              "from grpc_health.v1 import health, health_pb2, health_pb2_grpc"),
         Edit(P + "server.py", "from catalog.health import DependencyHealth\n", ""),
         runtime={"health_failing": "SERVING"}),
    # 8 tokens and defaults --------------------------------------------------------------
    flaw("grpc/jwt-hardcoded-secret", 8, "a short signing key written in the settings",
         "tokens", "jwt-weak-secret", P + "settings.py",
         Edit(P + "settings.py", '''JWT_SIGNING_KEYS = signing_keys(env_required("JWT_SIGNING_KEYS"))
JWT_ACTIVE_KID = os.environ.get("JWT_ACTIVE_KID", next(iter(JWT_SIGNING_KEYS)))''',
              '''JWT_SIGNING_KEYS = {"k1": "catalog-jwt"}  {marker}
JWT_ACTIVE_KID = "k1"'''),
         runtime={"token_signed_with_configured_key": False}),
    flaw("grpc/default-admin-password", 8, 'the bootstrap admin gets the password "admin"',
         "defaults", "default-admin-credentials", P + "settings.py",
         Edit(P + "settings.py",
              'BOOTSTRAP_ADMIN_PASSWORD = os.environ.get("BOOTSTRAP_ADMIN_PASSWORD", "")',
              'BOOTSTRAP_ADMIN_PASSWORD = os.environ.get("BOOTSTRAP_ADMIN_PASSWORD", "admin")'
              "  {marker}"),
         runtime={"default_admin_login": "OK"}),
)

QUIET = (
    *shared_quiet(P),
    Quiet(P + "upstream.py", '    ("grpc.service_config", json.dumps({"methodConfig": [{',
          "retries with exponential back-off, by gRPC's service config"),
    Quiet(P + "server.py", "    server.add_secure_port(settings.LISTEN_ADDRESS, server_credentials())",
          "all interfaces, but TLS"),
    Quiet(P + "interceptors.py", "    LOGIN_METHOD,", "an exact-match list of public methods"),
    Quiet(P + "constants.py", 'LOGIN_METHOD = "/catalog.v1.Auth/Login"', "a method path"),
)

APP = App("grpc", "grpc", "catalog", "catalog service: grpcio (sync), grpc health, PyJWT, "
          "redis, psycopg, Prometheus over mutual TLS", FLAWS, QUIET)
