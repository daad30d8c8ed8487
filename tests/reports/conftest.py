"""Reports, gates, sharding and init: hand-built records and a small pytester project.

The pytester project's checks read their outcome from an environment variable,
so one project can be audited "before" and "after" a fix (baselines, gates).
Hostile strings imitate what a target may send back: markup that must show as
text and never run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.results import CheckResult, Record, build_record
from pytest_readiness.scoring import Policy

SCRIPT_PAYLOAD = "<script>document.title='pwned-script'</script>"
IMG_PAYLOAD = "<img src=x onerror=\"document.title='pwned-img'\">"
HUGE = "A" * 50_000

CHECKS = '''
import os
import pytest

pytestmark = pytest.mark.readiness(section="Demo", category="security")

def _outcome(name, default):
    return os.environ.get("DEMO_" + name.upper(), default)

@pytest.mark.readiness(id="demo.crit", severity="critical", fix="fix the critical thing")
def test_crit(readiness):
    """Critical control in place."""
    readiness.evidence(banner=os.environ.get("DEMO_BANNER", "ok"))
    assert _outcome("crit", "pass") == "pass", "critical control missing"

@pytest.mark.readiness(id="demo.high", severity="high", category="resilience", fix="add retries")
def test_high(readiness):
    """Retries configured."""
    assert _outcome("high", "pass") == "pass", "no retries"

@pytest.mark.readiness(id="demo.low", severity="low", category="operations", fix="tidy up")
def test_low(readiness):
    """Tidy."""
    readiness.finding("demo.rule", "untidy line", file="app/main.py", line=7,
                      snippet="x = 1", level="warning")
    assert _outcome("low", "fail") == "pass", "untidy"

@pytest.mark.readiness(id="demo.warned", severity="medium", category="monitoring")
def test_warned(readiness):
    """Borderline."""
    readiness.warn("expires in 25 days")

@pytest.mark.readiness(id="demo.hosts", severity="medium", category="deployment")
@pytest.mark.parametrize("box", ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"])
def test_per_box(box, readiness):
    """One per box."""
    assert box != _outcome("bad_box", "none"), f"{box} is bad"
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    # a handful of demo checks, one per category: score each category that has one
    # (the insufficient-evidence threshold is tested in tests/core/test_scoring.py)
    pytester.makefile(".yaml", readiness="system: Demo system\nchecks: [checks]\n"
                                         "scoring: {min_checks: 0}\n")
    pytester.mkdir("checks")
    (pytester.path / "checks" / "test_demo.py").write_text(CHECKS)
    return pytester


def run_audit(pytester: pytest.Pytester, *args: str, json_name: str = "out.json",
              subprocess: bool = False) -> tuple[pytest.RunResult, dict[str, Any]]:
    argv = ("--readiness", "--readiness-suite", "demo", "--readiness-json", json_name,
            "-p", "no:cacheprovider", *args)
    result = pytester.runpytest_subprocess(*argv) if subprocess else pytester.runpytest(*argv)
    path = pytester.path / json_name
    record = json.loads(path.read_text()) if path.exists() else {}
    return result, record


def check(id: str, outcome: str, *, severity: str = "high", category: str = "security",
          target: str | None = None, evidence: dict[str, Any] | None = None,
          message: str = "", waiver: dict[str, Any] | None = None) -> CheckResult:
    return CheckResult(
        nodeid=f"suites/test_x.py::test_{id.replace('.', '_')}" + (f"[{target}]" if target else ""),
        id=id,
        title=f"Title of {id}", section="Section " + category, suite="x", category=category,
        severity=severity, outcome=outcome, target=target, message=message,
        evidence=evidence or {}, fix=f"fix {id}", waiver=waiver)


def make_record(checks: list[CheckResult], system: str = "Hand-built system") -> Record:
    return build_record(system, checks, Policy(min_checks=0), started="2025-01-01T00:00:00+00:00",
                        finished="2025-01-01T00:01:00+00:00", duration_s=60.0,
                        hosts=["web1", "db1"])


def hostile_record() -> Record:
    """A record whose targets sent back markup, and one giant value."""
    return make_record([
        check("tls.expiry", "fail", severity="critical", target="api",
              message=f"issuer {SCRIPT_PAYLOAD}", evidence={"issuer": SCRIPT_PAYLOAD}),
        check("http.headers", "warn", severity="medium", target="web1",
              evidence={"server": IMG_PAYLOAD, "body": HUGE}),
        check("db.pool", "pass", severity="high", category="resilience", target="db1",
              evidence={"pool": {"size": 5, "overflow": 10}}),
        check("code.secrets", "fail", severity="high", target=".", evidence={"findings": [
            {"rule": "secret.api-key", "message": "API key sk-a…(40 chars)", "file": "app.py",
             "line": 3, "snippet": "KEY = 'sk-a…(40 chars)'", "level": "error"},
            {"rule": "secret.env-file", "message": ".env committed", "file": ".env"},
            {"rule": "no-file", "message": "not locatable"}]}),
        check("ops.backup", "skip", severity="low", category="operations", target="db1",
              message="not applicable"),
        check("ops.runbook", "waived", severity="low", category="operations",
              waiver={"reason": "written next sprint", "owner": "ops", "expires": "2030-01-01",
                      "real_outcome": "fail"}),
    ])


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path
