"""Credentials in readiness.yaml and relaxed host-key checking are warnings."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.plumbing.redact import is_placeholder
from pytest_readiness.probes.deployment.audit import literal_secrets

PASSWORD = "Zq8-vLr2pWx7mN4k"


def test_literal_dsn_password_and_token_found_with_lines() -> None:
    text = (f"system: s\ndatabases:\n  - name: main\n    dsn: postgresql://app:{PASSWORD}@db/app\n"
            "  - name: env\n    dsn: postgresql://app:${DB_PASSWORD}@db/app\n"
            "endpoints:\n  - name: api\n    url: https://api.example.com\n")
    found = literal_secrets(text)
    assert [(f.key, f.line) for f in found] == [("databases[0].dsn", 4)]
    assert PASSWORD not in repr(found)


@pytest.mark.parametrize("value", ["${TOKEN}", "changeme", "<REDACTED>", "", "https://x.example/a"])
def test_references_and_placeholders_are_not_literal(value: str) -> None:
    assert literal_secrets(f"system: s\nextra:\n  api_token: '{value}'\n") == []


@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126,
                                      blacklist_characters="'\"\\{}$#:"), min_size=12, max_size=40))
def test_any_real_looking_password_value_is_found_and_never_shown(value: str) -> None:
    found = literal_secrets(f"system: s\nx:\n  password: '{value}'\n")
    for f in found:
        assert value not in f.shown
    assert [f.key for f in found] == ([] if is_placeholder(value) else ["x.password"])


@given(st.text(max_size=200))
def test_any_text_gives_a_list(text: str) -> None:
    assert isinstance(literal_secrets(text), list)


def test_suite_warns_with_redacted_value(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", readiness=(
        "system: s\n"
        f"databases:\n  - name: main\n    dsn: postgresql://app:{PASSWORD}@127.0.0.1:1/app\n"
        "hosts:\n  - {name: here, connection: 'local://'}\n"))
    result = pytester.runpytest("--readiness", "--readiness-suite", "audit",
                                "--readiness-json", "out.json", "-p", "no:cacheprovider", "-vv")
    text = (pytester.path / "out.json").read_text()
    record = json.loads(text)
    outcomes = {(c["id"], c["target"]): c["outcome"] for c in record["checks"]}
    assert outcomes == {("audit.config-literal-secrets", "readiness.yaml"): "warn"}
    secret_check = next(c for c in record["checks"] if c["id"] == "audit.config-literal-secrets")
    assert secret_check["evidence"]["findings"][0]["line"] == 4
    assert PASSWORD not in text and PASSWORD not in result.stdout.str()
