"""The two core suites on a real directory: a world-readable key and a hardcoded sk- key."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest

from pytest_readiness.plumbing import tree
from pytest_readiness.probes.code import secrets as secret_probe
from pytest_readiness.probes.hosts import files as file_modes

PRIVATE_KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC" + "x" * 4


@pytest.fixture
def leaky(pytester: pytest.Pytester) -> tuple[pytest.Pytester, str]:
    key = "sk-" + secrets.token_urlsafe(32)
    (pytester.path / "signing.key").write_text(
        f"-----BEGIN PRIVATE KEY-----\n{PRIVATE_KEY_BODY}\n-----END PRIVATE KEY-----\n")
    os.chmod(pytester.path / "signing.key", 0o644)
    (pytester.path / "app.py").write_text(f'OPENAI_KEY = "{key}"\n')
    (pytester.path / "README.md").write_text("Set OPENAI_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxx\n")
    return pytester, key


def test_both_flaws_fail_as_security_with_paths(leaky: tuple[pytest.Pytester, str]) -> None:
    pytester, key = leaky
    result = pytester.runpytest("--readiness", "--readiness-json", "out.json",
                                "--readiness-report", "out.md", "--junitxml", "junit.xml",
                                "--readiness-category", "security", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    record = json.loads((pytester.path / "out.json").read_text())
    failed = {c["id"]: c for c in record["checks"] if c["outcome"] == "fail"}
    assert set(failed) == {"files.secret-file-mode", "secrets.hardcoded"}
    assert all(c["category"] == "security" for c in failed.values())
    mode_findings = failed["files.secret-file-mode"]["evidence"]["findings"]
    assert [(f["file"], f["message"]) for f in mode_findings] == [
        ("signing.key", "mode 0644: readable by group and others")]
    secret_findings = failed["secrets.hardcoded"]["evidence"]["findings"]
    live = {(f["file"], f.get("line"), f["rule"]) for f in secret_findings if f["level"] == "error"}
    assert ("app.py", 1, "secrets.hardcoded:api-key") in live
    assert ("signing.key", 1, "secrets.hardcoded:private-key") in live
    assert not any(f["file"] == "README.md" for f in secret_findings)  # a placeholder in docs
    assert record["scorecard"]["verdict"] == "NOT READY"
    assert set(record["scorecard"]["blockers"]) == {"files.secret-file-mode[.]",
                                                     "secrets.hardcoded[.]"}
    assert "app.py:1" in result.stdout.str() and "signing.key" in result.stdout.str()


@pytest.mark.slow
@pytest.mark.parametrize("flags", [[], ["-q"], ["-vv"], ["-vv", "--showlocals", "--tb=long"],
                                   ["-l", "--tb=short"]], ids=["default", "q", "vv", "showlocals",
                                                              "l-short"])
def test_the_secret_appears_in_no_output(leaky: tuple[pytest.Pytester, str],
                                         flags: list[str]) -> None:
    pytester, key = leaky
    result = pytester.runpytest_subprocess(
        "--readiness", "--readiness-json", "out.json", "--readiness-report", "out.md",
        "--junitxml", "junit.xml", "-p", "no:cacheprovider", "-rA", *flags)
    outputs = {"stdout": result.stdout.str(), "stderr": result.stderr.str()}
    for name in ("out.json", "out.md", "junit.xml"):
        outputs[name] = (pytester.path / name).read_text()
    for name, text in outputs.items():
        assert key not in text, f"the key leaked into {name}"
        assert key[3:20] not in text, f"part of the key leaked into {name}"
        assert PRIVATE_KEY_BODY not in text, f"the private key leaked into {name}"
    assert "sk-" in outputs["out.json"]  # the redacted form is there: sk-…(46 chars)
    junit = outputs["junit.xml"]
    assert 'name="readiness.category" value="security"' in junit
    assert 'name="readiness.outcome" value="fail"' in junit


@pytest.mark.slow
def test_same_scorecard_under_xdist(leaky: tuple[pytest.Pytester, str]) -> None:
    pytester, _ = leaky
    out = pytester.path.parent  # outside the audited tree, so both runs see the same files
    pytester.runpytest_subprocess("--readiness", "-p", "no:xdist", "--readiness-json",
                                  str(out / "serial.json"))
    pytester.runpytest_subprocess("--readiness", "-n", "2", "--readiness-json",
                                  str(out / "parallel.json"))
    a, b = (json.loads((out / n).read_text()) for n in ("serial.json", "parallel.json"))
    assert a["scorecard"] == b["scorecard"]
    # Host checks measure (clock drift, latency): their evidence differs run to run;
    # what was checked and what came out must not. Code checks match to the byte.
    measured = ("duration_s", "evidence", "message")
    strip = [{k: v for k, v in c.items() if k not in measured} for c in a["checks"]]
    assert strip == [{k: v for k, v in c.items() if k not in measured} for c in b["checks"]]
    code = [[c for c in r["checks"] if c["target"] == "."] for r in (a, b)]
    assert code[0] and code[0] == [dict(c, duration_s=x["duration_s"])
                                   for c, x in zip(code[1], code[0], strict=True)]


def _inventory(tmp_path: Path) -> tree.Inventory:
    return tree.inventory(tmp_path)


def test_permissions_probe(tmp_path: Path) -> None:
    files = {"id_rsa": 0o640, "id_rsa.pub": 0o644, ".env": 0o604, ".env.example": 0o644,
             "cert.pem": 0o644, "key.pem": 0o600, "loose.pem": 0o644, "shared.txt": 0o666,
             "ok.key": 0o600}
    for name, mode in files.items():
        body = "-----BEGIN CERTIFICATE-----\n" if name == "cert.pem" else \
            "-----BEGIN RSA PRIVATE KEY-----\n"
        (tmp_path / name).write_text(body)
        os.chmod(tmp_path / name, mode)
    inv = _inventory(tmp_path)
    loose = {p.file: (p.mode, p.reason) for p in file_modes.loose_secret_files(inv)}
    assert loose == {"id_rsa": ("0640", "readable by group"),
                     ".env": ("0604", "readable by others"),
                     "loose.pem": ("0644", "readable by group and others")}
    assert [p.file for p in file_modes.world_writable(inv)] == ["shared.txt"]


@pytest.mark.parametrize(("line", "rule"), [
    ('KEY = "sk-{r}"', "api-key"),
    ('aws = "AKIA{R16}"', "aws-access-key"),
    ('token = "ghp_{r36}"', "github-token"),
    ('DATABASE_URL = "postgresql://app:{r}@db:5432/app"', "dsn-password"),
    ('password = "{r}"', "hardcoded-password"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----", "private-key"),
])
def test_secret_rules_find_real_values(line: str, rule: str) -> None:
    r = secrets.token_urlsafe(24)
    text = line.format(r=r, R16="".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ234567")
                                          for _ in range(16)),
                       r36=secrets.token_hex(18))
    found = list(secret_probe.scan_text(text, "src/app.py"))
    assert [f.rule for f in found] == [rule]
    assert found[0].live and found[0].line == 1
    assert r not in found[0].snippet and r not in found[0].redacted


@pytest.mark.parametrize("line", [
    'KEY = "sk-xxxxxxxxxxxxxxxxxxxxxxxxxx"',
    'password = "<REDACTED>"',
    'password = "${DB_PASSWORD}"',
    'password = "changeme-please"',
    'DATABASE_URL = "postgresql://app:${DB_PASSWORD}@db/app"',
    'password = os.environ["DB_PASSWORD"]',
    'secret = "SECRET_KEY_NAME"',
    'password = settings.db_password',
    'token = "aaaaaaaaaaaaaaaa"',
    'aws = "AKIAIOSFODNN7EXAMPLE"',
])
def test_placeholders_are_not_findings(line: str) -> None:
    assert list(secret_probe.scan_text(line, "src/app.py")) == []


def test_docs_and_tests_are_not_live() -> None:
    key = "sk-" + secrets.token_urlsafe(30)
    assert [f.context for f in secret_probe.scan_text(f"use {key}", "docs/setup.md")] == ["docs"]
    assert [f.live for f in secret_probe.scan_text(f'K="{key}"', "tests/test_x.py")] == [False]
    assert [f.live for f in secret_probe.scan_text(f'K="{key}"', "app/main.py")] == [True]


def test_configured_files_on_the_local_host(pytester: pytest.Pytester, tmp_path: Path) -> None:
    good, loose = tmp_path / "good.key", tmp_path / "loose.key"
    for path in (good, loose):
        path.write_text("k")
    os.chmod(good, 0o600)
    os.chmod(loose, 0o644)
    pytester.makefile(".yaml", readiness=f"""
hosts: [{{name: local, connection: "local://"}}]
files:
  - {{path: {good}, mode: "0600", owner: root}}
  - {{path: {loose}, mode: "0600"}}
  - {{path: {tmp_path / 'missing'}, mode: "0600"}}
  - {{path: {tmp_path / 'gone'}, exists: false}}
""")
    pytester.runpytest("--readiness", "--readiness-check", "files.configured",
                       "--readiness-json", "out.json", "-p", "no:cacheprovider")
    checks = json.loads((pytester.path / "out.json").read_text())["checks"]
    by_target = {c["target"]: c for c in checks}
    assert by_target[f"local:{good}"]["outcome"] == "pass"
    assert by_target[f"local:{good}"]["evidence"]["mode"] == "0600"
    assert by_target[f"local:{loose}"]["outcome"] == "fail"
    assert "mode is 0644, expected 0600" in by_target[f"local:{loose}"]["message"]
    assert by_target[f"local:{tmp_path / 'missing'}"]["outcome"] == "fail"
    assert by_target[f"local:{tmp_path / 'gone'}"]["outcome"] == "pass"
