"""Health and metrics as real services provide them (corpus cause 11). No pytest here.

Beyond the HTTP routes and Prometheus exporters of :func:`monitoring.web_routes`:

- health: a gRPC health servicer registered on a server (``health_pb2_grpc.
  add_HealthServicer_to_server``, grpc.aio alike), a compose ``healthcheck`` of a service
  built from this tree, or a ``HEALTHCHECK`` of a Dockerfile's final stage;
- metrics: the OpenTelemetry metrics SDK configured in the code (``MeterProvider``,
  ``PeriodicExportingMetricReader``, an OTLP or Prometheus metric exporter: push counts as
  much as scrape), or the OpenTelemetry metrics API (``metrics.get_meter``) with the SDK
  set up outside the code by ``opentelemetry-instrument`` in a Dockerfile, compose file or
  script;
- a service: a Python web framework or a gRPC server (``grpc.server``, ``grpc.aio.server``).

Only Python code is read; the suite names the tree's other languages, and a check that
finds nothing in a polyglot tree warns instead of failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.tree import Inventory, context_of
from pytest_readiness.plumbing.yamlpos import ParseError
from pytest_readiness.probes.deployment import dockerfile
from pytest_readiness.probes.deployment.monitoring import Route

if TYPE_CHECKING:
    from pytest_readiness.probes.deployment.compose import ComposeProject

GRPC_SERVERS = frozenset({"grpc.server", "grpc.aio.server"})
GRPC_HEALTH_REGISTRATION = "add_HealthServicer_to_server"
# Classes and calls of the OpenTelemetry metrics SDK: the provider, readers and exporters.
OTEL_METRICS_SDK = frozenset({"MeterProvider", "PeriodicExportingMetricReader",
                              "OTLPMetricExporter", "PrometheusMetricReader",
                              "ConsoleMetricExporter", "set_meter_provider"})
OTEL_METRICS_API = frozenset({"opentelemetry.metrics.get_meter",
                              "opentelemetry.metrics.get_meter_provider"})
AUTO_INSTRUMENT = re.compile(r"\bopentelemetry-instrument\b")


@dataclass
class Signals:
    """What the Python code of a codebase serves and how it reports its health and metrics."""

    grpc_servers: list[Route] = field(default_factory=list)
    grpc_health: list[Route] = field(default_factory=list)
    otel_sdk: list[Route] = field(default_factory=list)
    otel_api: list[Route] = field(default_factory=list)


def signals(modules: list[pyast.Module]) -> Signals:
    """gRPC servers and health registrations, OpenTelemetry metrics SDK and API uses, in
    live code."""
    found = Signals()
    for module in modules:
        if context_of(module.rel) != "code":
            continue
        for call in module.calls:
            tail = pyast.tail(call.name)
            route = Route(call.name, module.rel, call.line)
            if call.name in GRPC_SERVERS:
                found.grpc_servers.append(route)
            elif tail == GRPC_HEALTH_REGISTRATION:
                found.grpc_health.append(route)
            elif call.name.startswith("opentelemetry") and tail in OTEL_METRICS_SDK:
                found.otel_sdk.append(route)
            elif call.name in OTEL_METRICS_API or call.name.startswith(
                    "opentelemetry.metrics.get_meter_provider()."):
                found.otel_api.append(route)
    return found


def auto_instrumented(inventory: Inventory) -> list[Route]:
    """Where ``opentelemetry-instrument`` starts the program (Dockerfiles, compose files,
    scripts, Procfiles): the SDK, with its metrics exporter, is set up from the environment."""
    out = []
    for file in inventory.files:
        name = file.rel.rsplit("/", 1)[-1].lower()
        if not (name.startswith("dockerfile") or name.endswith((".dockerfile", ".sh", ".yml",
                                                                 ".yaml")) or name == "procfile"
                or "entrypoint" in name):
            continue
        text = inventory.text(file)
        match = AUTO_INSTRUMENT.search(text) if text else None
        if match and text is not None:
            out.append(Route("opentelemetry-instrument", file.rel,
                             text.count("\n", 0, match.start()) + 1))
    return out


def healthchecks(projects: list[ComposeProject], inventory: Inventory) -> list[Route]:
    """Health checks the deployment runs against services built from this tree: compose
    ``healthcheck`` (or the image's ``HEALTHCHECK``) of built services, and ``HEALTHCHECK``
    in the final stage of the tree's Dockerfiles (``NONE`` and disabled ones aside)."""
    from pytest_readiness.probes.deployment import compose

    out = []
    for project in projects:
        for service in project.services:
            if service.build is not None and compose.has_healthcheck(service):
                file, line = service.where("healthcheck")
                out.append(Route(f"service {service.name} healthcheck", file, line))
    for df_file in inventory.dockerfiles:
        text = inventory.text(df_file)
        if text is None or context_of(df_file.rel) != "code":
            continue
        try:
            stages = dockerfile.parse(text, df_file.rel).stages
        except ParseError:
            continue  # the dockerfile suite says so
        check = stages[-1].last("HEALTHCHECK") if stages else None
        if check is not None and not check.value.strip().upper().startswith("NONE"):
            out.append(Route("HEALTHCHECK", df_file.rel, check.line))
    return out


def languages_said(languages: dict[str, int]) -> str:
    """`` (Go, Java not looked at)``, or nothing for a Python-only tree."""
    return f" ({', '.join(languages)} not looked at)" if languages else ""
