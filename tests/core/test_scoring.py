"""Scoring as DESIGN.md defines it: examples, and properties over random check sets."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.config import Waiver
from pytest_readiness.scoring import INSUFFICIENT, Policy, ScoredCheck, basis, score
from pytest_readiness.vocabulary import CATEGORIES, Verdict
from pytest_readiness.waivers import apply_waivers

OUTCOMES = ["pass", "warn", "fail", "error", "skip", "waived"]
SEVERITIES = ["critical", "high", "medium", "low", "info"]


# The arithmetic below scores every category, however few its checks; insufficient
# evidence (the default threshold of 3 checks) has tests of its own at the end.
EVERY = Policy(min_checks=0)


def check(outcome: str, severity: str = "high", category: str = "security",
          id: str = "c", assessed: bool = True) -> ScoredCheck:
    return ScoredCheck(id, None, category, severity, outcome, assessed)


def test_category_score_is_the_weighted_mean() -> None:
    card = score([check("pass", "critical", id="a"), check("warn", "high", id="b"),
                  check("fail", "low", id="c"), check("skip", "critical", id="d")], EVERY)
    security = card.category("security")
    assert security is not None
    # (10*1 + 5*0.5 + 1*0) / (10 + 5 + 1)
    assert security.score == 100 * 12.5 / 16
    assert security.counts == {"pass": 1, "warn": 1, "fail": 1, "skip": 1}
    assert card.overall == security.score  # the only category scored
    assert set(card.absent) == set(CATEGORIES) - {"security"}


def test_overall_renormalises_over_present_categories() -> None:
    card = score([check("pass", category="security"), check("fail", category="deployment")],
                 EVERY)
    assert card.overall == (25 * 100 + 20 * 0) / 45
    weighted = {c.name: c.weighted for c in card.categories}
    assert round(weighted["security"] + weighted["deployment"], 6) == round(card.overall, 6)


def test_verdicts() -> None:
    assert score([check("pass")], EVERY).verdict == Verdict.PRODUCTION_READY
    assert score([check("pass", id="a"), check("warn", id="b")], EVERY
                 ).verdict == Verdict.CONDITIONAL  # 75
    assert score([check("pass", id="a"), check("warn", id="b"), check("warn", id="c")], EVERY
                 ).verdict == Verdict.NOT_READY  # 66.7, below 70
    assert score([check("pass", "high", id="a"), check("fail", "low", id="b")], EVERY
                 ).verdict == Verdict.CONDITIONAL  # 83.3
    assert score([check("pass", id=str(i)) for i in range(50)] +
                 [check("fail", "critical", id="x")]).verdict == Verdict.NOT_READY
    assert score([check("error", "critical")], EVERY).blockers == ("c",)
    assert score([check("waived", "critical")], EVERY).verdict == Verdict.PRODUCTION_READY
    assert score([], EVERY).verdict == Verdict.NOT_ASSESSED and score([], EVERY).overall is None
    assert score([check("skip", "critical")], EVERY).verdict == Verdict.NOT_ASSESSED
    # weight 0: nothing counts
    assert score([check("pass", "info")], EVERY).verdict == Verdict.NOT_ASSESSED
    assert score([check("fail", "critical", id="x"), check("skip")],
                 EVERY).verdict == Verdict.NOT_READY


def test_info_checks_do_not_weigh() -> None:
    card = score([check("fail", "info"), check("pass", "high", id="d")], EVERY)
    assert card.overall == 100.0


def test_rescored_applies_weights_and_thresholds() -> None:
    card = score([check("pass", category="security"), check("fail", category="deployment")],
                 EVERY)
    heavier = card.rescored(weights={"deployment": 75})
    assert heavier.overall == (25 * 100) / 100
    assert card.rescored(ready=50).verdict == Verdict.PRODUCTION_READY


checks_strategy = st.lists(
    st.builds(ScoredCheck, id=st.sampled_from("abcdefgh"), target=st.none() | st.just("t"),
              category=st.sampled_from(list(CATEGORIES)), severity=st.sampled_from(SEVERITIES),
              outcome=st.sampled_from(OUTCOMES), assessed=st.booleans()),
    max_size=40)
weights_strategy = st.dictionaries(st.sampled_from(list(CATEGORIES)),
                                   st.floats(0, 100, allow_nan=False), max_size=7)
policies = st.builds(Policy, min_checks=st.integers(0, 5))


@given(checks_strategy, weights_strategy, st.integers(0, 5))
def test_scores_stay_within_0_and_100(checks: list[ScoredCheck], weights: dict[str, float],
                                      min_checks: int) -> None:
    card = score(checks, Policy(weights={**CATEGORIES, **weights}, min_checks=min_checks))
    for cat in card.categories:
        assert cat.score is None or 0 <= cat.score <= 100
    assert card.overall is None or -1e-9 <= card.overall <= 100 + 1e-9


@given(checks_strategy, st.data(), policies)
def test_turning_a_fail_into_a_pass_never_lowers_a_score(checks: list[ScoredCheck],
                                                         data: st.DataObject,
                                                         policy: Policy) -> None:
    failing = [i for i, c in enumerate(checks) if c.outcome in ("fail", "error", "warn")]
    if not failing:
        return
    index = data.draw(st.sampled_from(failing))
    better = list(checks)
    better[index] = replace(checks[index], outcome="pass")
    before, after = score(checks, policy), score(better, policy)
    for old, new in zip(before.categories, after.categories, strict=True):
        if old.score is not None:
            assert new.score is not None and new.score >= old.score - 1e-9
    if before.overall is not None:
        assert after.overall is not None and after.overall >= before.overall - 1e-9


@given(checks_strategy, st.sampled_from(list(CATEGORIES)), st.sampled_from(["fail", "error"]),
       policies, st.booleans())
def test_a_failed_critical_check_always_blocks(checks: list[ScoredCheck], category: str,
                                               outcome: str, policy: Policy,
                                               assessed: bool) -> None:
    """Whatever the evidence around it, even in a category too thin to be scored."""
    card = score([*checks, ScoredCheck("blocker", None, category, "critical", outcome,
                                       assessed)], policy)
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


# --- insufficient evidence ------------------------------------------------------------

def test_a_category_with_one_check_is_not_scored() -> None:
    """Three real projects scored resilience 0.0 on one debatable check (issue 14)."""
    card = score([check("fail", "medium", "resilience", id="ops.high-availability"),
                  *(check("pass", category="security", id=f"s{i}") for i in range(3))])
    resilience = card.category("resilience")
    assert resilience is not None and resilience.score is None
    assert resilience.status == INSUFFICIENT and resilience.assessed == 1
    assert card.insufficient == ("resilience",) and "resilience" not in card.absent
    assert card.overall == 100.0 and card.verdict == Verdict.PRODUCTION_READY
    assert basis(card) == ("rests on security (3 checks); insufficient evidence (fewer than 3 "
                           "checks): resilience (1 check); absent: deployment, monitoring, "
                           "performance, compliance, operations")


def test_results_resting_on_absence_are_no_evidence() -> None:
    """A directory with only a README: missing documents warn, and give no verdict."""
    missing = [check("warn", "medium", "operations", id=f"ops.{i}", assessed=False)
               for i in range(6)]
    card = score([*missing, check("pass", "high", "security", id="files.world-writable")])
    assert card.verdict == Verdict.NOT_ASSESSED and card.overall is None
    assert card.category("operations").counts == {"warn": 6}
    assert set(card.insufficient) == {"operations", "security"}
    # beside evidence, the same results count: 3 assessed checks make the category scored
    scored = score([*missing, *(check("pass", "low", "operations", id=f"ops.ok{i}")
                                for i in range(3))])
    assert scored.category("operations").score == 100 * (6 * 3 * 0.5 + 3) / (6 * 3 + 3)


@given(checks_strategy, st.sampled_from(list(CATEGORIES)), st.integers(1, 5), st.data())
def test_insufficient_evidence_never_raises_a_score(checks: list[ScoredCheck], category: str,
                                                    min_checks: int,
                                                    data: st.DataObject) -> None:
    """A category below the threshold shows no score (not 0, not 100), and what is in it
    never moves the overall or the verdict: adding passes to it that leave it below the
    threshold changes nothing, as if it were absent."""
    policy = Policy(min_checks=min_checks)
    card = score(checks, policy)
    for cat in card.categories:
        if cat.status == INSUFFICIENT:
            assert cat.score is None and cat.weighted == 0 and cat.assessed < min_checks
    if card.category(category).assessed + 1 >= min_checks:
        return
    taken = {c.id for c in checks if c.category == category}
    new_id = data.draw(st.sampled_from(sorted(set("abcdefgh") - taken) or ["a"]))
    passing = ScoredCheck(new_id, None, category, data.draw(st.sampled_from(SEVERITIES[:4])),
                          "pass")
    after = score([*checks, passing], policy)
    if after.category(category).status == INSUFFICIENT:
        assert after.overall == card.overall
        assert after.verdict == card.verdict


@given(checks_strategy, policies)
def test_no_verdict_from_results_resting_on_absence(checks: list[ScoredCheck],
                                                    policy: Policy) -> None:
    """Only unassessed results and no blocker: no verdict, whatever the threshold (>= 1)."""
    if policy.min_checks == 0:
        return
    card = score([replace(c, assessed=False) for c in checks], policy)
    assert card.verdict == Verdict.NOT_ASSESSED or card.blockers


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
