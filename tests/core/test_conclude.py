"""``readiness.conclude``: the one place where the level of the findings a check keeps
decides its outcome; rule ids in the check-id namespace; old rule names still silence."""

from __future__ import annotations

import json

import pytest

from pytest_readiness.plumbing import suppress
from pytest_readiness.plumbing.findings import Finding, qualify

CHECKS = '''
import pytest
from pytest_readiness import Finding, Level, Recorder

pytestmark = pytest.mark.readiness(section="Mine", category="security")

def _found(level):
    return [Finding("", "service a is bad", "app.py", 1, level=level),
            Finding("verify-off", "verify=False", "app.py", 2, level=level)]

@pytest.mark.readiness(id="mine.errors", rules=["verify-off"])
def test_errors(codebase, readiness: Recorder) -> None:
    readiness.conclude(_found(Level.ERROR), "bad thing(s)")

@pytest.mark.readiness(id="mine.warnings", rules=["verify-off"])
def test_warnings(codebase, readiness: Recorder) -> None:
    readiness.conclude(_found(Level.WARNING), "bad thing(s)")

@pytest.mark.readiness(id="mine.notes", rules=["verify-off"])
def test_notes(codebase, readiness: Recorder) -> None:
    readiness.conclude(_found(Level.NOTE), "bad thing(s)")

@pytest.mark.readiness(id="auth.tls-verification", rules=["verify-off"])
def test_old_name(codebase, readiness: Recorder) -> None:
    readiness.conclude([Finding("verify-off", "verify=False", "app.py", 3)], "place(s)")
'''


@pytest.fixture
def record(pytester: pytest.Pytester) -> dict:
    pytester.makefile(".yaml", readiness="system: t\ncodebases: [{path: code}]\nchecks: [checks]\n")
    (pytester.path / "checks").mkdir()
    (pytester.path / "checks" / "test_mine.py").write_text(CHECKS)
    (pytester.path / "code").mkdir()
    (pytester.path / "code" / "app.py").write_text(
        "a = 1\n"
        "get(verify=False)  # readiness: ignore[mine.notes] a check id silences all its rules\n"
        "get(verify=False)  # readiness: ignore[tls.verify-off] the old name still works\n")
    pytester.runpytest("--readiness", "--readiness-suite", "mine,auth", "--readiness-json",
                       "out.json", "-p", "no:cacheprovider")
    data = json.loads((pytester.path / "out.json").read_text())
    return {c["id"]: c for c in data["checks"] if c["id"].startswith(("mine.", "auth.tls"))}


def test_the_worst_level_kept_decides(record: dict) -> None:
    errors, warnings, notes = record["mine.errors"], record["mine.warnings"], record["mine.notes"]
    assert errors["outcome"] == "fail"
    assert errors["message"] == ("2 bad thing(s): app.py:1 service a is bad; "
                                 "app.py:2 verify=False")
    assert warnings["outcome"] == "warn"
    assert warnings["message"].startswith("2 bad thing(s) (warning): app.py:1")
    assert notes["outcome"] == "pass"
    assert [f["rule"] for f in notes["evidence"]["findings"]] == ["mine.notes"]


def test_rule_ids_are_check_ids_and_snippets_come_from_the_lines(record: dict) -> None:
    rules = [(f["rule"], f.get("snippet")) for f in record["mine.errors"]["evidence"]["findings"]]
    assert rules == [("mine.errors", "a = 1"), ("mine.errors:verify-off",
                                                "get(verify=False)  # readiness: ignore[mine."
                                                "notes] a check id silences all its rules")]
    (silenced,) = record["mine.notes"]["evidence"]["suppressed"]
    assert silenced["rule"] == "mine.notes:verify-off" and silenced["by"] == "inline"


def test_an_old_rule_name_silences_with_a_deprecation_note(record: dict) -> None:
    check = record["auth.tls-verification"]
    assert check["outcome"] == "pass"
    assert check["evidence"]["suppressed"][0]["rule"] == "auth.tls-verification:verify-off"
    (note,) = check["evidence"]["deprecated_rule_names"]
    assert "tls.verify-off" in note and "auth.tls-verification:verify-off" in note


def test_qualify_and_expand() -> None:
    assert qualify(Finding("", "m"), "x.y").rule == "x.y"
    assert qualify(Finding("r", "m"), "x.y").rule == "x.y:r"
    assert qualify(Finding("x.y:r", "m"), "x.y").rule == "x.y:r"
    patterns, note = suppress.expand("secret.*")
    assert "secrets.hardcoded:api-key" in patterns and note is not None
    assert suppress.expand("compose.*")[1] is None  # new ids match it: nothing deprecated
    assert suppress.expand("*")[1] is None
    assert suppress.rule_matches(["secrets.hardcoded"], "secrets.hardcoded:api-key")
    assert not suppress.rule_matches(["secrets.hardcoded:jwt"], "secrets.hardcoded:api-key")
