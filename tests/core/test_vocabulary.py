"""One vocabulary: outcome and level words are written only in vocabulary.py."""

from __future__ import annotations

import io
import json
import tokenize
from pathlib import Path

import pytest

from pytest_readiness import vocabulary
from pytest_readiness.vocabulary import LEVELS, OUTCOMES, Level, Outcome, Severity, Verdict

REPO = Path(__file__).resolve().parents[2]
WORDS = {str(o) for o in OUTCOMES} | {str(level) for level in LEVELS}
# The same words meaning something else, each with why.
ALLOWED = {
    ("pytest_readiness/config.py", "error"): "pydantic's error context key",
    ("pytest_readiness/__init__.py", "warn"): "the exported function's name",
    ("pytest_readiness/probes/code/secrets.py", "pass"): "a weak password value",
    ("pytest_readiness/probes/deployment/compose.py", "pass"): "a weak password value",
    ("pytest_readiness/probes/code/auth/__init__.py", "warning"): "a logging method name",
    ("pytest_readiness/plumbing/names.py", "skip"): "a word of setting names (SKIP_VERIFY)",
    ("pytest_readiness/probes/code/auth/tls.py", "skip"): "a word of setting names (SKIP_VERIFY)",
    ("pytest_readiness/probes/code/auth/__init__.py", "warn"): "a logging method name",
    ("pytest_readiness/probes/code/auth/__init__.py", "error"): "a logging method name",
    ("pytest_readiness/probes/code/secrets.py", "warning"): "a logging method name",
    ("pytest_readiness/probes/code/secrets.py", "warn"): "a logging method name",
    ("pytest_readiness/probes/code/secrets.py", "error"): "a logging method name",
}


def _strings(path: Path) -> list[str]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    found = []
    for token in tokens:
        if token.type == tokenize.STRING and not token.string.startswith(("f", "F", "rf", "fr")):
            try:
                found.append(str(eval(token.string)))  # noqa: S307 - a literal from our source
            except (SyntaxError, ValueError):
                continue
    return found


def test_outcome_and_level_words_only_in_the_vocabulary() -> None:
    sources = [*(REPO / "pytest_readiness").rglob("*.py"), *(REPO / "suites").rglob("*.py")]
    misplaced = []
    for path in sources:
        rel = path.relative_to(REPO).as_posix()
        if rel == "pytest_readiness/vocabulary.py":
            continue
        misplaced += [(rel, word) for word in _strings(path)
                      if word in WORDS and (rel, word) not in ALLOWED]
    assert misplaced == []


def test_words_are_json_strings_and_compare_as_such() -> None:
    assert json.dumps([Outcome.FAIL, Level.NOTE, Verdict.NOT_READY]) == \
        '["fail", "note", "NOT READY"]'
    assert Outcome.WARN == "warn" and "error" in vocabulary.FAILING and f"{Outcome.SKIP}" == "skip"
    assert Level.WARNING.outcome == Outcome.WARN and Level.NOTE.outcome == Outcome.PASS


@pytest.mark.parametrize(("severity", "weight", "priority"), [
    ("critical", 10, "P0"), ("high", 5, "P1"), ("medium", 3, "P2"), ("low", 1, "P3"),
    ("info", 0, "P4")])
def test_severity_carries_weight_and_priority(severity: str, weight: int, priority: str) -> None:
    assert Severity(severity).weight == vocabulary.weight_of(severity) == weight
    assert Severity(severity).priority == vocabulary.priority_of(severity) == priority
    assert vocabulary.is_blocker(severity, "fail") == (severity == "critical")
    assert Severity.at_or_above("high") == {Severity.CRITICAL, Severity.HIGH}


def test_worst_level_decides() -> None:
    assert vocabulary.worst_level(["note", "warning"]) == Level.WARNING
    assert vocabulary.worst_level(["note", "error", "warning"]) == Level.ERROR
    assert vocabulary.worst_level([]) is None
