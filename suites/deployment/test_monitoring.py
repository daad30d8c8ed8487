"""Monitoring configuration: alert rules, Alertmanager routes, mounted configs, health and
metrics endpoints, structured logging."""

from __future__ import annotations

import glob
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_readiness import CheckError, CodebaseTarget, Context, Finding, Level, Recorder
from pytest_readiness.plumbing import pyast, webapps
from pytest_readiness.plumbing.tree import Inventory
from pytest_readiness.plumbing.yamlpos import ParseError, read_file
from pytest_readiness.probes.code import resilience
from pytest_readiness.probes.deployment import monitoring
from pytest_readiness.probes.deployment.monitoring import endpoints, observability

pytestmark = pytest.mark.readiness(section="Monitoring Configuration", category="monitoring")


def _files(codebase: CodebaseTarget, inventory: Inventory, ctx: Context, configured: list[str],
           predicate: Callable[[str, str], bool]) -> list[tuple[Path, str]]:
    """Configured files (globs, relative to readiness.yaml) or the ones discovered."""
    if configured:
        found = []
        for pattern in configured:
            matches = sorted(glob.glob(str(ctx.resolve(pattern)))) or [str(ctx.resolve(pattern))]
            for match in matches:
                path = Path(match)
                try:
                    rel = path.relative_to(codebase.root).as_posix()
                except ValueError:
                    rel = pattern
                found.append((path, rel))
        return found
    return [(f.path, f.rel) for f in monitoring.discover(inventory, predicate)]


def _read(path: Path, rel: str, ctx: Context) -> str:
    try:
        return read_file(path, rel, ctx.reader_for(path))
    except ParseError as exc:
        raise CheckError(str(exc)) from None


@pytest.mark.readiness(id="monitoring.alert-rules", severity="high",
                       fix="Give every alerting rule an expr, a 'for' duration and a severity "
                           "label")
def test_alert_rules_complete(codebase: CodebaseTarget, inventory: Inventory,
                              readiness: Recorder, readiness_context: Context) -> None:
    """Prometheus rule files parse; every alert has expr, for and a severity label."""
    files = _files(codebase, inventory, readiness_context,
                   readiness_context.config.monitoring.prometheus_rules, monitoring.is_rule_file)
    if not files:
        pytest.skip("not applicable: no Prometheus rule files configured or found")
    found: list[Finding] = []
    counts = {}
    for path, rel in files:
        try:
            problems, counts[rel] = monitoring.rule_findings(_read(path, rel, readiness_context),
                                                               rel)
        except ParseError as exc:
            raise CheckError(str(exc)) from None
        found += problems
    readiness.evidence(rule_files=counts)
    if not any(c["alerts"] for c in counts.values()):
        found.append(Finding("", "rule files define no alerts", files[0][1]))
    readiness.conclude(found, "alert rule problem(s)")


@pytest.mark.readiness(id="monitoring.alertmanager-routes", severity="high",
                       fix="Route alerts to a receiver with a notification config (email, "
                           "Slack, PagerDuty, webhook)")
def test_alertmanager_routes_somewhere(codebase: CodebaseTarget, inventory: Inventory,
                                       readiness: Recorder, readiness_context: Context) -> None:
    """The Alertmanager config parses and its routes end at receivers that notify someone."""
    files = _files(codebase, inventory, readiness_context,
                   readiness_context.config.monitoring.alertmanager, monitoring.is_alertmanager)
    if not files:
        pytest.skip("not applicable: no Alertmanager config configured or found")
    found: list[Finding] = []
    receivers = {}
    for path, rel in files:
        try:
            problems, receivers[rel] = monitoring.alertmanager_findings(
                _read(path, rel, readiness_context), rel)
        except ParseError as exc:
            raise CheckError(str(exc)) from None
        found += problems
    readiness.evidence(receivers=receivers)
    readiness.conclude(found, "alert routing problem(s)")


@pytest.mark.readiness(id="monitoring.mounted-configs", severity="medium",
                       fix="Commit the config or dashboard the compose file mounts, and make it "
                           "parse")
def test_mounted_monitoring_configs_exist(codebase: CodebaseTarget, readiness: Recorder,
                                          readiness_context: Context) -> None:
    """Configs and dashboards that compose mounts into monitoring services exist and parse."""
    found: list[Finding] = []
    checked: list[str] = []
    projects, skipped = readiness_context.production_compose(codebase)
    if skipped:
        readiness.evidence(compose_not_read=skipped)
    seen: set[str] = set()
    for project in projects:
        mounted, problems = monitoring.mounted_config_findings(project)
        checked += [m for m in mounted if m not in seen]
        seen.update(mounted)
        found += [f for f in problems if f not in found]
    if not checked:
        pytest.skip("not applicable: no monitoring service mounts files from the repository")
    readiness.evidence(mounted=checked)
    readiness.conclude(found, "mounted config problem(s)",
                       lines=lambda rel: next((p.lines(rel) for p in projects
                                               if rel in p.model.texts), []))


def _service(inventory: Inventory) -> tuple[list[monitoring.Route], list[monitoring.Route],
                                            observability.Signals]:
    """(HTTP health routes, metrics routes/exporters, gRPC and OpenTelemetry signals) of a
    codebase that serves: a Python web app or gRPC server (else not applicable)."""
    web, health, metrics = monitoring.web_routes(inventory)
    found = observability.signals(list(pyast.modules(inventory)))
    if not web and not found.grpc_servers:
        pytest.skip("not applicable: no Python web application (FastAPI, Flask, ...) or gRPC "
                    "server found")
    return health, metrics, found


def _absent(inventory: Inventory, message: str) -> list[Finding]:
    """Nothing found in what was read: an error for a Python-only tree read whole; a
    warning when other languages were not looked at or Python files were not analysed."""
    others = resilience.other_languages(f.rel for f in inventory.files)
    unread = pyast.not_analysed(inventory)
    level = Level.WARNING if others or unread else Level.ERROR
    return [Finding("", message + observability.languages_said(others), level=level), *unread]


def _where(routes: list[monitoring.Route]) -> list[str]:
    return [f"{r.file}:{r.line} {r.path}" for r in routes][:20]


@pytest.mark.readiness(id="monitoring.health-endpoint", severity="high",
                       fix="Expose GET /health (liveness) and /ready (readiness) routes, or "
                           "register the gRPC health service (add_HealthServicer_to_server)")
def test_app_exposes_health_endpoint(codebase: CodebaseTarget, inventory: Inventory,
                                     readiness: Recorder, readiness_context: Context) -> None:
    """The service exposes its health (HTTP route, gRPC health servicer or healthcheck)."""
    health, _, found = _service(inventory)
    projects, _ = readiness_context.production_compose(codebase)
    checks = observability.healthchecks(projects, inventory)
    readiness.evidence(health_routes=_where(health), grpc_health=_where(found.grpc_health),
                       healthchecks=_where(checks), languages_not_looked_at=
                       resilience.other_languages(f.rel for f in inventory.files))
    if health or found.grpc_health or checks:
        return
    readiness.conclude(_absent(inventory, "no health route (/health, /healthz, /ready, ...), "
                                          "gRPC health servicer or healthcheck found"),
                       lambda errors: errors[0].message)


@pytest.mark.readiness(id="monitoring.metrics-endpoint", severity="medium",
                       fix="Expose /metrics with prometheus_client (make_asgi_app) or an "
                           "instrumentator, or push with the OpenTelemetry metrics SDK "
                           "(MeterProvider with an OTLP exporter)")
def test_app_exposes_metrics(inventory: Inventory, readiness: Recorder) -> None:
    """The service exports metrics (Prometheus route or exporter, or OpenTelemetry push)."""
    _, metrics, found = _service(inventory)
    auto = observability.auto_instrumented(inventory) if found.otel_api else []
    readiness.evidence(metrics=_where(metrics), opentelemetry_sdk=_where(found.otel_sdk),
                       opentelemetry_api=_where(found.otel_api), auto_instrumented=_where(auto),
                       languages_not_looked_at=resilience.other_languages(
                           f.rel for f in inventory.files))
    if metrics or found.otel_sdk or auto:
        return
    if found.otel_api:
        first = found.otel_api[0]
        readiness.conclude([Finding(
            "", f"the OpenTelemetry metrics API is used ({first.path}) but no MeterProvider, "
                "exporter or opentelemetry-instrument sets up the SDK: the metrics may go "
                "nowhere", first.file, first.line, level=Level.WARNING)],
            lambda warned: warned[0].message, code=True)
        return
    readiness.conclude(_absent(inventory, "no /metrics route, Prometheus exporter or "
                                          "OpenTelemetry metrics SDK found"),
                       lambda errors: errors[0].message)


@pytest.mark.readiness(id="monitoring.structured-logging", levels=monitoring.LOGGING_LEVELS,
                       severity="medium",
                       fix="Log JSON (python-json-logger, structlog JSONRenderer, loguru "
                           "serialize=True) so logs can be searched and alerted on")
def test_structured_logging(inventory: Inventory, readiness: Recorder) -> None:
    """Logging is configured to emit structured (JSON) records."""
    if not inventory.python:
        pytest.skip("not applicable: no Python code in this codebase")
    found = monitoring.json_logging(inventory)
    readiness.evidence(json_logging=[f"{r.file}:{r.line} {r.path}" for r in found][:20])
    # Plain-text logs work; JSON is what makes them searchable: a warning, not a failure.
    readiness.conclude([] if found else [Finding(
        "", "no JSON logging configuration found (formatter, renderer or log config)",
        level=Level.WARNING)], lambda warned: warned[0].message)


# --- endpoints that lie (probes/deployment/monitoring/endpoints.py) ------------------------------


def _apps(inventory: Inventory) -> tuple[webapps.Code, list[webapps.App]]:
    if not inventory.python:
        pytest.skip("not applicable: no Python code in this codebase")
    code, apps = webapps.from_inventory(inventory)
    if not apps:
        pytest.skip("not applicable: no aiohttp, FastAPI/Starlette, Flask, Django or gRPC "
                    "application found")
    return code, apps


@pytest.mark.readiness(id="monitoring.metrics-format", severity="medium",
                       levels=endpoints.METRICS_LEVELS,
                       fix="Serve generate_latest(registry) with CONTENT_TYPE_LATEST (or "
                           "prometheus_client's make_asgi_app/make_wsgi_app), not JSON")
def test_metrics_in_prometheus_format(inventory: Inventory, readiness: Recorder) -> None:
    """A /metrics route answers in the Prometheus exposition format, not JSON."""
    code, apps = _apps(inventory)
    readiness.conclude(endpoints.metrics_json(code, apps), "metrics route(s) answering JSON",
                       code=True)


@pytest.mark.readiness(id="monitoring.health-can-fail", severity="high",
                       levels=endpoints.HEALTH_LEVELS,
                       fix="Let readiness check what the instance needs (database, cache) "
                           "and answer 503 when one is down; keep liveness trivial under "
                           "its own path (/livez)")
def test_health_can_report_unhealthy(inventory: Inventory, readiness: Recorder) -> None:
    """A health or readiness endpoint can answer unhealthy (it checks something)."""
    code, apps = _apps(inventory)
    readiness.conclude(endpoints.health_cannot_fail(code, apps),
                       "health endpoint(s) that cannot fail",
                       warning="health endpoint(s) that always answer healthy (warning)",
                       code=True)
