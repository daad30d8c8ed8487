"""Policy profiles: the one lookup (``level_for``), its precedence, the system's kind, and
``readiness.conclude`` grading findings by the profile before the non-live cap."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness import profiles
from pytest_readiness.config import ConfigError, parse_config
from pytest_readiness.profiles import BASELINE, RESTRICTED, Profile, level_for
from pytest_readiness.vocabulary import Level

LEVELS = st.sampled_from(list(Level))
RULES = st.sampled_from(["", "digest", "not-dropped", "cap-add"])
CHECKS = st.sampled_from(["compose.capabilities", "compose.images-pinned", "ops.runbooks",
                          "secrets.hardcoded", "mine.check"])


def test_baseline_makes_hardening_extras_notes_and_restricted_errors() -> None:
    for rule in profiles.HARDENING:
        check, _, local = rule.partition(":")
        assert level_for(check, local, Level.ERROR, BASELINE) == Level.NOTE
        assert level_for(check, local, Level.NOTE, RESTRICTED) == Level.ERROR
    # what baseline does not name keeps the level its rule found
    assert level_for("compose.capabilities", "cap-add", Level.WARNING, BASELINE) == Level.WARNING
    assert level_for("compose.capabilities", "cap-add", Level.WARNING, RESTRICTED) == Level.ERROR
    assert level_for("auth.token-revocation", "", Level.WARNING, BASELINE) == Level.WARNING
    assert level_for("auth.token-revocation", "", Level.WARNING, RESTRICTED) == Level.ERROR
    assert level_for("secrets.hardcoded", "api-key", Level.ERROR, RESTRICTED) == Level.ERROR


def test_most_specific_entry_wins_and_readiness_yaml_comes_first() -> None:
    profile = Profile("p", "test", levels={"compose.*": Level.WARNING,
                                           "compose.capabilities": Level.ERROR,
                                           "compose.capabilities:not-dropped": Level.NOTE,
                                           "*:digest": Level.ERROR})
    assert level_for("compose.capabilities", "not-dropped", Level.ERROR, profile) == Level.NOTE
    assert level_for("compose.capabilities", "cap-add", Level.NOTE, profile) == Level.ERROR
    assert level_for("compose.healthcheck", "", Level.ERROR, profile) == Level.WARNING
    # the first glob in the order written: compose.* before *:digest
    assert level_for("compose.images-pinned", "digest", Level.NOTE, profile) == Level.WARNING
    assert level_for("dockerfile.base-pinned", "digest", Level.NOTE, profile) == Level.ERROR
    # a full rule id is accepted as the rule too
    assert level_for("compose.capabilities", "compose.capabilities:not-dropped", Level.ERROR,
                     profile) == Level.NOTE
    tuned = profiles.resolve("restricted", {"compose.*": "warning"})
    assert level_for("compose.read-only-rootfs", "", Level.ERROR, tuned) == Level.WARNING
    assert profiles.graded("compose.read-only-rootfs", "", Level.ERROR, tuned) == (
        Level.WARNING, "readiness.yaml")
    assert profiles.graded("compose.read-only-rootfs", "", Level.ERROR, RESTRICTED) == (
        Level.ERROR, "restricted")
    assert profiles.graded("mine.check", "", Level.NOTE, RESTRICTED) == (Level.NOTE, None)


@given(CHECKS, RULES, LEVELS)
def test_an_empty_profile_keeps_every_found_level(check: str, rule: str, found: Level) -> None:
    assert level_for(check, rule, found, Profile("empty", "")) == found


@given(CHECKS, RULES, LEVELS)
def test_restricted_never_grades_below_baseline(check: str, rule: str, found: Level) -> None:
    """Restricted asks for more than baseline, never less, whatever a rule found."""
    order = list(Level)  # error, warning, note: a lower index is more severe
    strict = level_for(check, rule, found, RESTRICTED)
    assert order.index(strict) <= order.index(level_for(check, rule, found, BASELINE))
    assert order.index(strict) <= order.index(found)


def test_unknown_profile_and_level_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown profile 'strict'; expected one of baseline, "
                                         "restricted"):
        profiles.profile_named("strict")
    with pytest.raises(ConfigError, match="readiness.yaml: profile: unknown profile 'strict'"):
        parse_config("profile: strict")
    with pytest.raises(ConfigError, match="levels.compose.capabilities: Input should be "
                                          "'error', 'warning' or 'note'"):
        parse_config("levels: {compose.capabilities: fatal}")
    with pytest.raises(ConfigError, match="system.kind: Input should be 'deployment' or "
                                          "'library'"):
        parse_config("system: {name: x, kind: service}")
    with pytest.raises(ConfigError, match="docs.elsewhere.runbook: unknown topic 'runbook'"):
        parse_config("docs: {elsewhere: {runbook: https://wiki.example.com}}")


def test_system_short_form_and_kinds() -> None:
    assert parse_config("system: Shop").system.name == "Shop"
    library = parse_config("system: {name: lib, kind: library}")
    profile = profiles.resolve(library.profile, library.levels, library.system.kind)
    assert profiles.not_applicable("ops.runbooks", profile).startswith(
        "not applicable: system.kind is library")
    assert profiles.not_applicable("compose.healthcheck", profile) is not None
    assert profiles.not_applicable("secrets.hardcoded", profile) is None
    deployment = profiles.resolve("baseline", {}, "deployment")
    assert profiles.not_applicable("ops.runbooks", deployment) is None
    assert profiles.not_applicable("ops.runbooks", profiles.resolve("baseline")) is None


CHECK = '''
import pytest
from pytest_readiness import Finding, Level, Recorder

pytestmark = pytest.mark.readiness(section="Mine", category="security")

@pytest.mark.readiness(id="mine.hardening", rules=["extra"])
def test_hardening(codebase, readiness: Recorder) -> None:
    readiness.conclude([Finding("extra", "no hardening", "app.py", 1, level=Level.NOTE),
                        Finding("extra", "in a test", "tests/test_app.py", 1,
                                level=Level.NOTE)], "missing hardening", code=True)
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    (pytester.path / "checks").mkdir()
    (pytester.path / "checks" / "test_mine.py").write_text(CHECK)
    (pytester.path / "code" / "tests").mkdir(parents=True)
    (pytester.path / "code" / "app.py").write_text("a = 1\n")
    (pytester.path / "code" / "tests" / "test_app.py").write_text("b = 2\n")
    return pytester


def audit(pytester: pytest.Pytester, config: str, *args: str) -> dict:
    pytester.makefile(".yaml", readiness="system: t\ncodebases: [{path: code}]\n"
                                         "checks: [checks]\n" + config)
    pytester.runpytest("--readiness", "--readiness-suite", "mine", "--readiness-json",
                       "out.json", "-p", "no:cacheprovider", *args)
    return json.loads((pytester.path / "out.json").read_text())


def test_readiness_yaml_levels_grade_live_findings_only(project: pytest.Pytester) -> None:
    record = audit(project, "levels: {'mine.hardening:extra': error}\n")
    [check] = record["checks"]
    assert check["outcome"] == "fail"
    assert check["message"] == "1 missing hardening: app.py:1 no hardening"
    levels = {f["file"]: f["level"] for f in check["evidence"]["findings"]}
    # re-graded by readiness.yaml, then capped: a finding in a test stays a note
    assert levels == {"app.py": "error", "tests/test_app.py": "note"}
    assert check["evidence"]["regraded"] == {
        "mine.hardening:extra": "note -> error (readiness.yaml)"}
    assert record["profile"] == "baseline"
    assert record["levels"] == {"mine.hardening:extra": "error"}


def test_profile_from_the_command_line_wins(project: pytest.Pytester) -> None:
    record = audit(project, "profile: restricted\n")
    assert record["profile"] == "restricted" and record["checks"][0]["outcome"] == "pass"
    record = audit(project, "profile: restricted\n", "--readiness-profile", "baseline")
    assert record["profile"] == "baseline"
    result = project.runpytest("--readiness", "--readiness-profile", "strict")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--readiness-profile: unknown profile 'strict'" in result.stderr.str()
