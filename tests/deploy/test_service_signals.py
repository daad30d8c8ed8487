"""Health and metrics as real services provide them (corpus cause 11): gRPC health
servicers, compose/Dockerfile healthchecks, OpenTelemetry metrics pushed over OTLP, and a
polyglot tree whose other languages were not looked at."""

from __future__ import annotations

import textwrap

import pytest

from pytest_readiness.plumbing import pyast
from pytest_readiness.probes.deployment.monitoring import observability

GRPC_SERVER = """
    from concurrent import futures
    import grpc
    from grpc_health.v1 import health, health_pb2_grpc

    def serve():
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
        server.add_insecure_port("[::]:50051")
        server.start()
    """
GRPC_AIO_SERVER = """
    import grpc
    from grpc_health.v1 import health_pb2_grpc
    from grpc_health.v1.health import aio as health_aio

    async def serve():
        server = grpc.aio.server()
        health_pb2_grpc.add_HealthServicer_to_server(health_aio.HealthServicer(), server)
        await server.start()
    """
OTEL_SDK = """
    from opentelemetry import metrics
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

    reader = PeriodicExportingMetricReader(OTLPMetricExporter())
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    """
OTEL_API = """
    from opentelemetry import metrics
    meter = metrics.get_meter_provider().get_meter("recommendation")
    counter = meter.create_counter("app_recommendations_counter")
    """


def _signals(source: str) -> observability.Signals:
    module = pyast.parse(textwrap.dedent(source).lstrip(), "src/recommendation/server.py")
    return observability.signals([module])


@pytest.mark.parametrize("source", [GRPC_SERVER, GRPC_AIO_SERVER])
def test_grpc_servers_and_health_registrations(source: str) -> None:
    found = _signals(source)
    assert [r.path for r in found.grpc_servers] in (["grpc.server"], ["grpc.aio.server"])
    assert [r.path for r in found.grpc_health] == [
        "grpc_health.v1.health_pb2_grpc.add_HealthServicer_to_server"]


def test_opentelemetry_sdk_and_api() -> None:
    sdk = _signals(OTEL_SDK)
    assert {r.path.rsplit(".", 1)[-1] for r in sdk.otel_sdk} == {
        "PeriodicExportingMetricReader", "OTLPMetricExporter", "set_meter_provider",
        "MeterProvider"}
    api = _signals(OTEL_API)
    assert api.otel_sdk == [] and [r.line for r in api.otel_api] == [2, 2, 3]


def test_signals_in_tests_do_not_count() -> None:
    module = pyast.parse(textwrap.dedent(GRPC_SERVER), "tests/test_server.py")
    assert observability.signals([module]).grpc_health == []


def test_grpc_service_with_health_and_otlp_metrics_passes(run_suite) -> None:
    run = run_suite("monitoring", {"src/server.py": GRPC_SERVER + OTEL_SDK})
    assert run.outcome("monitoring.health-endpoint") == "pass"
    assert run.outcome("monitoring.metrics-endpoint") == "pass"
    evidence = run.check("monitoring.health-endpoint")["evidence"]
    assert evidence["grpc_health"] == [
        "src/server.py:7 grpc_health.v1.health_pb2_grpc.add_HealthServicer_to_server"]


def test_metrics_api_counts_with_opentelemetry_instrument_only(run_suite) -> None:
    files = {"src/server.py": "import grpc\nserver = grpc.server(None)\n"
                              + textwrap.dedent(OTEL_API)}
    run = run_suite("monitoring", files)
    assert run.outcome("monitoring.metrics-endpoint") == "warn"
    assert "may go nowhere" in run.check("monitoring.metrics-endpoint")["message"]
    run = run_suite("monitoring", {**files, "src/Dockerfile": (
        'FROM python:3.12-slim\nENTRYPOINT ["opentelemetry-instrument", "python", '
        '"server.py"]\n')})
    assert run.outcome("monitoring.metrics-endpoint") == "pass"
    assert run.check("monitoring.metrics-endpoint")["evidence"]["auto_instrumented"] == [
        "src/Dockerfile:2 opentelemetry-instrument"]


def test_healthchecks_of_the_deployment_count(run_suite) -> None:
    run = run_suite("monitoring", {
        "app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "app/Dockerfile": "FROM python:3.12\nCMD uvicorn main:app\n",
        "compose.yaml": """
            services:
              api:
                build: ./app
                healthcheck:
                  test: ["CMD", "curl", "-f", "http://localhost:8000/"]
            """,
    })
    assert run.outcome("monitoring.health-endpoint") == "pass"
    assert run.check("monitoring.health-endpoint")["evidence"]["healthchecks"] == [
        "compose.yaml:4 service api healthcheck"]


def test_dockerfile_healthcheck_counts_and_none_does_not(run_suite) -> None:
    app = {"app/main.py": "from flask import Flask\napp = Flask(__name__)\n"}
    run = run_suite("monitoring", {**app, "Dockerfile": (
        "FROM python:3.12\nHEALTHCHECK CMD python -c 'import urllib.request'\n")})
    assert run.outcome("monitoring.health-endpoint") == "pass"
    run = run_suite("monitoring", {**app, "Dockerfile": "FROM python:3.12\nHEALTHCHECK NONE\n"})
    assert run.outcome("monitoring.health-endpoint") == "fail"


def test_polyglot_tree_warns_and_names_what_was_not_looked_at(run_suite) -> None:
    run = run_suite("monitoring", {
        "src/recommendation/server.py": "import grpc\nserver = grpc.server(None)\n",
        "src/checkout/main.go": "package main\n",
        "src/ad/src/main/java/Ad.java": "class Ad {}\n",
    })
    for check in ("monitoring.health-endpoint", "monitoring.metrics-endpoint"):
        assert run.outcome(check) == "warn"
        assert "(Go, Java not looked at)" in run.check(check)["message"]


@pytest.mark.parametrize("name", ["grpc", "grpc_aio"])
def test_framework_grpc_apps_serve_health(name: str) -> None:
    """The clean gRPC apps of tests/frameworks register the health service on their server."""
    from tests.frameworks import catalog

    root = catalog.app(name).root
    modules = [pyast.parse(p.read_text(encoding="utf-8"), p.relative_to(root).as_posix())
               for p in sorted(root.rglob("*.py"))]
    found = observability.signals(modules)
    assert found.grpc_servers and found.grpc_health
