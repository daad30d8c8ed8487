"""The words of an audit, defined once: outcomes, severities, finding levels, categories,
verdicts and what makes a blocker. Every other module imports them from here.

The enums are ``str`` enums: a member equals its value (``Outcome.FAIL == "fail"``), JSON
writes the value, and records read back from JSON compare equal to the members. A test
keeps outcome words (``"fail"``, ``"warn"``, ...) out of every other module.

| word | values |
|---|---|
| :class:`Outcome` | pass, warn, fail, error, skip (not applicable), waived |
| :class:`Severity` | critical, high, medium, low, info: a weight, a priority, a SARIF score |
| :class:`Level` | error, warning, note: a finding's level and the outcome it leads to |
| :data:`CATEGORIES` | security, deployment, ...: the default categories and their weights |
| :class:`Verdict` | PRODUCTION READY, CONDITIONAL APPROVAL, NOT READY, NOT ASSESSED |
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class _Word(str, enum.Enum):
    """A str enum that prints as its value (``f"{Outcome.FAIL}"`` is ``fail``)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Outcome(_Word):
    """How a check ended. Warn is not a pytest outcome: see runtest.py."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"
    SKIP = "skip"  # not applicable: left out of every score
    WAIVED = "waived"  # a fail, warn or error covered by an unexpired waiver


OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)
FAILING = frozenset({Outcome.FAIL, Outcome.ERROR})  # "failed or errored"
# What a report lists as something to act on, in the order it lists them.
PROBLEMS: tuple[Outcome, ...] = (Outcome.FAIL, Outcome.ERROR, Outcome.WARN)
WAIVABLE = frozenset({Outcome.FAIL, Outcome.WARN, Outcome.ERROR, Outcome.WAIVED})


class Severity(_Word):
    """How much a check matters: its weight in a category score, the priority of its
    action item, and the ``security-severity`` code-scanning UIs sort SARIF results by."""

    CRITICAL = "critical"  # a failed or errored critical check blocks: NOT READY
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def weight(self) -> int:
        return _WEIGHTS[self]

    @property
    def priority(self) -> str:
        return _PRIORITIES[self]

    @property
    def sarif_score(self) -> str:
        return _SARIF_SCORES[self]

    @classmethod
    def at_or_above(cls, name: str) -> frozenset[Severity]:
        """``high`` -> {critical, high}."""
        order = list(cls)
        return frozenset(order[: order.index(cls(name)) + 1])


_WEIGHTS = {Severity.CRITICAL: 10, Severity.HIGH: 5, Severity.MEDIUM: 3, Severity.LOW: 1,
            Severity.INFO: 0}
_PRIORITIES = {Severity.CRITICAL: "P0", Severity.HIGH: "P1", Severity.MEDIUM: "P2",
               Severity.LOW: "P3", Severity.INFO: "P4"}
_SARIF_SCORES = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                 Severity.LOW: "3.0", Severity.INFO: "0.0"}
SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)


def _known(severity: str) -> Severity | None:
    return Severity(severity) if severity in SEVERITIES else None


def weight_of(severity: str) -> int:
    """A severity's weight; 0 for a name that is not a severity."""
    known = _known(severity)
    return known.weight if known else 0


def priority_of(severity: str) -> str:
    """``critical`` -> ``P0`` ... ``info`` (or anything unknown) -> ``P4``."""
    known = _known(severity)
    return known.priority if known else "P4"


def sarif_score_of(severity: str) -> str:
    """SARIF's ``security-severity`` of a severity; ``0.0`` for anything unknown."""
    known = _known(severity)
    return known.sarif_score if known else "0.0"


class Level(_Word):
    """A finding's level (SARIF's words). The worst level a check keeps decides its
    outcome: :attr:`outcome`, applied in one place (``Recorder.conclude``)."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"  # shown, never failing (tests, docs, templates)

    @property
    def outcome(self) -> Outcome:
        return _LEVEL_OUTCOMES[self]


_LEVEL_OUTCOMES = {Level.ERROR: Outcome.FAIL, Level.WARNING: Outcome.WARN,
                   Level.NOTE: Outcome.PASS}
LEVELS: tuple[Level, ...] = tuple(Level)


def worst_level(levels: Iterable[str]) -> Level | None:
    """The most severe of some levels (error, then warning, then note); None for none."""
    found = set(levels)
    return next((level for level in LEVELS if level in found), None)


# Default categories and their weights in the overall score; readiness.yaml may re-weigh
# them or declare new ones under scoring.weights.
CATEGORIES: dict[str, float] = {
    "security": 25,
    "deployment": 20,
    "resilience": 20,
    "monitoring": 15,
    "performance": 10,
    "compliance": 5,
    "operations": 5,
}


class Verdict(_Word):
    PRODUCTION_READY = "PRODUCTION READY"
    CONDITIONAL = "CONDITIONAL APPROVAL"
    NOT_READY = "NOT READY"
    NOT_ASSESSED = "NOT ASSESSED"  # nothing was assessed: not a verdict on the system


VERDICTS: tuple[Verdict, ...] = tuple(Verdict)


def is_blocker(severity: str, outcome: str) -> bool:
    """A critical check that failed or errored: the verdict is NOT READY whatever the score."""
    return severity == Severity.CRITICAL and outcome in FAILING


RULE_SEPARATOR = ":"  # a finding's rule id: <check id>:<rule>


def full_rule(check_id: str, rule: str) -> str:
    """A rule's full id from its check and its rule (local or already full)."""
    if not check_id or rule == check_id or rule.startswith(check_id + RULE_SEPARATOR):
        return rule or check_id
    return f"{check_id}{RULE_SEPARATOR}{rule}" if rule else check_id
