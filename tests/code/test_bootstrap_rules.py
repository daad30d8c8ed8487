"""auth.default-admin in the deployment (issue 15.8): bootstrap admin passwords given a
literal in production Compose, Dockerfiles and shell scripts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.probes.code.auth import bootstrap
from tests.code.conftest import planted_password


def levels(key: str, written: str, interpolated: bool = True) -> list[str]:
    setting = bootstrap.Setting(key, written, "compose.yaml", 3, "compose service web",
                                interpolated)
    return [f.level for f in bootstrap.judge([setting])]


@pytest.mark.parametrize(("key", "written", "expected"), [
    ("DJANGO_SUPERUSER_PASSWORD", "admin", ["error"]),
    ("FIRST_SUPERUSER_PASSWORD", "changethis", ["error"]),
    ("SUPERUSER_PASSWORD", "short", ["error"]),
    ("BOOTSTRAP_ADMIN_PASSWORD", "${ADMIN_PW:-admin}", ["error"]),   # the default is used
    ("ADMIN_PASSWORD", "<your-password>", ["warning"]),              # a placeholder
    ("DJANGO_SUPERUSER_PASSWORD", "${DJANGO_SUPERUSER_PASSWORD}", []),
    ("FIRST_SUPERUSER_PASSWORD", "${FIRST_SUPERUSER_PASSWORD:?Variable not set}", []),
    ("DJANGO_SUPERUSER_PASSWORD", "$PW", []),
    ("DJANGO_SUPERUSER_PASSWORD", "", []),
    ("DJANGO_SUPERUSER_USERNAME", "admin", []),                      # a user name
    ("MYSQL_ROOT_PASSWORD", "admin", []),                            # a datastore's
    ("POSTGRES_PASSWORD", "admin", []),
    ("DJANGO_SUPERUSER_PASSWORD", "$ingle-quoted-admin", ["warning"]),
])
def test_compose_levels(key: str, written: str, expected: list[str]) -> None:
    interpolated = not written.startswith("$ingle")
    assert levels(key, written, interpolated) == expected


def test_a_strong_literal_is_a_warning_and_redacted() -> None:
    pw = planted_password()
    found = bootstrap.judge([bootstrap.Setting("DJANGO_SUPERUSER_PASSWORD", pw, "c.yaml", 1,
                                               "compose service web")])
    assert [f.level for f in found] == ["warning"]
    assert pw not in found[0].message


@given(st.text(max_size=30))
def test_judge_never_raises(value: str) -> None:
    found = bootstrap.judge([bootstrap.Setting("ADMIN_PASSWORD", value, "c", 1, "x")])
    assert len(found) <= 1


SCRIPT = """#!/bin/sh
set -e
export DJANGO_SUPERUSER_PASSWORD=admin
DJANGO_SUPERUSER_USERNAME=admin python manage.py createsuperuser --noinput
if [ -z "${SUPERUSER_PASSWORD+x}" ]; then
  SUPERUSER_PASSWORD='admin'
fi
create() {
  ADMIN_PASSWORD="$1"
}
FIRST_SUPERUSER_PASSWORD="${FIRST_SUPERUSER_PASSWORD:?set it}"
"""


def test_shell_script_top_level_and_branches() -> None:
    found = bootstrap.shell_findings([("docker/entrypoint.sh", SCRIPT.splitlines())])
    assert [(f.line, f.level) for f in found] == [(3, "error"), (6, "warning")]
    assert "inside a condition" in found[1].message


def test_inline_assignment_before_a_command() -> None:
    lines = ["DJANGO_SUPERUSER_PASSWORD=admin python manage.py createsuperuser --noinput"]
    assert [f.level for f in bootstrap.shell_findings([("init.sh", lines)])] == ["error"]


@pytest.mark.parametrize(("rel", "first", "expected"), [
    ("run.sh", "", True), ("docker/entrypoint", "#!/bin/bash", True),
    ("bin/x", "#!/usr/bin/env sh", True), ("bin/y", "#!/usr/bin/env python3", False),
    ("README", "hello", False),
])
def test_is_shell_script(rel: str, first: str, expected: bool) -> None:
    assert bootstrap.is_shell_script(rel, first) is expected


def test_dockerfile_env_and_arg() -> None:
    settings = bootstrap.dockerfile_settings("Dockerfile", [
        ("ENV", "DJANGO_SUPERUSER_USERNAME=admin DJANGO_SUPERUSER_PASSWORD=admin", 4),
        ("ARG", "ADMIN_PASSWORD", 5),
        ("ENV", "SUPERUSER_PASSWORD $PW", 6),
        ("RUN", "DJANGO_SUPERUSER_PASSWORD=x true", 7),
    ])
    assert [(s.key, s.written, s.line) for s in settings] == [
        ("DJANGO_SUPERUSER_USERNAME", "admin", 4), ("DJANGO_SUPERUSER_PASSWORD", "admin", 4),
        ("ADMIN_PASSWORD", "", 5), ("SUPERUSER_PASSWORD", "$PW", 6)]
    assert [(f.line, f.level) for f in bootstrap.judge(settings)] == [(4, "error")]


DJANGO = {"shop/__init__.py": "", "shop/settings.py": "DEBUG = False\n"}
COMPOSE = """services:
  web:
    build: .
    command: sh -c "python manage.py createsuperuser --noinput; gunicorn shop.wsgi"
    environment:
      DJANGO_SUPERUSER_USERNAME: admin
      DJANGO_SUPERUSER_PASSWORD: {value}
    env_file: [web.env]
"""
DOCKERFILE = "FROM python:3.12-slim\nENV DJANGO_SUPERUSER_PASSWORD={value}\nCMD [\"gunicorn\"]\n"


@pytest.mark.parametrize(("value", "outcome"), [
    ("admin", "fail"), ("${DJANGO_SUPERUSER_PASSWORD}", "pass"),
    ("${DJANGO_SUPERUSER_PASSWORD:-changeme}", "fail"), ("Zq8-vT3x-Lm2p-Rk7w", "warn")])
def test_suite_compose(run_suite, value: str, outcome: str) -> None:
    run = run_suite("auth", {**DJANGO, "compose.yaml": COMPOSE.format(value=value),
                             "web.env": "LOG_LEVEL=info\n"})
    assert run.outcome("auth.default-admin") == outcome
    if outcome != "pass":
        assert [(f["file"], f["line"]) for f in run.findings("auth.default-admin")] == [
            ("compose.yaml", 7)]


def test_suite_env_file_and_dockerfile(run_suite) -> None:
    run = run_suite("auth", {**DJANGO, "compose.yaml": COMPOSE.format(value="${PW}"),
                             "web.env": "FIRST_SUPERUSER_PASSWORD=admin\n",
                             "Dockerfile": DOCKERFILE.format(value="admin")})
    assert run.outcome("auth.default-admin") == "fail"
    assert sorted((f["file"], f["line"], f["level"]) for f in run.findings(
        "auth.default-admin")) == [("Dockerfile", 2, "error"), ("web.env", 1, "error")]


def test_suite_passes_references_and_ignores_development_compose(run_suite) -> None:
    run = run_suite("auth", {
        **DJANGO, "compose.yaml": COMPOSE.format(value="${PW:?set it}"),
        "web.env": "DJANGO_SUPERUSER_USERNAME=admin\n",
        "Dockerfile": DOCKERFILE.format(value="$PW"),
        "docker/entrypoint.sh": '#!/bin/sh\nif [ -n "$X" ]; then\n  ADMIN_PASSWORD="$X"\nfi\n'})
    assert run.outcome("auth.default-admin") == "pass"


def test_suite_shell_script_branch_is_a_warning(run_suite) -> None:
    run = run_suite("auth", {**DJANGO, "docker/docker-entrypoint.sh": SCRIPT.replace(
        "export DJANGO_SUPERUSER_PASSWORD=admin\n", "")})
    assert run.outcome("auth.default-admin") == "warn"
    assert [(f["file"], f["line"]) for f in run.findings("auth.default-admin")] == [
        ("docker/docker-entrypoint.sh", 5)]
