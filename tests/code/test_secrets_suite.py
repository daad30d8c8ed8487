"""The secrets suite through the plugin: outcomes, suppressions, and no secret in any output."""

from __future__ import annotations

import base64
import json
import secrets as _secrets

import pytest

from pytest_readiness import plugin
from tests.code.conftest import planted_key, planted_password


def test_clean_tree_passes_and_near_misses_stay_quiet(run_suite) -> None:
    run = run_suite("secrets", {
        "app/settings.py": '''
            """Settings. Example: API_KEY = "sk-xxxxxxxxxxxxxxxxxxxxxxxx"."""
            import os
            DB_PASSWORD = os.getenv("DB_PASSWORD")
            API_KEY = os.environ["API_KEY"]
            ''',
        ".env.example": "DB_PASSWORD=changeme-later\nAPI_KEY=<api key>\n",
    })
    assert run.outcome("secrets.hardcoded") == "pass"
    # no .env in the tree (a template is not one): nothing to judge, not a pass
    assert run.outcome("secrets.env-committed") == "skip"
    assert run.outcome("secrets.template-values") == "pass"
    assert run.outcome("secrets.config-keys") == "skip"


def test_live_secret_fails_test_fixture_is_a_note(run_suite) -> None:
    run = run_suite("secrets", {
        "app/db.py": f'import os\nPW = os.getenv("DB_PASSWORD", "{planted_password()}")\n',
        "tests/test_db.py": f'KEY = "{planted_key()}"\n',
    })
    check = run.check("secrets.hardcoded")
    assert check["outcome"] == "fail"
    assert run.rules("secrets.hardcoded") == ["secrets.hardcoded:fallback-default"]
    assert run.rules("secrets.hardcoded", "note") == ["secrets.hardcoded:api-key"]
    assert check["evidence"]["findings_by_level"] == {"error": 1, "warning": 0, "note": 1}
    finding = run.findings("secrets.hardcoded")[0]
    assert (finding["file"], finding["line"]) == ("app/db.py", 2)


def test_inline_and_config_suppressions_are_reported(run_suite) -> None:
    run = run_suite("secrets", {
        "app/a.py": f'KEY = "{planted_key()}"  '
                    '# readiness: ignore[secret.api-key] revoked test key\n',
        "app/b.py": '# readiness: ignore[secrets.hardcoded] rotated weekly\n'
                    f'KEY = "{planted_key()}"\n',
        "vendor/c.py": f'KEY = "{planted_key()}"\n',
        "app/d.py": f'KEY = "{planted_key()}"  # readiness: ignore[secret.jwt] wrong rule\n',
    }, "{path: code, ignore: [{rule: 'secret.*', paths: ['vendor/*'], reason: 'third party'}]}")
    check = run.check("secrets.hardcoded")
    assert check["outcome"] == "fail"
    assert [f["file"] for f in run.findings("secrets.hardcoded")] == ["app/d.py"]
    suppressed = {(s["file"], s["by"], s["reason"]) for s in check["evidence"]["suppressed"]}
    assert suppressed == {("app/a.py", "inline", "revoked test key"),
                          ("app/b.py", "inline", "rotated weekly"),
                          ("vendor/c.py", "config", "third party")}


def test_env_file_and_template_and_config_keys_fail(run_suite, pytester) -> None:
    run = run_suite("secrets", {
        ".env": f"DB_PASSWORD={planted_password()}\n",
        ".env.example": f"DB_PASSWORD={planted_password()}\n",
        "deploy/agent.yaml": "site_id: 3\napi_key: ''\n",
    }, "{path: code, config_files: [{path: deploy/agent.yaml, "
       "required_keys: [site_id, api_key, api_endpoint], mode: '0600'}]}")
    assert run.outcome("secrets.env-committed") == "fail"
    assert run.check("secrets.env-committed")["evidence"]["env_files"] == [
        {"file": ".env", "tracked": None, "keys": 1, "credentials": 1}]
    assert run.outcome("secrets.template-values") == "fail"
    check = run.check("secrets.config-keys")
    assert check["outcome"] == "fail"
    assert "'api_endpoint' is missing" in check["message"]
    assert check["evidence"]["config_files"][0]["missing"] == ["api_endpoint"]


def _planted_tree() -> tuple[dict[str, str], list[str]]:
    key, pw, aws = planted_key(), planted_password(), "AKIA" + _secrets.token_hex(8).upper()
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256"}).encode()).decode().rstrip("=")
    body = base64.urlsafe_b64encode(json.dumps({"sub": pw}).encode()).decode().rstrip("=")
    jwt = f"{header}.{body}.{_secrets.token_urlsafe(32)}"
    dsn_pw = planted_password()
    admin_pw, jwt_key = planted_password(), planted_password()
    pem_body = base64.b64encode(_secrets.token_bytes(48)).decode()
    files = {
        "app/config.py": f'''
            import os
            import requests
            API_KEY = "{key}"
            DB_PASSWORD = os.getenv("DB_PASSWORD", "{pw}")
            DSN = "postgresql://app:{dsn_pw}@db:5432/app"
            AWS = "{aws}"
            TOKEN = "{jwt}"
            def call():
                return requests.get("https://x", verify=False, auth=("u", "{pw}"))
            ''',
        "app/auth.py": f'''
            import jwt
            ADMIN_PASSWORD = "{admin_pw}"
            def login():
                create_user("admin", "{admin_pw}")
                return jwt.encode({{"sub": 1}}, "{jwt_key}", algorithm="HS256")
            ''',
        "keys/id.pem": f"-----BEGIN RSA PRIVATE KEY-----\n{pem_body}\n"
                       "-----END RSA PRIVATE KEY-----\n",
        ".env": f"API_KEY={key}\n",
        ".env.example": f"DB_PASSWORD={pw}\n",
    }
    return files, [key, pw, aws, jwt, dsn_pw, pem_body, body, admin_pw, jwt_key]


def test_no_output_format_contains_a_planted_secret(run_suite, pytester) -> None:
    files, planted = _planted_tree()
    options = {o[0] for o in plugin.OPTIONS}
    extra = ["--junitxml", "junit.xml", "--readiness-report", "report.md", "-vv",
             "--showlocals", "-rA"]
    outputs = ["out.json", "junit.xml", "report.md"]
    for flag, name in (("--readiness-sarif", "out.sarif"), ("--readiness-html", "report.html")):
        if flag in options:
            extra += [flag, name]
            outputs.append(name)
    run = run_suite("secrets,auth,async,resilience,pools", files,
                    "{path: code}", *extra)
    assert run.outcome("secrets.hardcoded") == "fail"
    assert len(run.findings("secrets.hardcoded")) >= 5
    for check_id in ("auth.jwt-secret-strength", "auth.default-admin", "auth.tls-verification"):
        assert run.outcome(check_id) == "fail", check_id
    texts = {"terminal": "\n".join(run.result.outlines + run.result.errlines)}
    texts.update({name: (pytester.path / name).read_text(encoding="utf-8") for name in outputs})
    assert "chars" in texts["out.json"] and "chars" in texts["report.md"]
    for where, text in texts.items():
        for value in planted:
            assert value not in text, f"a planted secret leaked into {where}"


@pytest.mark.parametrize("extra", [(), ("-q",)])
def test_terminal_default_verbosity_has_no_secret(run_suite, extra) -> None:
    files, planted = _planted_tree()
    run = run_suite("secrets", files, "{path: code}", *extra)
    text = "\n".join(run.result.outlines + run.result.errlines)
    assert "secrets.hardcoded" in text or "FAILED" in text or "F" in text
    assert not any(value in text for value in planted)
