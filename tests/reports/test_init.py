"""`pytest-readiness init`: a commented readiness.yaml from what a directory holds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness import cli
from pytest_readiness.config import load_config
from pytest_readiness.discover import parse_port

COMPOSE = """
services:
  web:
    image: nginx:1.27
    ports: ["8080:80", "127.0.0.1:8443:443/tcp"]
  api:
    build: .
    ports:
      - target: 8000
        published: 9000
  db:
    image: postgres:16
    ports: ["5432"]
  worker:
    image: "python:3.12"
"""

TREE = {
    "docker-compose.yml": COMPOSE,
    "Dockerfile": "FROM python:3.12-slim\n",
    "deploy/app.service": "[Unit]\nDescription=app\n",
    "proto/api.proto": 'syntax = "proto3";\n',
    "agent/proto/api.proto": 'syntax = "proto3";\n',
    ".github/workflows/ci.yml": "on: push\njobs: {}\n",
    "README.md": "# demo\n",
    "docs/runbook.md": "# runbook\n",
    "app/main.py": "async def handler():\n    return 1\n",
    "broken/compose.yaml": "services: [unclosed\n",
}


def make_tree(root: Path) -> Path:
    for rel, text in TREE.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_init_writes_a_config_that_loads(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    root = make_tree(tmp_path / "demo")
    assert cli.main(["init", str(root)]) == 0
    text = (root / "readiness.yaml").read_text()
    model, found = load_config(root / "readiness.yaml")
    assert found == root / "readiness.yaml"
    assert model.system.name == "demo"
    assert {e.name: e.url for e in model.endpoints} == {
        "web": "http://localhost:8080", "web-8443": "https://localhost:8443",
        "api": "http://localhost:9000"}  # db's "5432" publishes no fixed host port
    assert model.compose == ["docker-compose.yml", "broken/compose.yaml"]
    assert model.dockerfiles == ["Dockerfile"]
    assert model.units == ["deploy/app.service"]
    assert model.workflows == [".github/workflows/ci.yml"]
    assert model.protos == [["agent/proto/api.proto", "proto/api.proto"]]
    assert set(model.docs.paths) == {"README.md", "docs/runbook.md"}
    assert model.codebases[0].async_ is True
    assert '#   - {name: "db", dsn: "${DB_DSN}"}' in text  # a DSN from the environment only
    assert "# NOTE: broken/compose.yaml: not parsed" in text
    assert "wrote" in capsys.readouterr().out


def test_init_refuses_to_overwrite_without_force(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "readiness.yaml").write_text("system: mine\n")
    assert cli.main(["init", str(tmp_path)]) == cli.EXIT_USAGE
    assert "exists; use --force" in capsys.readouterr().err
    assert (tmp_path / "readiness.yaml").read_text() == "system: mine\n"
    assert cli.main(["init", str(tmp_path), "--force"]) == 0
    model, _ = load_config(tmp_path / "readiness.yaml")
    assert model.endpoints == []


def test_console_script_module_runs(tmp_path: Path) -> None:
    make_tree(tmp_path)
    done = subprocess.run([sys.executable, "-m", "pytest_readiness.cli", "init", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "readiness.yaml").is_file()


def test_generated_config_drives_an_audit(pytester: pytest.Pytester) -> None:
    make_tree(pytester.path)
    assert cli.main(["init", str(pytester.path)]) == 0
    result = pytester.runpytest("--readiness", "--readiness-list", "-p", "no:cacheprovider")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*readiness catalogue:*"])


@pytest.mark.parametrize(("entry", "expected"), [
    ("8080:80", (8080, 80)), ("127.0.0.1:8080:80/udp", (8080, 80)), ("80", None),
    ("8000-8002:8000-8002", (8000, 8000)), ({"published": "9000", "target": 90}, (9000, 90)),
    ({"target": 90}, None), ("[::1]:8080:80", None), ("${PORT}:80", None),
])
def test_parse_port(entry: object, expected: tuple[int, int] | None) -> None:
    assert parse_port(entry) == expected


@given(st.one_of(st.text(max_size=30), st.integers(), st.dictionaries(
    st.sampled_from(["published", "target", "mode"]), st.one_of(st.text(max_size=8),
                                                                 st.integers()))))
def test_parse_port_never_raises(entry: object) -> None:
    parsed = parse_port(entry)
    assert parsed is None or isinstance(parsed[0], int)


SERVICES = """
services:
  proxy:
    image: traefik:v3.1
    ports: ["80:80", "443:443", "8082:8082"]
  db:
    image: docker.io/library/postgres:16-alpine
    ports: ["5432:5432"]
  cache:
    image: ghcr.io/valkey-io/valkey:8
    ports: ["6380:6379"]
  mq:
    image: rabbitmq:3-management
    ports: ["5672:5672", "15672:15672"]
  mail:
    image: boky/postfix
    ports: ["25:25", "587:587"]
  docs:
    image: example/docs
    ports: ["${DOCS_PORT}:${DOCS_PORT}"]
  metrics:
    image: example/exporter
    ports: ["9999:9999"]
  backend:
    build: .
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8000/api/v1/utils/health-check/"]
  worker:
    build: .
    healthcheck:
      test: wget -qO- http://127.0.0.1:${WORKER_PORT:-7000}/healthz || exit 1
    ports: ["7000:7000"]
"""
OVERRIDE = """
services:
  backend:
    command: ["fastapi", "dev", "--host", "0.0.0.0"]
    ports: ["8000:8000"]
"""


def _init(root: Path, files: dict[str, str]) -> tuple[str, object]:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    assert cli.main(["init", str(root)]) == 0
    return (root / "readiness.yaml").read_text(), load_config(root / "readiness.yaml")[0]


def test_only_http_services_become_endpoints(tmp_path: Path) -> None:
    text, model = _init(tmp_path, {"compose.yml": SERVICES, ".env": "DOCS_PORT=8080\n"})
    assert {e.name: (e.url, e.health) for e in model.endpoints} == {
        "proxy": ("http://localhost:80", None), "proxy-443": ("https://localhost:443", None),
        "mq": ("http://localhost:15672", None),  # RabbitMQ's management UI
        "docs": ("http://localhost:8080", None),  # ports from .env, as Compose reads them
        "worker": ("http://localhost:7000", "/healthz")}
    for line in ("# not HTTP: compose.yml: service db (image postgres:16-alpine), port 5432->5432 "
                 "serves PostgreSQL: audit it under databases: (below)",
                 "# not HTTP: compose.yml: service cache (image valkey:8), port 6380->6379 serves "
                 "Redis",
                 "# not HTTP: compose.yml: service mq (image rabbitmq:3-management), port "
                 "5672->5672 serves AMQP",
                 "# not HTTP: compose.yml: service mail (image postfix), port 25->25 serves SMTP",
                 "# not HTTP: compose.yml: service mail (image postfix), port 587->587 serves SMTP",
                 "# unknown service: compose.yml: service metrics (image exporter), port "
                 "9999->9999; if it serves HTTP, add:",
                 '#   - {name: "metrics", url: "http://localhost:9999"}',
                 "# unknown service: compose.yml: service proxy (image traefik:v3.1), port "
                 "8082->8082; if it serves HTTP, add:"):
        assert any(got.startswith(line) for got in text.splitlines()), line
    assert '#   - {name: "db", dsn: "${DB_DSN}"}' in text


def test_health_paths_from_healthchecks_and_dev_overlays_commented(tmp_path: Path) -> None:
    text, model = _init(tmp_path, {"compose.yml": SERVICES, "compose.override.yml": OVERRIDE,
                                   "docker-compose.test.yml": "services: {}\n",
                                   "frontend/Dockerfile.playwright": "FROM node\n",
                                   "backend/Dockerfile": "FROM python\n"})
    assert model.compose == ["compose.yml"]
    assert model.dockerfiles == ["backend/Dockerfile"]
    assert "backend" not in {e.name for e in model.endpoints}
    lines = text.splitlines()
    assert ('#   - "compose.override.yml"  # development: a compose overlay whose service '
            "backend runs a dev server (fastapi dev)") in lines
    assert ('#   - "docker-compose.test.yml"  # test: named for tests '
            "(docker-compose.test.yml)") in lines
    assert ('#   - "frontend/Dockerfile.playwright"  # test: named for tests '
            "(Dockerfile.playwright)") in lines
    # The base file's healthcheck applies to the port the dev overlay publishes.
    assert ('#   - {name: "backend", url: "http://localhost:8000", '
            'health: "/api/v1/utils/health-check/"}') in lines


def test_only_test_compose_files_are_excluded_not_discovered(tmp_path: Path) -> None:
    _, model = _init(tmp_path, {"docker-compose.test.yml": SERVICES,
                                "compose.dev.yaml": "services: {}\n"})
    assert model.compose == [] and model.endpoints == []
    assert {"docker-compose.test.yml", "compose.dev.yaml"} <= set(model.codebases[0].exclude)


def test_generated_values_are_never_interpolated(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI_SECRET_TOKEN", "s3cr3t-value")
    root = tmp_path / "shop$${HOME}"
    root.mkdir()
    compose = ("services:\n  api${CI_SECRET_TOKEN}:\n    image: nginx\n    ports: ['8080:80']\n"
               "  db$x:\n    image: postgres\n")
    text, model = _init(root, {"compose.yml": compose})
    assert model.system.name == "shop$${HOME}"
    assert [e.name for e in model.endpoints] == ["api${CI_SECRET_TOKEN}"]
    assert "s3cr3t" not in str(model.model_dump())


@given(st.text(alphabet=st.sampled_from("${}:-ab_1 "), max_size=30))
def test_escaped_text_loads_back_unchanged(text: str) -> None:
    from pytest_readiness.config import escape_interpolation, interpolate

    assert interpolate(escape_interpolation(text), {}) == text
    assert interpolate(escape_interpolation(text), {"a": "X", "ab": "Y"}) == text


@pytest.mark.parametrize(("rel", "role"), [
    ("docker-compose.test.yml", "test"), ("compose.tests.yaml", "test"),
    ("docker-compose.test.override.yml", "test"), ("compose.dev.yml", "development"),
    ("deploy/docker-compose.local.yaml", "development"), ("test/telemetry/Dockerfile", "test"),
    ("src/frontend/Dockerfile.cypress", "test"), ("src/x/genproto/Dockerfile", "generated"),
    ("compose.yml", None), ("compose.deploy.yml", None), ("docker-compose.override.yml", None),
    ("latest/Dockerfile", None), ("contest/compose.yml", None),
])
def test_file_roles(rel: str, role: str | None) -> None:
    from pytest_readiness.discover import file_role

    found = file_role(rel)
    assert (found.split(":")[0] if found else None) == role


@pytest.mark.parametrize(("text", "expected"), [
    ("${A}", "1"), ("${B:-x}", "x"), ("${B-x}", ""), ("${C-x}", "x"), ("${A:+y}", "y"),
    ("${B:+y}", ""), ("${B+y}", "y"), ("$A:$$A", "1:$A"), ("${C}", None), ("${C:?err}", None),
])
def test_compose_substitution(text: str, expected: str | None) -> None:
    from pytest_readiness.discover import substitute

    assert substitute(text, {"A": "1", "B": ""}) == expected
