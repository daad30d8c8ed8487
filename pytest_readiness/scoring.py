"""Check results -> category scores -> overall score -> verdict. Pure functions.

- Check value: pass 1, waived 1, warn 0.5, fail 0, error 0; skip excluded.
- Severity weight: critical 10, high 5, medium 3, low 1, info 0.
- Category score = 100 * sum(weight * value) / sum(weight) over applicable checks.
- Overall = sum(category weight * score) / sum(weights of scored categories).
- Verdict: a failed or errored critical check -> NOT READY; else overall >= ready
  -> PRODUCTION READY; >= conditional -> CONDITIONAL APPROVAL; else NOT READY.
  No applicable weighted check at all (every check skipped, or none selected)
  -> NOT ASSESSED: no verdict is given on the absence of evidence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from pytest_readiness.vocabulary import CATEGORIES, Outcome, Verdict, is_blocker, weight_of

# What each outcome earns; skip (not applicable) is left out of every score.
VALUES: dict[str, float] = {Outcome.PASS: 1.0, Outcome.WAIVED: 1.0, Outcome.WARN: 0.5,
                            Outcome.FAIL: 0.0, Outcome.ERROR: 0.0}


class Scorable(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def target(self) -> str | None: ...
    @property
    def category(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def outcome(self) -> str: ...


@dataclass(frozen=True)
class ScoredCheck:
    """The part of a check result that scoring reads."""

    id: str
    target: str | None
    category: str
    severity: str
    outcome: str


@dataclass(frozen=True)
class Policy:
    weights: Mapping[str, float] = field(default_factory=lambda: dict(CATEGORIES))
    ready: float = 90.0
    conditional: float = 70.0


@dataclass(frozen=True)
class CategoryScore:
    name: str
    weight: float
    score: float | None  # None: no applicable (weighted) checks
    weighted: float  # contribution to the overall score, in points
    counts: Mapping[str, int]


@dataclass(frozen=True)
class Scorecard:
    categories: tuple[CategoryScore, ...]
    overall: float | None
    verdict: str
    blockers: tuple[str, ...]
    absent: tuple[str, ...]
    policy: Policy
    checks: tuple[ScoredCheck, ...] = ()

    def rescored(self, weights: Mapping[str, float] | None = None,
                 ready: float | None = None, conditional: float | None = None) -> Scorecard:
        """The same checks under other weights or thresholds (for the scorecard hook)."""
        policy = replace(
            self.policy,
            weights={**self.policy.weights, **(weights or {})},
            ready=self.policy.ready if ready is None else ready,
            conditional=self.policy.conditional if conditional is None else conditional,
        )
        return score(self.checks, policy)

    def category(self, name: str) -> CategoryScore | None:
        return next((c for c in self.categories if c.name == name), None)


def check_label(check: Scorable) -> str:
    return f"{check.id}[{check.target}]" if check.target else check.id


def category_score(checks: Iterable[Scorable]) -> float | None:
    total = earned = 0.0
    for check in checks:
        if check.outcome not in VALUES:
            continue
        weight = weight_of(check.severity)
        total += weight
        earned += weight * VALUES[check.outcome]
    return None if total == 0 else 100.0 * earned / total


def overall_score(scores: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    scored = {name: s for name, s in scores.items() if s is not None and weights.get(name, 0) > 0}
    total = sum(weights[name] for name in scored)
    if total == 0:
        return None
    return sum(weights[name] * s for name, s in scored.items()) / total


def blockers(checks: Iterable[Scorable]) -> tuple[str, ...]:
    found = [check_label(c) for c in checks if is_blocker(c.severity, c.outcome)]
    return tuple(sorted(set(found)))


def verdict(overall: float | None, blocking: Iterable[str], policy: Policy) -> str:
    if any(True for _ in blocking):
        return Verdict.NOT_READY
    if overall is None:
        return Verdict.NOT_ASSESSED
    if overall >= policy.ready:
        return Verdict.PRODUCTION_READY
    if overall >= policy.conditional:
        return Verdict.CONDITIONAL
    return Verdict.NOT_READY


def score(checks: Iterable[Scorable], policy: Policy | None = None) -> Scorecard:
    policy = policy or Policy()
    frozen = tuple(
        ScoredCheck(c.id, c.target, c.category, c.severity, c.outcome) for c in checks
    )
    by_category: dict[str, list[ScoredCheck]] = {name: [] for name in policy.weights}
    for check in frozen:
        by_category.setdefault(check.category, []).append(check)
    scores = {name: category_score(items) for name, items in by_category.items()}
    overall = overall_score(scores, policy.weights)
    scored_weight = sum(policy.weights.get(n, 0) for n, s in scores.items() if s is not None)
    categories = tuple(
        CategoryScore(
            name=name,
            weight=policy.weights.get(name, 0.0),
            score=scores[name],
            weighted=_contribution(scores[name], policy.weights.get(name, 0.0), scored_weight),
            counts=dict(Counter(c.outcome for c in items)),
        )
        for name, items in by_category.items()
    )
    blocking = blockers(frozen)
    return Scorecard(
        categories=categories,
        overall=overall,
        verdict=verdict(overall, blocking, policy),
        blockers=blocking,
        absent=tuple(c.name for c in categories if c.score is None),
        policy=policy,
        checks=frozen,
    )


def _contribution(category: float | None, weight: float, scored_weight: float) -> float:
    """Points a category adds to the overall score (the column sums to the overall)."""
    if category is None or not scored_weight:
        return 0.0
    return weight * category / scored_weight


def scorecard_to_dict(card: Scorecard) -> dict[str, object]:
    return {
        "categories": [
            {"name": c.name, "weight": c.weight, "score": _round(c.score),
             "weighted": _round(c.weighted), "counts": dict(c.counts)}
            for c in card.categories
        ],
        "overall": _round(card.overall),
        "verdict": card.verdict,
        "blockers": list(card.blockers),
        "absent": list(card.absent),
        "policy": {"weights": dict(card.policy.weights), "ready": card.policy.ready,
                   "conditional": card.policy.conditional},
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
