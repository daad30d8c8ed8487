"""Plugin behaviour end to end, with pytester: outcomes, selection, record, gates, xdist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CHECKS = '''
import pytest
import pytest_readiness

pytestmark = pytest.mark.readiness(section="Mine", category="resilience", severity="high")

@pytest.mark.readiness(id="mine.ok", fix="nothing")
def test_ok(readiness):
    """Everything is fine."""
    readiness.evidence(answer=42)

@pytest.mark.readiness(id="mine.warned", severity="medium")
def test_warned(readiness):
    """Something is borderline."""
    readiness.evidence(days_left=25)
    readiness.warn("expires in 25 days")

@pytest.mark.readiness(id="mine.warned-plain", severity="low")
def test_warned_plain():
    pytest_readiness.warn("no fixture needed")

@pytest.mark.readiness(id="mine.failed", category="security", fix="fix it")
def test_failed(readiness):
    """A broken thing."""
    assert 1 + 1 == 3, "arithmetic is broken"

@pytest.mark.readiness(id="mine.errored", severity="critical")
def test_errored():
    """Could not run."""
    raise ConnectionRefusedError("target 127.0.0.1:9 refused")

@pytest.mark.readiness(id="mine.na")
def test_not_applicable():
    pytest.skip("not applicable: nothing to check")
'''
PLAIN = 'def test_unmarked():\n    pass\n'


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    # min_checks 1: these few checks are scored (insufficient evidence: test_scoring.py)
    pytester.makefile(".yaml", readiness="system: Test system\nchecks: [checks]\n"
                                         "scoring: {min_checks: 1}\n")
    pytester.mkdir("checks")
    (pytester.path / "checks" / "test_mine.py").write_text(CHECKS)
    (pytester.path / "checks" / "test_plain.py").write_text(PLAIN)
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict]:
    result = pytester.runpytest("--readiness", "--readiness-suite", "mine",
                                "--readiness-json", "out.json", "-p", "no:cacheprovider", *args)
    record = json.loads((pytester.path / "out.json").read_text())
    return result, record


def outcomes(record: dict) -> dict[str, str]:
    return {c["id"]: c["outcome"] for c in record["checks"]}


def test_outcomes_and_record(project: pytest.Pytester) -> None:
    result, record = run(project, "-v")
    assert outcomes(record) == {
        "mine.ok": "pass", "mine.warned": "warn", "mine.warned-plain": "warn",
        "mine.failed": "fail", "mine.errored": "error", "mine.na": "skip"}
    checks = {c["id"]: c for c in record["checks"]}
    assert checks["mine.ok"]["evidence"] == {"answer": 42}
    assert checks["mine.ok"]["title"] == "Everything is fine."
    assert checks["mine.ok"]["section"] == "Mine"
    assert checks["mine.failed"]["category"] == "security"  # function overrides module
    assert checks["mine.warned"]["severity"] == "medium"
    assert checks["mine.ok"]["severity"] == "high"  # module default
    assert checks["mine.warned"]["message"] == "expires in 25 days"
    assert checks["mine.warned"]["evidence"] == {"days_left": 25}
    assert "arithmetic is broken" in checks["mine.failed"]["message"]
    assert "ConnectionRefusedError" in checks["mine.errored"]["message"]
    assert checks["mine.na"]["message"] == "not applicable: nothing to check"
    assert record["schema"] == "pytest-readiness/1"
    assert record["system"] == "Test system"
    assert record["scorecard"]["verdict"] == "NOT READY"
    assert record["scorecard"]["blockers"] == ["mine.errored"]
    for key in ("started", "finished", "duration_s", "hosts", "versions", "checks", "scorecard"):
        assert key in record
    # Warn is a first-class outcome in the terminal, and does not fail the run.
    result.stdout.fnmatch_lines(["*2 warn*"])
    result.stdout.fnmatch_lines(["*test_warned WARN*"])
    result.stdout.fnmatch_lines(["*readiness scorecard*", "*resilience*", "*VERDICT: NOT READY*",
                                 "*blockers: mine.errored*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "test_unmarked" not in result.stdout.str()  # not a check: deselected


def test_warn_letter_and_exit_zero_for_warnings_only(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_w='''
import pytest
pytestmark = pytest.mark.readiness(section="W", category="operations")
@pytest.mark.readiness(id="w.one", severity="low")
def test_one(readiness):
    readiness.warn("meh")
@pytest.mark.readiness(id="w.two", severity="info")
def test_two():
    pass
''')
    pytester.makefile(".yaml", readiness="scoring: {min_checks: 1}\n")
    result = pytester.runpytest("--readiness", "test_w.py", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["test_w.py W.*", "*1 passed, 1 warn*"])
    assert result.ret == 6  # warn 0.5 -> score 50: NOT READY is a failed gate
    result = pytester.runpytest("--readiness", "test_w.py", "-p", "no:cacheprovider",
                                "-o", "readiness_fail_under=0")
    assert result.ret == 6  # the verdict still gates


def test_inert_without_flag(project: pytest.Pytester) -> None:
    result = project.runpytest("checks", "-p", "no:cacheprovider")
    # Plain pytest semantics: no deselection, no scorecard; a warn() is an ordinary exception.
    outcome = result.parseoutcomes()
    assert outcome == {"passed": 2, "failed": 4, "skipped": 1}
    assert "readiness scorecard" not in result.stdout.str()
    assert not (project.path / "out.json").exists()


def test_inert_with_unrelated_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain(): assert True\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=1)
    assert "readiness scorecard" not in result.stdout.str()


def test_waivers_live_and_expired(project: pytest.Pytester) -> None:
    project.makefile(".yaml", readiness="""
system: Test system
checks: [checks]
scoring: {min_checks: 1}
waivers:
  - {check: mine.failed, reason: "accepted until the migration", owner: ops, expires: 2999-01-01}
  - {check: mine.errored, reason: "lab machine", expires: 2001-01-01}
""")
    result, record = run(project)
    checks = {c["id"]: c for c in record["checks"]}
    assert checks["mine.failed"]["outcome"] == "waived"
    assert checks["mine.failed"]["waiver"]["real_outcome"] == "fail"
    assert checks["mine.failed"]["waiver"]["owner"] == "ops"
    assert checks["mine.errored"]["outcome"] == "error"
    assert checks["mine.errored"]["waiver"]["expired"] is True
    result.stdout.fnmatch_lines(["*test_mine.py .WWVEs*"])


def test_selection_by_suite_category_and_check(project: pytest.Pytester) -> None:
    _, record = run(project, "--readiness-category", "security")
    assert outcomes(record) == {"mine.failed": "fail"}
    _, record = run(project, "--readiness-check", "mine.warned*")
    assert set(outcomes(record)) == {"mine.warned", "mine.warned-plain"}
    result, record = run(project, "--readiness-check", "mine.ok,mine.na")
    assert set(outcomes(record)) == {"mine.ok", "mine.na"}
    assert result.ret == 0


def test_list_prints_the_catalogue_and_runs_nothing(project: pytest.Pytester) -> None:
    result = project.runpytest("--readiness", "--readiness-list", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([
        "*readiness catalogue*",
        "mine.failed*Mine*security*high*A broken thing.",
        "mine.ok*Mine*resilience*high*Everything is fine.",
        "secrets.hardcoded*Secrets in Code*security*critical*",
    ])
    assert not {"passed", "failed", "errors", "skipped"} & set(result.parseoutcomes())
    assert "readiness scorecard" not in result.stdout.str()
    assert result.ret == 0


def test_bad_config_stops_before_collection(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", readiness="hosts: [{name: a, timeout: -1}]\n")
    result = pytester.runpytest("--readiness", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1, errors
    assert "readiness.yaml: hosts[0].timeout: timeout must be a positive number" in errors[0]
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_config_given_by_path_and_missing(pytester: pytest.Pytester) -> None:
    pytester.mkdir("conf")
    (pytester.path / "conf" / "audit.yaml").write_text("system: From path\n")
    result = pytester.runpytest("--readiness", "--readiness-config", "conf/audit.yaml",
                                "--readiness-suite", "secrets", "--readiness-json", "o.json")
    assert json.loads((pytester.path / "o.json").read_text())["system"] == "From path"
    result = pytester.runpytest("--readiness", "--readiness-config", "nope.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "nope.yaml: readiness config not found" in result.stderr.str()


def test_fail_under_gate_and_ini_twins(project: pytest.Pytester) -> None:
    project.makepyfile(test_fine='''
import pytest
@pytest.mark.readiness(id="fine.one", section="Fine", category="operations", severity="high")
def test_one(readiness):
    readiness.warn("half")
@pytest.mark.readiness(id="fine.two", section="Fine", category="operations", severity="high")
def test_two():
    pass
''')
    project.makeini("[pytest]\nreadiness = true\nreadiness_fail_under = 80\n"
                    "readiness_json = ini.json\n")
    result = project.runpytest("test_fine.py", "-p", "no:cacheprovider")
    record = json.loads((project.path / "ini.json").read_text())
    assert record["scorecard"]["overall"] == 75.0
    assert record["scorecard"]["verdict"] == "CONDITIONAL APPROVAL"
    assert result.ret == 6
    result.stdout.fnmatch_lines(["*fail-under 80: NOT met*"])
    result = project.runpytest("test_fine.py", "--readiness-fail-under", "70")
    assert result.ret == 0


def test_scorecard_hook(project: pytest.Pytester) -> None:
    # In a conftest.py of the checks directory: the audit loads no other (isolation.py).
    (project.path / "checks" / "conftest.py").write_text('''
def pytest_readiness_scorecard(scorecard, config):
    return scorecard.rescored(weights={"resilience": 0})
''')
    _, record = run(project, "--readiness-check", "mine.ok,mine.failed")
    cats = {c["name"]: c for c in record["scorecard"]["categories"]}
    assert cats["resilience"]["weight"] == 0
    assert record["scorecard"]["overall"] == 0.0  # only security (failed) counts now


def test_markdown_report(project: pytest.Pytester) -> None:
    run(project, "--readiness-report", "report.md")
    text = (project.path / "report.md").read_text()
    for heading in ("## Executive summary", "## Scorecard", "## Critical path",
                    "## Action items", "## Findings by section", "### Mine"):
        assert heading in text
    assert "**Verdict: NOT READY**" in text
    assert "| P0 | mine.errored |" in text
    assert "- [ ] **P1** A broken thing." in text
    assert "Re-run: `pytest --readiness --readiness-check 'mine.failed'`" in text


def test_rerun_command_reruns_exactly_one_check(project: pytest.Pytester) -> None:
    _, record = run(project, "--readiness-check", "mine.failed")
    assert outcomes(record) == {"mine.failed": "fail"}


def test_invalid_marker_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_bad='''
import pytest
@pytest.mark.readiness(id="bad.one", category="vibes")
def test_one(): pass
''')
    result = pytester.runpytest("--readiness", "test_bad.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "category 'vibes' is not one of" in result.stderr.str()


def test_custom_category_from_config(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", readiness="scoring: {weights: {privacy: 10}, min_checks: 1}\n")
    pytester.makepyfile(test_p='''
import pytest
@pytest.mark.readiness(id="p.one", section="P", category="privacy", severity="high")
def test_one(): pass
''')
    pytester.runpytest("--readiness", "test_p.py", "--readiness-json", "o.json")
    record = json.loads((pytester.path / "o.json").read_text())
    assert {c["name"]: c["score"] for c in record["scorecard"]["categories"]}["privacy"] == 100.0


def _scorecard(path: Path) -> tuple[dict, list]:
    record = json.loads(path.read_text())
    checks = sorted((c["id"], c["target"], c["outcome"], c["message"]) for c in record["checks"])
    return record["scorecard"], checks


@pytest.mark.slow
def test_xdist_gives_the_identical_scorecard(project: pytest.Pytester) -> None:
    serial = project.runpytest_subprocess("--readiness", "-p", "no:xdist", "--readiness-json",
                                          "serial.json", "-p", "no:cacheprovider")
    parallel = project.runpytest_subprocess("--readiness", "-n", "2", "--readiness-json",
                                            "parallel.json", "-p", "no:cacheprovider")
    assert serial.ret == parallel.ret == pytest.ExitCode.TESTS_FAILED
    parallel.stdout.fnmatch_lines(["*2 workers*", "*readiness scorecard*"])
    assert _scorecard(project.path / "serial.json") == _scorecard(project.path / "parallel.json")
    card, checks = _scorecard(project.path / "parallel.json")
    assert ("mine.warned", None, "warn", "expires in 25 days") in checks
    assert any(c[0] == "secrets.hardcoded" for c in checks)  # bundled suites ran on workers


@pytest.mark.parametrize("name", ["tls", "TLS Certificate"])
def test_suite_selection_imports_only_that_suite(pytester: pytest.Pytester, name: str) -> None:
    """--readiness-suite (by module or section title) leaves other bundled modules unread."""
    result = pytester.runpytest("--readiness", "--readiness-suite", name, "--collect-only", "-q",
                                "-p", "no:cacheprovider")
    collected = {line.split("::")[0].rsplit("/", 1)[-1] for line in result.outlines
                 if "::" in line}
    assert collected == {"test_tls.py"}, result.outlines[-5:]
    # Nothing was collected only to be deselected: the other modules were never read.
    assert "deselected" not in result.outlines[-1], result.outlines[-1]
