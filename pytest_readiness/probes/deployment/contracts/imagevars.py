"""Variables that images and runtimes consume by themselves, documented by their vendors.

A variable the deployment sets is used when the code reads it, or when something else in the
container reads it: the official ``postgres`` image initialises its database from
``POSTGRES_PASSWORD``/``POSTGRES_DB``, Grafana configures itself from any ``GF_*``,
gunicorn reads ``GUNICORN_CMD_ARGS``, OpenTelemetry SDKs read ``OTEL_*``. This small table
holds those names (``*`` ends a prefix) for the images' documented environment; the
``contracts.env-unused`` check counts them as used when the project runs the image (by its
compose ``image:`` or a Dockerfile ``FROM``), and the runtime names always. Pure.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from pytest_readiness.probes.deployment import images

_POSTGRES = ("POSTGRES_PASSWORD", "POSTGRES_USER", "POSTGRES_DB", "POSTGRES_INITDB_ARGS",
             "POSTGRES_INITDB_WALDIR", "POSTGRES_HOST_AUTH_METHOD", "POSTGRES_PASSWORD_FILE",
             "PGDATA")
# Elasticsearch and OpenSearch take any setting as a dotted variable.
_SEARCH = ("bootstrap.*", "cluster.*", "discovery.*", "node.*", "network.*", "http.*")
# Repository (last path part, no tag) -> the variables its entrypoint or program reads.
IMAGE_VARIABLES: dict[str, tuple[str, ...]] = {
    "postgres": _POSTGRES, "postgis": _POSTGRES, "timescaledb": _POSTGRES,
    "postgresql": ("POSTGRESQL_*", "ALLOW_EMPTY_PASSWORD", *_POSTGRES),  # bitnami
    "mysql": ("MYSQL_*",), "mariadb": ("MARIADB_*", "MYSQL_*"), "percona": ("MYSQL_*",),
    "redis": ("REDIS_PASSWORD", "REDIS_ARGS", "ALLOW_EMPTY_PASSWORD", "REDIS_*"),
    "redis-stack": ("REDIS_ARGS", "REDISEARCH_ARGS", "REDISJSON_ARGS"),
    "valkey": ("VALKEY_*", "ALLOW_EMPTY_PASSWORD"),
    "mongo": ("MONGO_INITDB_*",), "mongodb": ("MONGODB_*",),
    "rabbitmq": ("RABBITMQ_*",), "grafana": ("GF_*",), "grafana-oss": ("GF_*",),
    "minio": ("MINIO_*",), "keycloak": ("KC_*", "KEYCLOAK_*"),
    "nginx": ("NGINX_*",), "elasticsearch": (*_SEARCH, "ES_*", "ELASTIC_*", "xpack.*"),
    "kibana": ("ELASTICSEARCH_*", "KIBANA_*", "SERVER_*"),
    "opensearch": (*_SEARCH, "OPENSEARCH_*", "DISABLE_INSTALL_DEMO_CONFIG",
                   "DISABLE_SECURITY_PLUGIN", "plugins.*"),
    "k6": ("K6_*",),
    "clickhouse-server": ("CLICKHOUSE_*",), "kafka": ("KAFKA_*", "CLUSTER_ID"),
    "zookeeper": ("ZOO_*",), "traefik": ("TRAEFIK_*",), "mailpit": ("MP_*",),
    "jaeger": ("COLLECTOR_*", "SPAN_STORAGE_TYPE", "QUERY_*", "METRICS_STORAGE_TYPE"),
    "all-in-one": ("COLLECTOR_*", "SPAN_STORAGE_TYPE", "QUERY_*", "METRICS_STORAGE_TYPE"),
    "pgadmin4": ("PGADMIN_*",), "adminer": ("ADMINER_*",), "memcached": (),
    "localstack": ("SERVICES", "DEBUG", "LOCALSTACK_*", "AWS_*"),
}
# Read by runtimes and libraries in any image that uses them (servers, SDKs, proxies).
RUNTIME_VARIABLES: tuple[str, ...] = (
    "OTEL_*", "GUNICORN_CMD_ARGS", "WEB_CONCURRENCY", "UVICORN_*", "HYPERCORN_*",
    "DJANGO_SETTINGS_MODULE", "FLASK_APP", "FLASK_ENV", "FLASK_DEBUG", "FLASK_RUN_*",
    "NODE_OPTIONS", "JAVA_OPTS", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "SPRING_PROFILES_ACTIVE",
    "ASPNETCORE_*", "DOTNET_*", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
    "http_proxy", "https_proxy", "no_proxy", "SENTRY_DSN", "SENTRY_ENVIRONMENT",
    "SENTRY_RELEASE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "GOOGLE_APPLICATION_CREDENTIALS",
    "GRPC_*", "GODEBUG", "GOMEMLIMIT", "GOGC", "RUST_LOG", "RUST_BACKTRACE", "PYTHONWARNINGS",
    "PYTHONIOENCODING", "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "PORT",
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "ANTHROPIC_API_KEY",
)


def image_key(image: str) -> str:
    """``docker.io/bitnami/postgresql:16`` -> ``postgresql``."""
    return images.reference(image)[0].rsplit("/", 1)[-1]


def consumed_by(image_names: Iterable[str]) -> tuple[str, ...]:
    """The patterns of variables the given images consume (unknown images: none)."""
    out: list[str] = []
    for image in image_names:
        out += IMAGE_VARIABLES.get(image_key(image), ())
    return tuple(dict.fromkeys(out))


def is_consumed(name: str, patterns: Iterable[str]) -> bool:
    """Whether ``name`` matches one of the patterns (``GF_*``), or a runtime variable."""
    return any(fnmatch.fnmatchcase(name, p) for p in (*patterns, *RUNTIME_VARIABLES))
