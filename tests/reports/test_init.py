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
    assert model.system == "demo"
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
