"""Monitoring configuration: Prometheus rules, Alertmanager routes, mounted configs, and
the health / metrics / JSON-logging wiring of the code.

Rule files and Alertmanager configs are parsed as YAML with line numbers; the
code is read through the shared AST cache (:mod:`pyast`). No pytest here.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.findings import Finding, RuleLevel
from pytest_readiness.plumbing.reader import Reader
from pytest_readiness.plumbing.tree import Inventory, SourceFile, walk
from pytest_readiness.plumbing.yamlpos import LineDict, ParseError, as_list, line_of, load
from pytest_readiness.probes.deployment.compose import ComposeProject, bind_sources
from pytest_readiness.probes.deployment.compose_spec.merge import SourcedList
from pytest_readiness.probes.deployment.compose_spec.project import join
from pytest_readiness.vocabulary import Level

LOGGING_LEVELS = (
    RuleLevel("", Level.WARNING, "no JSON logging configuration is found (plain-text logs "
                                 "work; JSON makes them searchable)"),)
DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
MONITORING_IMAGES = re.compile(r"(?i)(prometheus|grafana|alertmanager|loki|promtail|tempo|"
                               r"otel|opentelemetry|vector|fluent-?bit|blackbox)")
HEALTH_PATH = re.compile(r"^/(api/)?(v\d+/)?(health|healthz|livez|readyz|ready|live|ping|status)"
                         r"\b")
ROUTE_METHODS = frozenset({"get", "route", "api_route", "head", "add_route", "add_api_route",
                           "add_url_rule", "websocket_route"})
WEB_FRAMEWORKS = ("fastapi", "flask", "starlette", "django", "aiohttp", "sanic", "quart",
                  "litestar", "falcon", "bottle", "tornado")
METRICS_CALLS = re.compile(r"(prometheus_client\.(make_asgi_app|make_wsgi_app|start_http_server|"
                           r"start_wsgi_server|generate_latest)|Instrumentator|"
                           r"starlette_exporter|PrometheusMiddleware|aioprometheus|"
                           r"prometheus_flask_exporter)")
JSON_LOGGING = re.compile(r"(pythonjsonlogger|jsonlogger|json_log_formatter|JsonFormatter|"
                          r"JSONRenderer|ecs_logging|StackdriverJsonFormatter|"
                          r"structlog\.processors\.JSONRenderer)")


def is_rule_file(rel: str, text: str) -> bool:
    return rel.endswith((".yml", ".yaml")) and re.search(r"(?m)^groups:", text) is not None \
        and re.search(r"(?m)^\s*-?\s*(alert|record):", text) is not None


def is_alertmanager(rel: str, text: str) -> bool:
    return rel.endswith((".yml", ".yaml")) and re.search(r"(?m)^route:", text) is not None \
        and re.search(r"(?m)^receivers:", text) is not None


def discover(inventory: Inventory, predicate) -> list[SourceFile]:  # type: ignore[no-untyped-def]
    found = []
    for file in inventory.files:
        if not file.rel.endswith((".yml", ".yaml")) or file.size > 512 * 1024:
            continue
        text = inventory.text(file)
        if text is not None and predicate(file.rel, text):
            found.append(file)
    return found


def promql_problem(expr: str) -> str | None:
    """A cheap sanity check of a PromQL expression: present, balanced, quotes closed."""
    if not expr.strip():
        return "empty expr"
    text = re.sub(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'|`[^`]*`', '""', expr)
    if text.count('"') % 2 or "'" in text or "`" in text:
        return "unterminated string in expr"
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    for char in text:
        if char in "([{":
            stack.append(char)
        elif char in pairs:
            if not stack or stack.pop() != pairs[char]:
                return f"unbalanced {char!r} in expr"
    return f"unclosed {stack[-1]!r} in expr" if stack else None


def rule_findings(text: str, rel: str) -> tuple[list[Finding], dict[str, int]]:
    """Alerting rules need expr, for and labels.severity; recording rules need expr."""
    data = load(text, rel)
    groups = data.get("groups") if isinstance(data, LineDict) else None
    if not isinstance(groups, list):
        raise ParseError(rel, "a Prometheus rule file needs a 'groups' list")
    out: list[Finding] = []
    counts = {"alerts": 0, "records": 0}
    for gi, group in enumerate(groups):
        if not isinstance(group, LineDict) or not isinstance(group.get("rules"), list):
            out.append(Finding("", "group without a rules list", rel,
                               line_of(groups, gi)))
            continue
        rules = group["rules"]
        for ri, rule in enumerate(rules):
            line = line_of(rules, ri)
            if not isinstance(rule, LineDict):
                out.append(Finding("", "rule is not a mapping", rel, line))
                continue
            name = rule.get("alert") or rule.get("record")
            if "alert" in rule:
                counts["alerts"] += 1
                out += _alert_problems(rule, str(name), rel, line)
            elif "record" in rule:
                counts["records"] += 1
            else:
                out.append(Finding("", "rule has neither alert nor record", rel,
                                   line))
            problem = promql_problem(str(rule.get("expr") or ""))
            if problem:
                out.append(Finding("", f"{name}: {problem}", rel,
                                   line_of(rule, "expr", line)))
    return out, counts


def _alert_problems(rule: LineDict, name: str, rel: str, line: int) -> list[Finding]:
    out = []
    duration = rule.get("for")
    if duration is None:
        out.append(Finding("", f"alert {name} has no 'for' (fires on a single "
                           "scrape)", rel, line))
    elif not DURATION.match(str(duration)):
        out.append(Finding("", f"alert {name}: 'for: {duration}' is not a "
                           "duration", rel, line_of(rule, "for", line)))
    labels = rule.get("labels")
    if not isinstance(labels, dict) or not labels.get("severity"):
        out.append(Finding("", f"alert {name} has no severity label", rel,
                           line_of(rule, "labels", line)))
    return out


def alertmanager_findings(text: str, rel: str) -> tuple[list[Finding], list[str]]:
    """The route tree names receivers that exist and that send somewhere."""
    data = load(text, rel)
    if not isinstance(data, LineDict):
        raise ParseError(rel, "expected a mapping at the top level of an Alertmanager config")
    out: list[Finding] = []
    receivers = data.get("receivers")
    known: dict[str, tuple[bool, int]] = {}
    for i, receiver in enumerate(as_list(receivers)):
        if isinstance(receiver, dict) and receiver.get("name"):
            sends = any(str(k).endswith("_configs") and v for k, v in receiver.items())
            known[str(receiver["name"])] = (sends, line_of(receivers, i))
    route = data.get("route")
    if not isinstance(route, LineDict) or not route.get("receiver"):
        out.append(Finding("", "no top-level route with a receiver", rel,
                           line_of(data, "route", 1)))
        return out, sorted(known)
    for node in _routes(route):
        name = node.get("receiver")
        if name is None:
            continue
        line = line_of(node, "receiver", node.line)
        if str(name) not in known:
            out.append(Finding("", f"route sends to receiver {name!r}, "
                               "which is not defined", rel, line))
        elif not known[str(name)][0]:
            out.append(Finding("", f"receiver {name!r} has no "
                               "*_configs: alerts routed to it go nowhere", rel,
                               known[str(name)][1]))
    return out, sorted(known)


def _routes(route: LineDict) -> list[LineDict]:
    found = [route]
    for child in as_list(route.get("routes")):
        if isinstance(child, LineDict):
            found += _routes(child)
    return found


def config_file_problem(path: Path, reader: Reader | None = None) -> str | None:
    """Why a mounted config file is unusable (missing, not read, or YAML/JSON that does
    not parse); read through ``reader`` (default: one rooted at the file's directory)."""
    if not path.exists():
        return "does not exist"
    if path.is_dir():
        reader = reader or Reader(path)
        for child in sorted(walk(path), key=lambda f: f.path):
            if not child.is_symlink and (problem := config_file_problem(child.path, reader)):
                return f"{child.name}: {problem}"
        return None
    try:
        text = (reader or Reader(path.parent)).text(path)
        if path.suffix in (".yml", ".yaml"):
            load(text, path.name)
        elif path.suffix == ".json":
            json.loads(text)
    except ParseError as exc:
        return exc.problem + (f" (line {exc.line})" if exc.line else "")
    except ValueError as exc:
        return f"invalid JSON: {exc}"
    except OSError as exc:  # Unread: says why (a FIFO, a link out of the tree, too big)
        return str(exc)
    return None


def mounted_config_findings(project: ComposeProject) -> tuple[list[str], list[Finding]]:
    """(what was checked, findings): configs and dashboards the monitoring services of a
    compose project mount from the repository that are missing or do not parse."""
    checked, found = [], []
    volumes_of = {s.name: s.spec.get("volumes") for s in project.services}
    for service in project.services:
        if not MONITORING_IMAGES.search(service.image or service.name):
            continue
        volumes = volumes_of[service.name]
        for index, (source, _, _, _, line) in enumerate(bind_sources(service)):
            if not source.startswith("."):
                continue
            rel = join(service.directory, source)
            reader = project.files or Reader(project.root)
            if rel is None or not reader.contains(project.root / rel):
                checked.append(f"{service.name}: {source} (outside the audited tree: not read)")
                continue
            checked.append(f"{service.name}: {source}")
            problem = config_file_problem((project.root / rel).resolve(), reader)
            if problem:
                file = volumes.file_of(index) if isinstance(volumes, SourcedList) \
                    else service.file
                found.append(Finding("", f"service {service.name} mounts {source}: {problem}",
                                     file, line))
    return checked, found


# --- the code -----------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    path: str
    file: str
    line: int


def _decorator_paths(module: pyast.Module) -> list[Route]:
    routes = []
    for call in module.calls:
        method = call.name.rsplit(".", 1)[-1]
        django = call.name in ("django.urls.path", "django.urls.re_path",
                               "django.conf.urls.url")
        if method in ROUTE_METHODS or django or call.name.endswith("Route"):
            path = pyast.const_str(call.arg(0, "path"))
            if path is not None and (django or path.startswith(("/", "^"))):
                routes.append(Route("/" + path.lstrip("^/").rstrip("$"), module.rel, call.line))
        if method == "mount":
            path = pyast.const_str(call.arg(0, "path"))
            if path:
                routes.append(Route(path, module.rel, call.line))
    return routes


def web_routes(inventory: Inventory) -> tuple[bool, list[Route], list[Route]]:
    """(is a web app, health routes, metrics routes/exporters) found in the code."""
    web, health, metrics = False, [], []
    for module in pyast.modules(inventory):
        if any(name.split(".")[0] in WEB_FRAMEWORKS for name, _ in module.imports):
            web = True
        for route in _decorator_paths(module):
            if HEALTH_PATH.match(route.path):
                health.append(route)
            elif route.path.rstrip("/").endswith("/metrics"):
                metrics.append(route)
        for call in module.calls:
            if METRICS_CALLS.search(call.name):
                metrics.append(Route(call.name, module.rel, call.line))
    return web, health, metrics


def json_logging(inventory: Inventory) -> list[Route]:
    """Where JSON logging is configured: formatter imports, renderers, serialize=True, configs."""
    found = []
    for module in pyast.modules(inventory):
        for name, line in module.imports:
            if JSON_LOGGING.search(name):
                found.append(Route(name, module.rel, line))
        for call in module.calls:
            if JSON_LOGGING.search(call.name):
                found.append(Route(call.name, module.rel, call.line))
            elif call.name.endswith("logger.add") and _is_true(call.keyword("serialize")):
                found.append(Route("loguru serialize=True", module.rel, call.line))
        found += _json_formatter_classes(module)
    for file in inventory.files:
        if file.rel.endswith((".yml", ".yaml", ".json", ".ini", ".conf", ".toml")) and \
                "log" in file.rel.lower():
            text = inventory.text(file) or ""
            match = JSON_LOGGING.search(text)
            if match:
                line = text[:match.start()].count("\n") + 1
                found.append(Route(match.group(0), file.rel, line))
    return found


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _json_formatter_classes(module: pyast.Module) -> list[Route]:
    """A logging.Formatter subclass whose format() calls json.dumps."""
    found: list[Route] = []
    assert module.tree is not None
    if not any(any((module.resolve(b) or "").endswith("Formatter") for b in node.bases)
               for node in module.of(ast.ClassDef)):
        return found  # the common case, from the index's node list (no walk)
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = [module.resolve(b) or "" for b in node.bases]
        if not any(b.endswith("Formatter") for b in bases):
            continue
        for call in ast.walk(node):
            if isinstance(call, ast.Call) and module.resolve(call.func) in ("json.dumps",
                                                                           "orjson.dumps"):
                found.append(Route(f"{node.name} (json.dumps formatter)", module.rel,
                                   node.lineno))
                break
    return found
