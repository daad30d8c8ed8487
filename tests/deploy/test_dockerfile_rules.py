"""Dockerfile rules: stages, users, healthcheck protocol, pins, secrets, ADD, dev images."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.plumbing.yamlpos import ParseError
from pytest_readiness.probes.deployment import dockerfile as probe
from tests.deploy.conftest import planted_password


def df(text: str) -> probe.Dockerfile:
    return probe.parse(textwrap.dedent(text).lstrip("\n"), "Dockerfile")


def found(located: list) -> list[tuple[int | None, str, str]]:
    return [(f.line, f.level, f.message) for f in located]


GOOD = """
    # syntax=docker/dockerfile:1
    ARG PYTHON=3.12
    FROM python:${PYTHON}-slim AS builder
    RUN apt-get update \\
     && apt-get install -y --no-install-recommends gcc libpq-dev
    RUN pip wheel -w /wheels -r requirements.txt

    FROM python:${PYTHON}-slim AS production
    COPY --from=builder /wheels /wheels
    RUN useradd -r app && pip install /wheels/*
    USER app
    EXPOSE 8000
    HEALTHCHECK --interval=30s CMD curl -f http://localhost:8000/health || exit 1
    CMD ["uvicorn", "shop.main:app", "--host", "0.0.0.0", "--port", "8000"]
    """


def test_good_multi_stage_file_passes_every_rule() -> None:
    parsed = df(GOOD)
    assert [s.base for s in parsed.stages] == ["python:3.12-slim", "python:3.12-slim"]
    assert probe.summary(parsed)["user"] == "app"
    for rule in (probe.non_root_user, probe.multi_stage, probe.healthcheck,
                 probe.no_secrets, probe.no_remote_add):
        assert rule(parsed) == [], rule.__name__
    # pinned by tag: only the digest rule speaks (hardening: a note under baseline)
    assert {(f.rule, f.line) for f in probe.base_pinned(parsed)} == {("digest", 3), ("digest", 8)}
    pinned = df(GOOD.replace("-slim AS", "-slim@sha256:" + "d" * 64 + " AS"))
    assert probe.base_pinned(pinned) == []
    assert probe.production_target(parsed, set()) == []


def test_single_stage_with_compiler_as_root() -> None:
    parsed = df("""
        FROM python:3.12
        RUN apt-get update && \\
            apt-get install -y build-essential
        USER root
        CMD python app.py
        """)
    assert found(probe.non_root_user(parsed)) == [(4, "error", "final stage runs as root")]
    assert found(probe.multi_stage(parsed)) == [
        (2, "error", "single-stage image installs build tools (build-essential); build in a "
                     "builder stage and copy only the artefacts")]
    # an orchestrator's probe may cover a missing HEALTHCHECK: a warning
    assert found(probe.healthcheck(parsed)) == [
        (1, "warning", "final stage has no HEALTHCHECK")]


def test_user_from_arg_and_uid() -> None:
    assert probe.non_root_user(df("FROM a:1\nARG UID=10001\nUSER ${UID}:${UID}\n")) == []
    assert found(probe.non_root_user(df("FROM a:1\nARG UID=0\nUSER $UID\n"))) == [
        (3, "error", "final stage runs as 0")]
    assert found(probe.non_root_user(df("FROM python:3.12\n"))) == [
        (1, "error", "final stage runs as root (no USER; base image python:3.12: python: the "
                     "image's default user is root)")]
    assert [f[1] for f in found(probe.non_root_user(df("FROM a:1\n")))] == ["warning"]


@pytest.mark.parametrize(("healthcheck", "command", "expected"), [
    ("curl -f http://localhost:8000/health", '["uvicorn", "a:app", "--port", "8000"]', []),
    ("curl -fk https://localhost:8000/health", '["uvicorn", "a:app", "--port", "8000"]',
     ["HEALTHCHECK probes https but the app serves http"]),
    ("curl -f http://localhost:8000/health",
     '["uvicorn", "a:app", "--port", "8443", "--ssl-keyfile", "k.pem", "--ssl-certfile", "c"]',
     ["HEALTHCHECK probes http but the app serves https",
      "HEALTHCHECK probes port 8000 but the app listens on 8443"]),
    ("curl -f http://localhost:8080/health", "gunicorn -b 0.0.0.0:8000 a:app",
     ["HEALTHCHECK probes port 8080 but the app listens on 8000"]),
    ("python -c 'import socket'", '["uvicorn", "a:app"]', []),
    ("NONE", '["uvicorn", "a:app"]', ["final stage has no HEALTHCHECK"]),
])
def test_healthcheck_protocol_and_port(healthcheck: str, command: str,
                                       expected: list[str]) -> None:
    instruction = healthcheck if healthcheck == "NONE" else f"CMD {healthcheck}"
    parsed = df(f"FROM a:1\nUSER app\nHEALTHCHECK {instruction}\nCMD {command}\n")
    assert [m for _, _, m in found(probe.healthcheck(parsed))] == expected


def test_base_pins_skip_stage_references() -> None:
    parsed = df("""
        ARG BASE=node
        FROM ${BASE} AS deps
        FROM deps AS build
        FROM nginx:latest
        FROM alpine@sha256:0123456789abcdef
        FROM python:${PYVER}
        FROM scratch
        """)
    assert found(probe.base_pinned(parsed)) == [
        (2, "error", "image node has no tag (means latest)"),
        (4, "error", "image nginx:latest uses the latest tag"),
        (6, "warning", "image python:${PYVER} depends on an unset variable: tag unknown")]


def test_secrets_in_env_and_arg_are_redacted() -> None:
    secret = planted_password()
    parsed = df(f"""
        ARG GITHUB_TOKEN
        FROM a:1
        ENV DB_PASSWORD={secret} LOG_LEVEL=info
        ENV API_KEY {secret}
        ENV PASSWORD_FILE=/run/secrets/pw SECRET_KEY_LENGTH=64
        ARG NPM_TOKEN=
        """)
    result = found(probe.no_secrets(parsed))
    assert [(line, level) for line, level, _ in result] == [
        (1, "warning"), (3, "error"), (4, "error"), (6, "warning")]
    assert all(secret not in message for _, _, message in result)
    assert result[1][2].startswith("ENV DB_PASSWORD holds a value (pw")
    assert "…(18 chars)): it stays in the image history" in result[1][2]


def test_remote_add_unless_checksummed() -> None:
    parsed = df("""
        FROM a:1
        ADD https://example.com/tool.tgz /opt/
        ADD --checksum=sha256:abc https://example.com/tool.tgz /opt/
        ADD ./local.tgz /opt/
        ADD git@github.com:org/repo.git /src
        """)
    assert [line for line, _, _ in found(probe.no_remote_add(parsed))] == [2, 5]


def test_dev_image_needs_a_production_stage_or_file() -> None:
    dev = """
        FROM python:3.12
        RUN pip install -r requirements-dev.txt
        CMD ["uvicorn", "a:app", "--reload"]
        """
    assert found(probe.production_target(df(dev), set()))[0][:2] == (2, "error")
    assert probe.production_target(df(dev), {"Dockerfile.prod"}) == []
    with_stage = dev + "FROM python:3.12 AS production\nRUN pip install -r requirements.txt\n"
    # The production stage is last, so the final image has no dev tools at all.
    assert probe.production_target(df(with_stage), set()) == []
    # npm with --omit=dev is a production install: no finding.
    assert probe.dev_tool_lines(df("FROM node:20\nRUN npm ci --omit=dev\n").final) == []


@pytest.mark.parametrize(("text", "line", "problem"), [
    ("FROM a:1\nthis is junk\n", 2, "unknown instruction"),
    ("RUN echo hi\nFROM a:1\n", 1, "RUN before the first FROM"),
    ("# only a comment\n", None, "no FROM instruction: not a Dockerfile"),
])
def test_malformed_dockerfile_names_line(text: str, line: int | None, problem: str) -> None:
    with pytest.raises(ParseError) as info:
        probe.parse(text, "svc/Dockerfile")
    assert (info.value.file, info.value.line, info.value.problem) == ("svc/Dockerfile", line,
                                                                      problem)


@given(st.text(alphabet="abcxyz019.-", min_size=1, max_size=10),
       st.sampled_from(["", ":latest", ":1.2.3", "@sha256:0123abcd"]))
def test_image_pin_rule(name: str, suffix: str) -> None:
    problem = probe.image_pin_problem(f"registry.local/{name}{suffix}")
    assert (problem is None) == (suffix in (":1.2.3", "@sha256:0123abcd"))


@given(st.dictionaries(st.text(alphabet="ABCZ_", min_size=1, max_size=6),
                       st.text(alphabet="abc123./", max_size=8), max_size=4))
def test_substitute_replaces_known_variables(variables: dict[str, str]) -> None:
    text = " ".join(f"${{{k}}}" for k in variables)
    expected = " ".join(v if v else f"${{{k}}}" for k, v in variables.items())
    assert probe.substitute(text, variables) == expected
