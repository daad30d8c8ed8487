"""Never leak: one planted set of secrets, every place a secret can enter, every output.

Secrets enter through the scanned code, readiness.yaml (a DSN password written
literally), the environment (a password given as ${VAR}), and the answers of a
target (an HTTP server that sends a token in a header and in its error body).
The whole audit runs once with every output switched on, at the most talkative
settings pytest has; none of the planted values may appear in any of them.
"""

from __future__ import annotations

import base64
import json
import secrets

import pytest

from tests.servers.http import Route, http_server


def _token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(24).replace("-", "A").replace("_", "b")


@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    body = base64.urlsafe_b64encode(json.dumps({"sub": _token()}).encode()).decode().rstrip("=")
    values = {
        "api_key": _token("sk-live-"),
        "code_password": _token("Pw1"),
        "config_dsn_password": _token("Dsn1"),
        "env_password": _token("Env1"),
        "response_token": _token("Resp1"),
        "jwt": f"{header}.{body}.{_token()}",
        "pem_body": base64.b64encode(secrets.token_bytes(48)).decode(),
    }
    monkeypatch.setenv("LEAK_DB_PASSWORD", values["env_password"])
    return values


@pytest.mark.slow
def test_no_planted_secret_reaches_any_output(pytester: pytest.Pytester,
                                              planted: dict[str, str]) -> None:
    code = pytester.path / "code"
    (code / "app").mkdir(parents=True)
    (code / "app" / "settings.py").write_text(
        "import os\n"
        f'API_KEY = "{planted["api_key"]}"\n'
        f'DB_PASSWORD = os.getenv("DB_PASSWORD", "{planted["code_password"]}")\n'
        f'TOKEN = "{planted["jwt"]}"\n'
        "import requests\n"
        "def call():\n"
        '    return requests.get("https://x", verify=False, '
        f'auth=("u", "{planted["code_password"]}"))\n')
    (code / "deploy.pem").write_text(
        f"-----BEGIN RSA PRIVATE KEY-----\n{planted['pem_body']}\n-----END RSA PRIVATE KEY-----\n")
    (code / ".env").write_text(f"API_KEY={planted['api_key']}\n")
    leaky = http_server({
        "*": Route(headers={"X-Debug-Token": planted["response_token"],
                            "Set-Cookie": f"session={planted['response_token']}"}),
        "/health": Route(503, headers={"X-Debug-Token": planted["response_token"]},
                         body=f"db down: token={planted['response_token']} "
                              f"dsn=postgresql://app:{planted['env_password']}@db/app".encode()),
    })
    try:
        pytester.makefile(".yaml", readiness=(
            "system: leaky\n"
            "codebases:\n  - {path: code}\n"
            "endpoints:\n"
            f"  - {{name: web, url: '{leaky.url()}', health: /health, metrics: /health, "
            "timeout: 3, latency: {samples: 2, concurrency: 1}}\n"
            "databases:\n"
            f"  - {{name: literal, dsn: 'postgresql://app:{planted['config_dsn_password']}"
            "@127.0.0.1:1/app', timeout: 2}\n"
            "  - {name: fromenv, dsn: 'postgresql://app:${LEAK_DB_PASSWORD}@127.0.0.1:1/app', "
            "timeout: 2}\n"))
        outputs = {"json": "out.json", "markdown": "out.md", "html": "out.html",
                   "sarif": "out.sarif", "junit": "junit.xml", "pytest-html": "ph.html",
                   "log-file": "pytest.log", "prometheus": "out.prom"}
        result = pytester.runpytest_subprocess(
            "--readiness", "-p", "no:cacheprovider", "-vv", "--showlocals", "-l", "--tb=long",
            "-rA", "--log-level=DEBUG", "--log-file", "pytest.log", "--log-file-level=DEBUG",
            "--readiness-json", "out.json", "--readiness-report", "out.md",
            "--readiness-html", "out.html", "--readiness-sarif", "out.sarif",
            "--readiness-prometheus", "out.prom", "--junitxml", "junit.xml",
            "--html", "ph.html", "--self-contained-html",
            "--readiness-suite", "secrets,auth,file_permissions,http_headers,health,databases,"
                                 "audit_config",
            timeout=300)
    finally:
        leaky.stop()
    texts = {"stdout": result.stdout.str(), "stderr": result.stderr.str()}
    texts.update({name: (pytester.path / path).read_text(encoding="utf-8", errors="replace")
                  for name, path in outputs.items()})
    record = json.loads(texts["json"])
    outcomes = {(c["id"], c["target"]): c["outcome"] for c in record["checks"]}
    # The audit did meet every planted secret (so "not shown" means redacted, not unseen) ...
    assert outcomes[("secrets.hardcoded", "code")] == "fail"
    assert outcomes[("secrets.env-committed", "code")] == "fail"
    assert outcomes[("audit.config-literal-secrets", "readiness.yaml")] == "warn"
    assert outcomes[("health.endpoint", "web")] == "fail"
    assert outcomes[("db.reachable", "literal")] == "error"
    assert outcomes[("db.reachable", "fromenv")] == "error"
    # ... and no output holds any of them, nor a long piece of one.
    for where, text in texts.items():
        for name, value in planted.items():
            assert value not in text, f"{name} leaked into {where}"
            assert value[4:20] not in text, f"part of {name} leaked into {where}"


def test_a_readiness_yaml_cannot_copy_a_ci_secret_into_the_reports(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A readiness.yaml from a pull request puts a credential-named variable of the CI
    environment into names and a URL (no secret shape: only the name says it). The
    audit stops before anything runs (exit 4), naming the key, never the value."""
    token = _token("Ci1")
    monkeypatch.setenv("LEAK_CI_TOKEN", token)
    (pytester.path / "app.py").write_text("x = 1\n")
    for yaml_text in ("system: leaky${LEAK_CI_TOKEN}\n",
                      "system: s\nendpoints:\n  - {name: 'ci${LEAK_CI_TOKEN}', "
                      "url: 'http://127.0.0.1:1/'}\n",
                      "system: s\nendpoints:\n  - {name: ci, "
                      "url: 'http://127.0.0.1:1/?t=${LEAK_CI_TOKEN}'}\n"):
        pytester.makefile(".yaml", readiness=yaml_text)
        result = pytester.runpytest_subprocess("--readiness", "-p", "no:cacheprovider", "-vv",
                                               "--readiness-json", "out.json", timeout=120)
        output = result.stdout.str() + result.stderr.str()
        assert result.ret == 4, output[-2000:]
        assert "${LEAK_CI_TOKEN} names a credential" in output
        assert token not in output and token[4:20] not in output
        assert not (pytester.path / "out.json").exists()
