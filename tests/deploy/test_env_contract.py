"""The env contract across the tree (issue 13.6, corpus cause 8): wrapper helpers, ``or``
defaults, reads in other languages, variables images consume. One small tree per kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_readiness.plumbing import envreads, tree
from pytest_readiness.probes.deployment.contracts import envvars, imagevars
from tests.deploy.conftest import write_tree


@pytest.mark.parametrize(("rel", "line", "expected"), [
    ("web/src/api.ts", 'const u = import.meta.env.VITE_API_URL ?? "/api"',
     [("VITE_API_URL", True)]),
    ("web/src/x.js", 'const h = process.env["MAILPIT_HOST"]', [("MAILPIT_HOST", False)]),
    ("e2e/cfg.mjs", "const { PLAYWRIGHT_BASE_URL, HTML_HOST = 'x' } = process.env",
     [("PLAYWRIGHT_BASE_URL", False), ("HTML_HOST", True)]),
    ("svc/main.go", 'port := os.Getenv("PORT"); v, ok := os.LookupEnv("MODE")',
     [("PORT", False), ("MODE", True)]),
    ("svc/App.java", 'String u = System.getenv("DB_URL");', [("DB_URL", False)]),
    ("svc/Program.cs", 'Environment.GetEnvironmentVariable("CART_ADDR")', [("CART_ADDR", False)]),
    ("svc/main.rs", 'let p = env::var("PORT").unwrap_or("8080".into());', [("PORT", True)]),
    ("svc/app.rb", 'ENV.fetch("QUEUE", "default")', [("QUEUE", True)]),
    ("docker-entrypoint.sh", 'exec gunicorn -b "0.0.0.0:${PORT:-8000}" "$APP_MODULE" "$1" $$',
     [("PORT", True), ("APP_MODULE", False)]),
    ("svc/src/main/resources/application.yml", "url: ${DB_URL:jdbc:h2:mem}",
     [("DB_URL", True)]),
    ("Dockerfile", 'CMD ["sh", "-c", "uvicorn app:app --port $APP_PORT"]', [("APP_PORT", False)]),
    ("web/dist/app.min.js", 'process.env.BUNDLED', []),
    ("load/script.js", "const BASE = __ENV.K6_TARGET_URL || 'http://x'", [("K6_TARGET_URL", True)]),
    ("ui/config/runtime.exs", 'host = System.get_env("PHX_HOST") || "example.com"',
     [("PHX_HOST", True)]),
    ("currency/server.cpp", 'const char* v = std::getenv("VERSION");', [("VERSION", False)]),
    ("proxy/envoy.tmpl.yaml", "address: ${GRAFANA_HOST}", [("GRAFANA_HOST", False)]),
    ("otel-collector/otelcol-config.yml", "endpoint: ${env:OTEL_COLLECTOR_HOST}:4317",
     [("OTEL_COLLECTOR_HOST", False)]),
    ("README.md", "Set $DATABASE_URL", []),
])
def test_reads_in_other_languages(rel: str, line: str, expected: list[tuple[str, bool]]) -> None:
    found = envreads.text_reads(rel, line + "\n")
    assert sorted((r.name, r.has_default) for r in found) == sorted(expected)
    assert all(r.line == 1 and r.file == rel for r in found)


def test_helpers_and_or_defaults_make_the_contract(tmp_path: Path) -> None:
    inventory = tree.inventory(write_tree(tmp_path, {
        "app/envtools.py": """
            import os
            def envbool(key, default=False):
                return os.environ.get(key, str(default)).lower() in ("1", "true")
            def required(name):
                return os.environ[name] if False else os.getenv(name)
            """,
        "app/settings.py": """
            import os
            from app.envtools import envbool, required
            DEBUG = envbool("DEBUG")
            DSN = required("DATABASE_URL")
            REGION = os.getenv("REGION") or "eu"
            """,
        ".env.example": "DATABASE_URL=postgres://\n",
    }))
    reads = {r.name: (r.has_default, r.how) for r in envvars.code_reads(inventory)}
    assert reads == {"DEBUG": (True, "helper envbool"), "DATABASE_URL": (False, "helper required"),
                     "REGION": (True, "os.getenv")}
    provided = envvars.template_sets(inventory)
    assert envvars.missing(envvars.code_reads(inventory), provided) == []


def test_names_quoted_in_code_of_any_language() -> None:
    text = 'mustMapEnv(&svc.emailSvcAddr, "EMAIL_ADDR")\nlog("done")\nx := "a_b"\n'
    assert envreads.quoted_names(text) == {"EMAIL_ADDR"}


def test_images_consume_their_documented_variables() -> None:
    patterns = imagevars.consumed_by(["docker.io/library/postgres:16", "grafana/grafana:11",
                                      "ghcr.io/acme/unknown:1"])
    assert imagevars.is_consumed("POSTGRES_PASSWORD", patterns)
    assert imagevars.is_consumed("GF_SECURITY_ADMIN_PASSWORD", patterns)
    assert imagevars.is_consumed("OTEL_EXPORTER_OTLP_ENDPOINT", ())  # any runtime's SDK
    assert not imagevars.is_consumed("MYSQL_PASSWORD", patterns)
    assert not imagevars.is_consumed("APP_SECRET", patterns)


COMPOSE = """
    services:
      api:
        build: ./api
        environment:
          DATABASE_URL: postgres://db/app
          FEATURE_FLAGS: "a,b"
          GUNICORN_CMD_ARGS: "--workers 2"
          STALE_SETTING: "1"
          UNUSED_FLAG: "1"
      web:
        build: ./web
        environment:
          VITE_API_URL: /api
      worker:
        build: ./worker
        environment:
          QUEUE_URL: amqp://mq
          PORT: "9000"
      db:
        image: postgres:16
        env_file: .env
    """


def test_env_unused_counts_every_language_and_image(run_suite) -> None:
    run = run_suite("contracts", {
        "docker-compose.yml": COMPOSE,
        ".env.example": "POSTGRES_PASSWORD=changeme\nPOSTGRES_DB=app\nORPHAN=1\n",
        "api/Dockerfile": "FROM python:3.12\nCMD gunicorn app:app\n",
        "api/app.py": """
            import os
            def envlist(key, default=""):
                return os.environ.get(key, default).split(",")
            DSN = os.environ["DATABASE_URL"]
            FLAGS = envlist("FEATURE_FLAGS")
            """,
        "web/Dockerfile": "FROM node:22\n",
        "web/src/api.ts": "export const base = import.meta.env.VITE_API_URL;\n",
        "worker/Dockerfile": "FROM golang:1.23\n",
        "proxy/envoy.tmpl.yaml": "address: ${STALE_SETTING}\n",
        "worker/main.go": 'package main\nimport "os"\nvar q = os.Getenv("QUEUE_URL")\n'
                          'var p = os.Getenv("PORT")\n',
    })
    assert run.outcome("contracts.env-provided") == "pass"
    assert run.outcome("contracts.env-unused") == "warn"
    evidence = run.check("contracts.env-unused")["evidence"]
    # STALE_SETTING is envsubst'ed into a template; ORPHAN (a template's) is a note
    assert evidence["unused"] == ["ORPHAN", "UNUSED_FLAG"]
    assert "VITE_API_URL (JavaScript/TypeScript)" in evidence["read_by_other_languages"]
    assert "QUEUE_URL (Go)" in evidence["read_by_other_languages"]
