"""Check results -> category scores -> overall score -> verdict. Pure functions.

- Check value: pass 1, waived 1, warn 0.5, fail 0, error 0; skip excluded.
- Severity weight: critical 10, high 5, medium 3, low 1, info 0.
- Category score = 100 * sum(weight * value) / sum(weight) over applicable checks.
- Overall = sum(category weight * score) / sum(weights of scored categories).
- Insufficient evidence: a category where fewer than ``min_checks`` distinct weighted
  checks assessed something (default 3; a result that rests on what was not found does
  not count, see ``Recorder.not_assessed``) gets no score, says so, and is left out of
  the overall like an absent category. Its failed critical checks still block.
- Verdict: a failed or errored critical check -> NOT READY; else overall >= ready
  -> PRODUCTION READY; >= conditional -> CONDITIONAL APPROVAL; else NOT READY.
  No category with sufficient evidence (every check skipped, none selected, too few
  assessed) -> NOT ASSESSED: no verdict is given on the absence of evidence. The
  verdict names what it rests on (:func:`basis`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
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


# How many distinct weighted checks must have assessed a category for it to be scored.
MIN_CHECKS = 3
SCORED, INSUFFICIENT, ABSENT = "scored", "insufficient evidence", "absent"


@dataclass(frozen=True)
class ScoredCheck:
    """The part of a check result that scoring reads."""

    id: str
    target: str | None
    category: str
    severity: str
    outcome: str
    assessed: bool = True  # False: the result rests on what was not found


@dataclass(frozen=True)
class Policy:
    weights: Mapping[str, float] = field(default_factory=lambda: dict(CATEGORIES))
    ready: float = 90.0
    conditional: float = 70.0
    min_checks: int = MIN_CHECKS


@dataclass(frozen=True)
class CategoryScore:
    name: str
    weight: float
    score: float | None  # None: absent, or insufficient evidence (see ``status``)
    weighted: float  # contribution to the overall score, in points
    counts: Mapping[str, int]
    status: str = SCORED  # scored, insufficient evidence, absent
    assessed: int = 0  # distinct weighted checks that assessed something in it


@dataclass(frozen=True)
class Scorecard:
    categories: tuple[CategoryScore, ...]
    overall: float | None
    verdict: str
    blockers: tuple[str, ...]
    absent: tuple[str, ...]
    policy: Policy
    checks: tuple[ScoredCheck, ...] = ()
    insufficient: tuple[str, ...] = ()  # categories with too few checks to mean anything

    @property
    def basis(self) -> str:
        """What the verdict rests on, in words (:func:`basis`)."""
        return basis(self)

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


def assessed_checks(checks: Iterable[ScoredCheck]) -> int:
    """Distinct weighted checks that assessed something (applicable, not resting on what
    was not found): the evidence a category score stands on."""
    return len({c.id for c in checks if c.outcome in VALUES and weight_of(c.severity) > 0
                and c.assessed})


def status_of(checks: Sequence[ScoredCheck], min_checks: int) -> str:
    """scored, insufficient evidence (assessed by fewer than ``min_checks`` distinct
    weighted checks) or absent (no applicable weighted check)."""
    if category_score(checks) is None:
        return ABSENT
    return SCORED if assessed_checks(checks) >= min_checks else INSUFFICIENT


def score(checks: Iterable[Scorable], policy: Policy | None = None) -> Scorecard:
    policy = policy or Policy()
    frozen = tuple(
        ScoredCheck(c.id, c.target, c.category, c.severity, c.outcome,
                    bool(getattr(c, "assessed", True))) for c in checks
    )
    by_category: dict[str, list[ScoredCheck]] = {name: [] for name in policy.weights}
    for check in frozen:
        by_category.setdefault(check.category, []).append(check)
    statuses = {name: status_of(items, policy.min_checks) for name, items in by_category.items()}
    scores = {name: category_score(items) if statuses[name] == SCORED else None
              for name, items in by_category.items()}
    overall = overall_score(scores, policy.weights)
    scored_weight = sum(policy.weights.get(n, 0) for n, s in scores.items() if s is not None)
    categories = tuple(
        CategoryScore(
            name=name,
            weight=policy.weights.get(name, 0.0),
            score=scores[name],
            weighted=_contribution(scores[name], policy.weights.get(name, 0.0), scored_weight),
            counts=dict(Counter(c.outcome for c in items)),
            status=statuses[name],
            assessed=assessed_checks(items),
        )
        for name, items in by_category.items()
    )
    blocking = blockers(frozen)
    return Scorecard(
        categories=categories,
        overall=overall,
        verdict=verdict(overall, blocking, policy),
        blockers=blocking,
        absent=tuple(c.name for c in categories if c.status == ABSENT),
        policy=policy,
        checks=frozen,
        insufficient=tuple(c.name for c in categories if c.status == INSUFFICIENT),
    )


def basis(card: Scorecard) -> str:
    """What a verdict rests on: ``rests on security (21 checks), deployment (13 checks);
    insufficient evidence: resilience (1 check); absent: compliance``."""
    def counted(c: CategoryScore) -> str:
        return f"{c.name} ({c.assessed} check{'' if c.assessed == 1 else 's'})"

    scored = [counted(c) for c in card.categories if c.score is not None]
    parts = [f"rests on {', '.join(scored)}" if scored else "rests on no category"]
    if card.blockers:
        parts[0] += f" and {len(card.blockers)} blocker(s)"
    thin = [counted(c) for c in card.categories if c.status == INSUFFICIENT]
    if thin:
        parts.append(f"insufficient evidence (fewer than {card.policy.min_checks} checks): "
                     + ", ".join(thin))
    if card.absent:
        parts.append("absent: " + ", ".join(card.absent))
    return "; ".join(parts)


def _contribution(category: float | None, weight: float, scored_weight: float) -> float:
    """Points a category adds to the overall score (the column sums to the overall)."""
    if category is None or not scored_weight:
        return 0.0
    return weight * category / scored_weight


def scorecard_to_dict(card: Scorecard) -> dict[str, object]:
    return {
        "categories": [
            {"name": c.name, "weight": c.weight, "score": _round(c.score),
             "weighted": _round(c.weighted), "counts": dict(c.counts), "status": c.status,
             "assessed": c.assessed}
            for c in card.categories
        ],
        "overall": _round(card.overall),
        "verdict": card.verdict,
        "basis": card.basis,
        "blockers": list(card.blockers),
        "absent": list(card.absent),
        "insufficient": list(card.insufficient),
        "policy": {"weights": dict(card.policy.weights), "ready": card.policy.ready,
                   "conditional": card.policy.conditional,
                   "min_checks": card.policy.min_checks},
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
