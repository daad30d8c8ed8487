"""What ``pytest-readiness init`` finds in a directory, and the readiness.yaml it writes.

Compose files are parsed with PyYAML: every service that publishes a port
becomes an endpoint on localhost (the place the audit can reach it from);
database images become commented database entries whose DSN comes from an
environment variable, never from the file. Dockerfiles, systemd units, protos
(the same file name in several places is one contract), CI workflows and docs
are listed as found. A compose file that does not parse is named in a comment,
not fatal.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pytest_readiness.probes import codebase as codebase_probe

HTTPS_PORTS = {443, 8443}
DATABASE_IMAGES = {"postgres": "postgresql", "postgis": "postgresql", "timescale": "postgresql",
                   "mysql": "mysql", "mariadb": "mysql"}


@dataclass(frozen=True)
class PublishedPort:
    service: str
    host_port: int
    container_port: int | None
    compose_file: str


@dataclass
class Discovery:
    root: Path
    compose: list[str] = field(default_factory=list)
    dockerfiles: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    workflows: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    protos: list[list[str]] = field(default_factory=list)
    python_files: int = 0
    async_code: bool = False
    ports: list[PublishedPort] = field(default_factory=list)
    databases: list[tuple[str, str]] = field(default_factory=list)  # (service, kind)
    problems: list[str] = field(default_factory=list)


def parse_port(entry: Any) -> tuple[int, int | None] | None:
    """A compose ``ports`` entry -> (published host port, container port), or None.

    Handles "8080:80", "127.0.0.1:8080:80/tcp", "8000-8001:8000-8001" (first
    port), 8080 (not published on a fixed host port: None) and the long syntax.
    """
    if isinstance(entry, dict):
        published, target = entry.get("published"), entry.get("target")
        try:
            return (int(str(published).split("-")[0]),
                    int(target) if target is not None else None) if published else None
        except ValueError:
            return None
    text = str(entry).split("/")[0]
    parts = text.rsplit(":", 2) if text.count(":") <= 2 else []
    if len(parts) < 2:
        return None
    host, container = parts[-2], parts[-1]
    match_host = re.fullmatch(r"(\d+)(?:-\d+)?", host)
    match_container = re.fullmatch(r"(\d+)(?:-\d+)?", container)
    if not match_host:
        return None
    return int(match_host.group(1)), int(match_container.group(1)) if match_container else None


def _read_compose(path: Path, rel: str, found: Discovery) -> None:
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, yaml.YAMLError) as exc:
        found.problems.append(f"{rel}: not parsed ({str(exc).splitlines()[0]})")
        return
    services = tree.get("services") if isinstance(tree, dict) else None
    if not isinstance(services, dict):
        found.problems.append(f"{rel}: no 'services' mapping")
        return
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        image = str(service.get("image", "")).lower()
        for marker, kind in DATABASE_IMAGES.items():
            if marker in image.rsplit("/", 1)[-1]:
                found.databases.append((str(name), kind))
                break
        for entry in service.get("ports") or []:
            parsed = parse_port(entry)
            if parsed:
                found.ports.append(PublishedPort(str(name), parsed[0], parsed[1], rel))


def discover(root: Path) -> Discovery:
    root = root.resolve()
    found = Discovery(root)
    inventory = codebase_probe.inventory(root)
    found.compose = [f.rel for f in inventory.compose]
    found.dockerfiles = [f.rel for f in inventory.matching(codebase_probe.is_dockerfile)]
    found.units = [f.rel for f in inventory.matching(codebase_probe.is_unit)]
    found.workflows = [f.rel for f in inventory.matching(codebase_probe.is_workflow)]
    found.docs = [f.rel for f in inventory.matching(codebase_probe.is_doc)]
    protos: dict[str, list[str]] = defaultdict(list)
    for f in inventory.files:
        if f.rel.endswith(".proto"):
            protos[f.name].append(f.rel)
    found.protos = [paths for _, paths in sorted(protos.items())]
    for f in inventory.python:
        found.python_files += 1
        if not found.async_code:
            text = codebase_probe.read_text(f) or ""
            found.async_code = "async def " in text
    for f in inventory.compose:
        _read_compose(f.path, f.rel, found)
    return found


def c(value: object) -> str:
    """Text for inside a YAML comment: one line, whatever a file or service is called."""
    return " ".join(str(value).split())


def q(value: str) -> str:
    """A YAML-safe scalar: JSON strings are valid YAML flow scalars."""
    return json.dumps(value)


def _endpoints(found: Discovery) -> list[str]:
    lines = ["# Endpoints: every compose service that publishes a port, reached on localhost.",
             "# Set `health:` to the service's health path and check the URLs."]
    if not found.ports:
        return lines + ["endpoints: []",
                        '# endpoints:\n#   - {name: api, url: "https://api.example.com", '
                        "health: /health}"]
    lines.append("endpoints:")
    names: set[str] = set()
    for port in found.ports:
        name = port.service if port.service not in names else f"{port.service}-{port.host_port}"
        names.add(name)
        scheme = "https" if port.host_port in HTTPS_PORTS or port.container_port in HTTPS_PORTS \
            else "http"
        lines.append(f"  - name: {q(name)}  # {c(port.compose_file)}: service "
                     f"{c(port.service)}, port {port.host_port}->{port.container_port}")
        lines.append(f"    url: {q(f'{scheme}://localhost:{port.host_port}')}")
        lines.append("    # health: /health")
    return lines


def _list(key: str, items: list[str], why: str) -> list[str]:
    lines = [f"# {why}"]
    if not items:
        return lines + [f"# {key}: []  (none found)"]
    return lines + [f"{key}:"] + [f"  - {q(item)}" for item in items]


def render_config(found: Discovery) -> str:
    """A commented readiness.yaml for what was found (loads with config.load_config)."""
    lines = [
        "# readiness.yaml: the system under audit, written by `pytest-readiness init`.",
        f"# Discovered in {c(found.root)}. Review every entry, then run: pytest --readiness",
        "# Reference: docs/configuration.md. Secrets: use ${VAR}, never literal values.",
        "",
        f"system: {q(found.root.name or 'my system')}",
        "",
        "# Hosts: the local machine is audited when none is listed. A remote one:",
        '#   - {name: web1, connection: "ssh://deploy@web1.example.com", roles: [web]}',
        "hosts: []",
        "",
        *_endpoints(found),
        "",
    ]
    lines += ["# Databases: the DSN comes from the environment, never from this file."]
    if found.databases:
        for service, kind in found.databases:
            var = re.sub(r"[^A-Z0-9]", "_", service.upper()) + "_DSN"
            lines.append(f"# compose service {c(service)} runs {kind}; to audit it, uncomment:")
            lines.append(f'#   - {{name: {q(service)}, dsn: "${{{var}}}"}}')
    lines += ["databases: []", ""]
    code = "async" if found.async_code else "sync"
    lines += [f"# Code: {found.python_files} Python file(s) found ({code} code).",
              "codebases:", f"  - path: {q('.')}", f"    async: {str(found.async_code).lower()}",
              '    exclude: ["tests/fixtures"]', ""]
    lines += _list("compose", found.compose, "Compose files (services, ports, restarts).") + [""]
    lines += _list("dockerfiles", found.dockerfiles,
                   "Dockerfiles (base images, USER, HEALTHCHECK).")
    lines += [""] + _list("units", found.units, "systemd unit files.") + [""]
    lines += _list("workflows", found.workflows, "CI workflows.") + [""]
    lines.append("# Protos: files with the same name in several places must agree.")
    lines += ["protos:"] + [f"  - [{', '.join(q(p) for p in group)}]" for group in found.protos] \
        if found.protos else ["# protos: []  (none found)"]
    lines += ["", "# Documentation and runbooks.", "docs:"]
    lines += (["  paths:"] + [f"    - {q(d)}" for d in found.docs]) if found.docs \
        else ["  paths: []"]
    for problem in found.problems:
        lines.insert(3, f"# NOTE: {c(problem)}")
    lines += ["", "# Scoring: category weights and verdict thresholds (the defaults shown).",
              "scoring:", "  thresholds: {ready: 90, conditional: 70}", "",
              "# Waivers: accepted risks, with a reason and an expiry date.",
              '#   - {check: tls.cert-expiry, target: api, reason: "renewal booked", '
              "expires: 2030-01-31}", "waivers: []", ""]
    return "\n".join(lines)
