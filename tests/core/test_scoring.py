"""Scoring as DESIGN.md defines it: examples, and properties over random check sets."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.config import Waiver
from pytest_readiness.scoring import Policy, ScoredCheck, score
from pytest_readiness.vocabulary import CATEGORIES, Verdict
from pytest_readiness.waivers import apply_waivers

OUTCOMES = ["pass", "warn", "fail", "error", "skip", "waived"]
SEVERITIES = ["critical", "high", "medium", "low", "info"]


def check(outcome: str, severity: str = "high", category: str = "security",
          id: str = "c") -> ScoredCheck:
    return ScoredCheck(id, None, category, severity, outcome)


def test_category_score_is_the_weighted_mean() -> None:
    card = score([check("pass", "critical", id="a"), check("warn", "high", id="b"),
                  check("fail", "low", id="c"), check("skip", "critical", id="d")])
    security = card.category("security")
    assert security is not None
    # (10*1 + 5*0.5 + 1*0) / (10 + 5 + 1)
    assert security.score == 100 * 12.5 / 16
    assert security.counts == {"pass": 1, "warn": 1, "fail": 1, "skip": 1}
    assert card.overall == security.score  # the only category scored
    assert set(card.absent) == set(CATEGORIES) - {"security"}


def test_overall_renormalises_over_present_categories() -> None:
    card = score([check("pass", category="security"), check("fail", category="deployment")])
    assert card.overall == (25 * 100 + 20 * 0) / 45
    weighted = {c.name: c.weighted for c in card.categories}
    assert round(weighted["security"] + weighted["deployment"], 6) == round(card.overall, 6)


def test_verdicts() -> None:
    assert score([check("pass")]).verdict == Verdict.PRODUCTION_READY
    assert score([check("pass", id="a"), check("warn", id="b")]
                 ).verdict == Verdict.CONDITIONAL  # 75
    assert score([check("pass", id="a"), check("warn", id="b"), check("warn", id="c")]
                 ).verdict == Verdict.NOT_READY  # 66.7, below 70
    assert score([check("pass", "high", id="a"), check("fail", "low", id="b")]
                 ).verdict == Verdict.CONDITIONAL  # 83.3
    assert score([check("pass", id=str(i)) for i in range(50)] +
                 [check("fail", "critical", id="x")]).verdict == Verdict.NOT_READY
    assert score([check("error", "critical")]).blockers == ("c",)
    assert score([check("waived", "critical")]).verdict == Verdict.PRODUCTION_READY
    assert score([]).verdict == Verdict.NOT_ASSESSED and score([]).overall is None
    assert score([check("skip", "critical")]).verdict == Verdict.NOT_ASSESSED
    # weight 0: nothing counts
    assert score([check("pass", "info")]).verdict == Verdict.NOT_ASSESSED
    assert score([check("fail", "critical", id="x"), check("skip")]).verdict == Verdict.NOT_READY


def test_info_checks_do_not_weigh() -> None:
    card = score([check("fail", "info"), check("pass", "high", id="d")])
    assert card.overall == 100.0


def test_rescored_applies_weights_and_thresholds() -> None:
    card = score([check("pass", category="security"), check("fail", category="deployment")])
    heavier = card.rescored(weights={"deployment": 75})
    assert heavier.overall == (25 * 100) / 100
    assert card.rescored(ready=50).verdict == Verdict.PRODUCTION_READY


checks_strategy = st.lists(
    st.builds(ScoredCheck, id=st.sampled_from("abcdefgh"), target=st.none() | st.just("t"),
              category=st.sampled_from(list(CATEGORIES)), severity=st.sampled_from(SEVERITIES),
              outcome=st.sampled_from(OUTCOMES)),
    max_size=40)
weights_strategy = st.dictionaries(st.sampled_from(list(CATEGORIES)),
                                   st.floats(0, 100, allow_nan=False), max_size=7)


@given(checks_strategy, weights_strategy)
def test_scores_stay_within_0_and_100(checks: list[ScoredCheck], weights: dict[str, float]) -> None:
    card = score(checks, Policy(weights={**CATEGORIES, **weights}))
    for cat in card.categories:
        assert cat.score is None or 0 <= cat.score <= 100
    assert card.overall is None or -1e-9 <= card.overall <= 100 + 1e-9


@given(checks_strategy, st.data())
def test_turning_a_fail_into_a_pass_never_lowers_a_score(checks: list[ScoredCheck],
                                                         data: st.DataObject) -> None:
    failing = [i for i, c in enumerate(checks) if c.outcome in ("fail", "error", "warn")]
    if not failing:
        return
    index = data.draw(st.sampled_from(failing))
    better = list(checks)
    better[index] = replace(checks[index], outcome="pass")
    before, after = score(checks), score(better)
    for old, new in zip(before.categories, after.categories, strict=True):
        if old.score is not None:
            assert new.score is not None and new.score >= old.score - 1e-9
    if before.overall is not None:
        assert after.overall is not None and after.overall >= before.overall - 1e-9


@given(checks_strategy, st.sampled_from(list(CATEGORIES)), st.sampled_from(["fail", "error"]))
def test_a_failed_critical_check_always_blocks(checks: list[ScoredCheck], category: str,
                                               outcome: str) -> None:
    card = score([*checks, ScoredCheck("blocker", None, category, "critical", outcome)])
    assert card.verdict == Verdict.NOT_READY
    assert "blocker" in card.blockers


@given(checks_strategy)
def test_absent_categories_renormalise(checks: list[ScoredCheck]) -> None:
    card = score(checks)
    present = [c for c in card.categories if c.score is not None and c.weight > 0]
    if not present:
        assert card.overall is None
        return
    expected = sum(c.weight * c.score for c in present) / sum(c.weight for c in present)
    assert abs(card.overall - expected) < 1e-6
    assert abs(sum(c.weighted for c in card.categories) - card.overall) < 1e-6


@given(checks_strategy)
def test_no_verdict_without_evidence(checks: list[ScoredCheck]) -> None:
    """NOT ASSESSED exactly when nothing weighs and nothing blocks; never a verdict from skips."""
    card = score(checks)
    assert (card.verdict == Verdict.NOT_ASSESSED) == (card.overall is None and not card.blockers)
    skipped = score([replace(c, outcome="skip") for c in checks])
    assert skipped.verdict == Verdict.NOT_ASSESSED


def test_waivers() -> None:
    today = dt.date(2026, 6, 1)
    live = Waiver(check="tls.*", target="api", reason="renewal booked", owner="ops",
                  expires=dt.date(2026, 7, 1))
    expired = Waiver(check="tls.*", reason="old", expires=dt.date(2026, 1, 1))
    decision = apply_waivers("tls.cert-expiry", "api", "fail", [live], today)
    assert decision.outcome == "waived" and decision.waiver.real_outcome == "fail"
    assert apply_waivers("tls.cert-expiry", "web", "fail", [live], today).outcome == "fail"
    stale = apply_waivers("tls.cert-expiry", "api", "fail", [expired], today)
    assert stale.outcome == "fail" and stale.waiver.expired is True
    passing = apply_waivers("tls.cert-expiry", "api", "pass", [live], today)
    assert passing.outcome == "pass"
