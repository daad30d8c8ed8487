"""Monitoring configuration: alert rules, Alertmanager routes, mounted configs, health and
metrics endpoints, structured logging."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

from pytest_readiness import CheckError
from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.yamlpos import Located, ParseError, publish
from pytest_readiness.probes.deployment import compose, monitoring

pytestmark = pytest.mark.readiness(section="Monitoring Configuration", category="monitoring")


def _conclude(readiness, codebase, lines_of, located: list[Located], check_id: str,
              what: str) -> None:
    outcome = publish(readiness, located, lines_of, codebase.spec.ignore, check_id)
    assert not outcome.errors, f"{len(outcome.errors)} {what}: {outcome.summary(outcome.errors)}"
    if outcome.warnings:
        readiness.warn(f"{len(outcome.warnings)} {what} (warning): "
                       f"{outcome.summary(outcome.warnings)}")


def _files(codebase, inventory, ctx, configured: list[str], predicate) -> list[tuple[Path, str]]:
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


def _read(path: Path, rel: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckError(f"{rel}: cannot read: {exc}") from None


@pytest.mark.readiness(id="monitoring.alert-rules", severity="high",
                       fix="Give every alerting rule an expr, a 'for' duration and a severity "
                           "label")
def test_alert_rules_complete(codebase, inventory, readiness, readiness_context):
    """Prometheus rule files parse; every alert has expr, for and a severity label."""
    files = _files(codebase, inventory, readiness_context,
                   readiness_context.config.monitoring.prometheus_rules, monitoring.is_rule_file)
    if not files:
        pytest.skip("not applicable: no Prometheus rule files configured or found")
    located, counts = [], {}
    for path, rel in files:
        try:
            found, counts[rel] = monitoring.rule_findings(_read(path, rel), rel)
        except ParseError as exc:
            raise CheckError(str(exc)) from None
        located += found
    readiness.evidence(rule_files=counts)
    if not any(c["alerts"] for c in counts.values()):
        located.append(Located("monitoring.rule", "rule files define no alerts", files[0][1]))
    _conclude(readiness, codebase, pyast.lines_of(inventory), located, "monitoring.alert-rules",
              "alert rule problem(s)")


@pytest.mark.readiness(id="monitoring.alertmanager-routes", severity="high",
                       fix="Route alerts to a receiver with a notification config (email, "
                           "Slack, PagerDuty, webhook)")
def test_alertmanager_routes_somewhere(codebase, inventory, readiness, readiness_context):
    """The Alertmanager config parses and its routes end at receivers that notify someone."""
    files = _files(codebase, inventory, readiness_context,
                   readiness_context.config.monitoring.alertmanager, monitoring.is_alertmanager)
    if not files:
        pytest.skip("not applicable: no Alertmanager config configured or found")
    located, receivers = [], {}
    for path, rel in files:
        try:
            found, receivers[rel] = monitoring.alertmanager_findings(_read(path, rel), rel)
        except ParseError as exc:
            raise CheckError(str(exc)) from None
        located += found
    readiness.evidence(receivers=receivers)
    _conclude(readiness, codebase, pyast.lines_of(inventory), located,
              "monitoring.alertmanager-routes", "alert routing problem(s)")


@pytest.mark.readiness(id="monitoring.mounted-configs", severity="medium",
                       fix="Commit the config or dashboard the compose file mounts, and make it "
                           "parse")
def test_mounted_monitoring_configs_exist(codebase, inventory, readiness, readiness_context):
    """Configs and dashboards that compose mounts into monitoring services exist and parse."""
    located, checked = [], []
    composes = [a for a in readiness_context.artefacts("compose")
                if a.codebase.root == codebase.root]
    for artefact in composes:
        try:
            parsed = compose.load_file(artefact.path, artefact.rel)
        except ParseError as exc:
            raise CheckError(str(exc)) from None
        for service in parsed.services:
            if not monitoring.MONITORING_IMAGES.search(service.image or service.name):
                continue
            for source, line in compose.bind_sources(service):
                if not source.startswith("."):
                    continue
                checked.append(f"{service.name}: {source}")
                problem = monitoring.config_file_problem((parsed.directory / source).resolve())
                if problem:
                    located.append(Located("monitoring.mounted-config", f"service "
                                           f"{service.name} mounts {source}: {problem}",
                                           artefact.rel, line))
    if not checked:
        pytest.skip("not applicable: no monitoring service mounts files from the repository")
    readiness.evidence(mounted=checked)
    lines = {a.rel: a.path for a in composes}
    _conclude(readiness, codebase,
              lambda rel: (read_text_lines(lines[rel]) if rel in lines else []), located,
              "monitoring.mounted-configs", "mounted config problem(s)")


def read_text_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _web_app(inventory):
    web, health, metrics = monitoring.web_routes(inventory)
    if not web:
        pytest.skip("not applicable: no Python web application (FastAPI, Flask, ...) found")
    return health, metrics


@pytest.mark.readiness(id="monitoring.health-endpoint", severity="high",
                       fix="Expose GET /health (liveness) and /ready (readiness) routes")
def test_app_exposes_health_endpoint(codebase, inventory, readiness):
    """The application exposes a health endpoint (route found in the code)."""
    health, _ = _web_app(inventory)
    readiness.evidence(health_routes=[f"{r.file}:{r.line} {r.path}" for r in health])
    assert health, "no health route (/health, /healthz, /ready, ...) found in the code"


@pytest.mark.readiness(id="monitoring.metrics-endpoint", severity="medium",
                       fix="Expose /metrics with prometheus_client (make_asgi_app) or an "
                           "instrumentator")
def test_app_exposes_metrics(codebase, inventory, readiness):
    """The application exposes Prometheus metrics (route or exporter found in the code)."""
    _, metrics = _web_app(inventory)
    readiness.evidence(metrics=[f"{r.file}:{r.line} {r.path}" for r in metrics])
    assert metrics, "no /metrics route or Prometheus exporter found in the code"


@pytest.mark.readiness(id="monitoring.structured-logging", severity="medium",
                       fix="Log JSON (python-json-logger, structlog JSONRenderer, loguru "
                           "serialize=True) so logs can be searched and alerted on")
def test_structured_logging(codebase, inventory, readiness):
    """Logging is configured to emit structured (JSON) records."""
    if not inventory.python:
        pytest.skip("not applicable: no Python code in this codebase")
    found = monitoring.json_logging(inventory)
    readiness.evidence(json_logging=[f"{r.file}:{r.line} {r.path}" for r in found][:20])
    assert found, "no JSON logging configuration found (formatter, renderer or log config)"
