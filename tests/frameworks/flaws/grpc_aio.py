"""Flaws of the grpc.aio ledger service (apps/grpc_aio/clean: ledger/, protos/)."""

# ruff: noqa: E501 - edits quote the apps' source lines verbatim

from __future__ import annotations

from tests.frameworks.catalog import App, Edit, Quiet
from tests.frameworks.flaws.common import GRPC_PROBE, compose_replicas, flaw, shared_quiet

P = "ledger/"
ICPT = P + "interceptors.py"
PUBLIC = '''PUBLIC_METHODS = frozenset({
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    LOGIN_METHOD,
})'''
LOGIN_AUDIT = '        await asyncio.to_thread(self._audit.record, "login", user["username"])'
INTERCEPTORS_OFF = {
    "api_anon": "OK", "admin_anon": "OK", "admin_user": "OK", "login_as_anon": "OK",
    "logout": "UNKNOWN", "revoked_token_reuse": "OK", "shared_state": ["ratelimit"],
    "create": "UNKNOWN",
}

FLAWS = (
    # 1 routes ---------------------------------------------------------------------------
    flaw("grpc_aio/auth-interceptor-unregistered", 1, "AuthInterceptor is defined but the "
         "server is built without it", "routes", "middleware-unregistered", ICPT,
         Edit(P + "server.py",
              "        interceptors=[MetricsInterceptor(metrics), AuthInterceptor(cache)],",
              "        interceptors=[MetricsInterceptor(metrics)],"),
         Edit(P + "server.py",
              "from ledger.interceptors import AuthInterceptor, Metrics, MetricsInterceptor",
              "from ledger.interceptors import Metrics, MetricsInterceptor"),
         Edit(ICPT, "class AuthInterceptor(grpc.aio.ServerInterceptor):",
              "class AuthInterceptor(grpc.aio.ServerInterceptor):  {marker}"),
         runtime=INTERCEPTORS_OFF),
    flaw("grpc_aio/auth-exclusion-prefix", 1, "public methods matched by prefix: "
         "/ledger.v1.Auth/Login also exempts LoginAs (impersonation)", "routes",
         "exclusion-prefix-match", ICPT,
         Edit(ICPT, PUBLIC, PUBLIC.replace("frozenset({", "(").replace("})", ")")),
         Edit(ICPT, "        if details.method in PUBLIC_METHODS:",
              "        if details.method.startswith(PUBLIC_METHODS):  {marker}"),
         runtime={"login_as_anon": "OK"}),
    # 3 transport ------------------------------------------------------------------------
    flaw("grpc_aio/insecure-port-all-interfaces", 3, 'add_insecure_port("0.0.0.0:50051")',
         "transport", "grpc-insecure-port", P + "server.py",
         Edit(P + "server.py",
              "    server.add_secure_port(settings.LISTEN_ADDRESS, server_credentials())",
              '    server.add_insecure_port("0.0.0.0:50051")  {marker}'),
         runtime={"ports": ["insecure 0.0.0.0"]}),
    flaw("grpc_aio/insecure-channel-remote", 3, "a plaintext channel to the remote accounts "
         "service", "transport", "grpc-insecure-channel", P + "upstream.py",
         Edit(P + "upstream.py", '''    roots = Path(settings.TLS_CA_FILE).read_bytes() if settings.TLS_CA_FILE else None
    return grpc.aio.secure_channel(
        settings.ACCOUNTS_TARGET, grpc.ssl_channel_credentials(root_certificates=roots),
        options=CHANNEL_OPTIONS,
    )''', '''    return grpc.aio.insecure_channel(  {marker}
        "accounts.internal.example.com:50051", options=CHANNEL_OPTIONS
    )'''),
         Edit(P + "upstream.py", "from pathlib import Path\n\n", ""),
         Edit(P + "upstream.py", "\nfrom ledger import settings\n", ""),
         runtime={"channels": ["insecure accounts.internal.example.com:50051"]}),
    # 4 logging --------------------------------------------------------------------------
    flaw("grpc_aio/token-in-log-percent", 4, "the issued token logged with %-style "
         "arguments", "logging", "secret-in-log", P + "servicers.py",
         Edit(P + "servicers.py", '        log.info("issued token for %s", request.username)',
              '        log.info("issued token %s for %s", token, request.username)  {marker}'),
         runtime={"secret_in_logs": True}),
    # 5 blocking -------------------------------------------------------------------------
    flaw("grpc_aio/pymongo-in-async-path", 5, "Login awaits nothing around AuditLog.record: "
         "pymongo's insert_one runs on the event loop", "blocking", "blocking-call-in-async",
         P + "audit.py",
         Edit(P + "servicers.py", LOGIN_AUDIT,
              '        self._audit.record("login", user["username"])'),
         Edit(P + "audit.py", "        self._events.insert_one({",
              "        self._events.insert_one({  {marker}"),
         runtime={"blocking_in_event_loop": ["pymongo"]}),
    flaw("grpc_aio/redis-sync-in-async-path", 5, "AuthInterceptor -> tokens.verify -> "
         "cache.is_revoked_now uses a synchronous redis client", "blocking",
         "blocking-call-in-async", P + "cache.py",
         Edit(P + "cache.py", "    async def close(self) -> None:", '''    def is_revoked_now(self, jti: str) -> bool:
        """Read straight from the primary (the async pool may lag behind a failover)."""
        primary = sync_redis.Redis.from_url(self._url, socket_timeout=2)
        return bool(primary.exists(f"revoked:{jti}"))  {marker}

    async def close(self) -> None:'''),
         Edit(P + "cache.py", "        self._redis = redis.Redis.from_url(",
              "        self._url = url\n        self._redis = redis.Redis.from_url("),
         Edit(P + "cache.py", "import redis.asyncio as redis\n",
              "import redis as sync_redis\nimport redis.asyncio as redis\n"),
         Edit(P + "tokens.py", '    if await cache.is_revoked(claims["jti"]):',
              '    if cache.is_revoked_now(claims["jti"]):'),
         runtime={"blocking_in_event_loop": ["redis"]}),
    # 6 scale ----------------------------------------------------------------------------
    flaw("grpc_aio/in-memory-rate-limiter", 6, "login attempts counted in a module-level "
         "dict, with three replicas", "scale", "process-local-shared-state",
         P + "servicers.py",
         Edit(P + "servicers.py", '''        bucket = f"login:{request.username}"
        if not await self._cache.hit(bucket, settings.LOGIN_ATTEMPTS_PER_MINUTE, 60):''',
              '''        _LOGIN_ATTEMPTS[request.username] += 1
        if _LOGIN_ATTEMPTS[request.username] > settings.LOGIN_ATTEMPTS_PER_MINUTE:'''),
         Edit(P + "servicers.py", "Context = grpc.aio.ServicerContext\n",
              "Context = grpc.aio.ServicerContext\n"
              "_LOGIN_ATTEMPTS: Counter[str] = Counter()  {marker}\n"),
         Edit(P + "servicers.py", "import logging\nfrom typing import Any\n",
              "import logging\nfrom collections import Counter\nfrom typing import Any\n"),
         compose_replicas("ledger", '["python", "-m", "ledger"]', 50051, GRPC_PROBE),
         runtime={"shared_state": ["revoked"]}),
    # 7 endpoints ------------------------------------------------------------------------
    flaw("grpc_aio/health-always-serving", 7, "the stock aio HealthServicer set to SERVING "
         "once, never updated", "endpoints", "health-cannot-fail", P + "server.py",
         Edit(P + "server.py",
              "    health_pb2_grpc.add_HealthServicer_to_server(DependencyHealth(db, cache), server)",
              '''    health_servicer = health.aio.HealthServicer()
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)  {marker}
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)'''),
         Edit(P + "server.py", "from grpc_health.v1 import health_pb2_grpc",
              "from grpc_health.v1 import health, health_pb2, health_pb2_grpc"),
         Edit(P + "server.py", "from ledger.health import DependencyHealth\n", ""),
         runtime={"health_failing": "SERVING"}),
    # 8 tokens ---------------------------------------------------------------------------
    flaw("grpc_aio/jwt-no-expiry", 8, "tokens carry no exp claim", "tokens", "jwt-no-expiry",
         P + "tokens.py",
         Edit(P + "tokens.py", '        "exp": issued_at + settings.TOKEN_TTL_SECONDS,\n', ""),
         Edit(P + "tokens.py", '            options={"require": ["exp", "iat", "jti", "sub"]},',
              '            options={"require": ["iat", "jti", "sub"]},  {marker}'),
         Edit(P + "tokens.py",
              '''    await cache.revoke(claims["jti"], int(claims["exp"]) - int(time.time()))''',
              '''    await cache.revoke(claims["jti"], settings.TOKEN_TTL_SECONDS)'''),
         runtime={"token_claims": ["iat", "iss", "jti", "role", "sub"]}),
    flaw("grpc_aio/jwt-no-revocation", 8, "the interceptor decodes without the denylist",
         "tokens", "jwt-no-revocation", ICPT,
         Edit(ICPT, "            claims = await tokens.verify(self._cache, token)",
              "            claims = tokens.decode(token)  {marker}"),
         runtime={"revoked_token_reuse": "OK"}),
)

QUIET = (
    *shared_quiet(P),
    Quiet(P + "upstream.py", '    ("grpc.service_config", json.dumps({"methodConfig": [{',
          "retries with exponential back-off, by gRPC's service config"),
    Quiet(P + "servicers.py", LOGIN_AUDIT, "pymongo runs in a worker thread"),
    Quiet(P + "audit.py", "        self._events.insert_one({",
          "a blocking call, reached only through asyncio.to_thread"),
    Quiet(P + "server.py", "    server.add_secure_port(settings.LISTEN_ADDRESS, server_credentials())",
          "all interfaces, but TLS"),
)

APP = App("grpc_aio", "grpc_aio", "ledger", "ledger service: grpc.aio, grpc health, PyJWT, "
          "redis.asyncio, psycopg async, pymongo in worker threads, Prometheus over mutual TLS",
          FLAWS, QUIET)
