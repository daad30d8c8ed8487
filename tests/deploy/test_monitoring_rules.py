"""Monitoring rules: Prometheus rule files, Alertmanager routing, mounted configs, routes, logs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.plumbing import tree
from pytest_readiness.plumbing.yamlpos import ParseError
from pytest_readiness.probes.deployment import monitoring
from tests.deploy.conftest import write_tree


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


RULES = dedent("""
    groups:
      - name: app
        rules:
          - record: job:up:sum
            expr: sum(up)
          - alert: Good
            expr: up == 0
            for: 5m
            labels: {severity: critical}
          - alert: NoFor
            expr: up == 0
            labels: {severity: warning}
          - alert: NoSeverity
            expr: rate(x[5m]) > 1
            for: 1m30s
            labels: {team: shop}
          - alert: BadExpr
            expr: sum(rate(x[5m]) > 1
            for: soon
            labels: {severity: page}
      - name: empty
    """)


def test_rule_file_findings_with_lines() -> None:
    found, counts = monitoring.rule_findings(RULES, "rules.yml")
    assert counts == {"alerts": 4, "records": 1}
    assert [(f.line, f.message) for f in found] == [
        (10, "alert NoFor has no 'for' (fires on a single scrape)"),
        (16, "alert NoSeverity has no severity label"),
        (19, "alert BadExpr: 'for: soon' is not a duration"),
        (18, "BadExpr: unclosed '(' in expr"),
        (21, "group without a rules list"),
    ]


@pytest.mark.parametrize(("expr", "problem"), [
    ('sum by (job) (rate(http_requests_total{status=~"5.."}[5m]))', None),
    ('up{job="a)"} == 0', None),
    ("", "empty expr"),
    ("sum(up", "unclosed '(' in expr"),
    ("up)", "unbalanced ')' in expr"),
    ('up{job="a}', "unterminated string in expr"),
])
def test_promql_sanity(expr: str, problem: str | None) -> None:
    assert monitoring.promql_problem(expr) == problem


@given(st.recursive(st.sampled_from(["up", "x", "1", '"s(t"']),
                    lambda inner: st.one_of(inner.map(lambda e: f"sum({e})"),
                                            inner.map(lambda e: f"v[{e}]"),
                                            inner.map(lambda e: f"m{{l={e}}}"),
                                            st.tuples(inner, inner).map(" + ".join)),
                    max_leaves=8))
def test_balanced_expressions_pass(expr: str) -> None:
    assert monitoring.promql_problem(expr) is None
    assert monitoring.promql_problem(expr + ")") is not None


def test_alertmanager_routes_to_defined_receivers_that_send() -> None:
    found, receivers = monitoring.alertmanager_findings(dedent("""
        route:
          receiver: team
          routes:
            - receiver: ghost
            - receiver: blackhole
        receivers:
          - name: team
            slack_configs: [{channel: "#ops"}]
          - name: blackhole
        """), "am.yml")
    assert receivers == ["blackhole", "team"]
    assert [(f.line, f.message) for f in found] == [
        (4, "route sends to receiver 'ghost', which is not defined"),
        (9, "receiver 'blackhole' has no *_configs: alerts routed to it go nowhere"),
    ]
    none, _ = monitoring.alertmanager_findings("receivers: []\nroute: {}\n", "am.yml")
    assert [f.message for f in none] == ["no top-level route with a receiver"]
    with pytest.raises(ParseError):
        monitoring.alertmanager_findings("route: [\n", "am.yml")


def test_discovery_by_content(tmp_path: Path) -> None:
    inventory = tree.inventory(write_tree(tmp_path, {
        "ops/alerts.yaml": RULES,
        "ops/am.yml": "route: {receiver: a}\nreceivers: [{name: a}]\n",
        "other.yml": "groups: [1]\n",
    }))
    assert [f.rel for f in monitoring.discover(inventory, monitoring.is_rule_file)] == [
        "ops/alerts.yaml"]
    assert [f.rel for f in monitoring.discover(inventory, monitoring.is_alertmanager)] == [
        "ops/am.yml"]


def test_config_file_problems(tmp_path: Path) -> None:
    write_tree(tmp_path, {"ok.yml": "a: 1\n", "bad.yml": "a: [\n", "bad.json": "{",
                          "dash/ok.json": "{}", "dash/broken.json": "[1,"})
    assert monitoring.config_file_problem(tmp_path / "ok.yml") is None
    assert monitoring.config_file_problem(tmp_path / "missing") == "does not exist"
    assert monitoring.config_file_problem(tmp_path / "bad.yml").startswith("invalid YAML")
    assert monitoring.config_file_problem(tmp_path / "bad.json").startswith("invalid JSON")
    assert monitoring.config_file_problem(tmp_path / "dash").startswith("broken.json: invalid")


def test_routes_metrics_and_json_logging_found_in_code(tmp_path: Path) -> None:
    inventory = tree.inventory(write_tree(tmp_path, {
        "app/main.py": """
            from fastapi import FastAPI, APIRouter
            from prometheus_client import make_asgi_app
            app = FastAPI()
            router = APIRouter()
            app.mount("/metrics", make_asgi_app())

            @router.get("/healthz")
            async def health(): return {}

            @app.get("/orders/{id}")
            async def order(id: str): return {}
            """,
        "app/log.py": """
            import json, logging
            class Json(logging.Formatter):
                def format(self, record):
                    return json.dumps({"msg": record.getMessage()})
            """,
    }))
    web, health, metrics = monitoring.web_routes(inventory)
    assert web
    assert [(r.path, r.line) for r in health] == [("/healthz", 7)]
    assert {(r.path, r.line) for r in metrics} == {("/metrics", 5),
                                                    ("prometheus_client.make_asgi_app", 5)}
    assert [(r.path, r.file, r.line) for r in monitoring.json_logging(inventory)] == [
        ("Json (json.dumps formatter)", "app/log.py", 2)]


def test_django_and_starlette_routes(tmp_path: Path) -> None:
    inventory = tree.inventory(write_tree(tmp_path, {
        "site/urls.py": "from django.urls import path, re_path\nfrom . import views\n"
                        "urlpatterns = [path('healthz/', views.health),\n"
                        "               re_path(r'^metrics$', views.metrics)]\n",
        "asgi.py": "from starlette.routing import Route\nroutes = [Route('/ready', ready)]\n",
    }))
    web, health, metrics = monitoring.web_routes(inventory)
    assert web
    assert sorted((r.path, r.file) for r in health) == [("/healthz/", "site/urls.py"),
                                                        ("/ready", "asgi.py")]
    assert [(r.path, r.line) for r in metrics] == [("/metrics", 4)]


def test_plain_logging_and_no_routes(tmp_path: Path) -> None:
    inventory = tree.inventory(write_tree(tmp_path, {
        "app.py": "import logging\nfrom flask import Flask\napp = Flask(__name__)\n"
                  "@app.route('/')\ndef index(): return 'hi'\nlogging.basicConfig()\n",
        "worker.py": "from loguru import logger\nlogger.add('x.log', serialize=False)\n",
    }))
    web, health, metrics = monitoring.web_routes(inventory)
    assert (web, health, metrics) == (True, [], [])
    assert monitoring.json_logging(inventory) == []
