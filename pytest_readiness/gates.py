"""Exit codes beyond pytest's own, and the gates that set them (docs/exit-codes.md).

A gate turns a finished record into "the run failed" although no check did: a NOT
READY verdict, a score under ``--readiness-fail-under``, a failure at or above
``--readiness-fail-on``, a regression under ``--readiness-no-regressions``. The same
functions judge an audit (session.py, report/outputs.py) and ``pytest-readiness merge``
(cli.py), so a merged record gates exactly as an unsharded run. Pure: no pytest.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

from pytest_readiness.results import CheckResult, Record
from pytest_readiness.scoring import Scorecard
from pytest_readiness.vocabulary import FAILING, Severity, Verdict


class Exit(enum.IntEnum):
    """Exit codes of ``pytest --readiness``: pytest's 0-4, then ours."""

    OK = 0
    TESTS_FAILED = 1  # a check failed or errored
    INTERRUPTED = 2
    INTERNAL_ERROR = 3
    USAGE_ERROR = 4
    NOTHING_ASSESSED = 5  # pytest's "no tests collected": no verdict on no evidence
    GATE_FAILED = 6
    TIMED_OUT = 7  # --readiness-timeout


class CliExit(enum.IntEnum):
    """Exit codes of the ``pytest-readiness`` command (init, merge)."""

    OK = 0
    USAGE = 2  # argparse's own code for bad arguments, and unreadable input
    NOTHING_ASSESSED = Exit.NOTHING_ASSESSED
    GATE_FAILED = Exit.GATE_FAILED


def verdict_failures(card: Scorecard, fail_under: float | None) -> list[str]:
    """The verdict and score gates: blockers or NOT READY, and ``--fail-under``."""
    failures = []
    if card.blockers:
        failures.append(f"blockers: {', '.join(card.blockers)}")
    elif card.verdict == Verdict.NOT_READY and card.checks:
        failures.append("verdict NOT READY")
    if fail_under is not None and (card.overall or 0.0) < fail_under:
        failures.append(f"overall {card.overall} < {fail_under:g}")
    return failures


def failing(checks: Iterable[CheckResult]) -> list[CheckResult]:
    return [c for c in checks if c.outcome in FAILING]


def fail_on(checks: Iterable[CheckResult], severity: str) -> list[CheckResult]:
    """Failed or errored checks at or above ``severity``: those fail the run."""
    wanted = Severity.at_or_above(severity)
    return [c for c in failing(checks) if c.severity in wanted]


def regressed(record: Record) -> Sequence[str]:
    """Labels of the checks that regressed since the baseline (empty without one)."""
    return list((record.baseline or {}).get("regressed") or [])


def gate_failures(record: Record, fail_under: float | None, fail_on_severity: str | None,
                  no_regressions: bool) -> list[str]:
    """Every gate a finished record does not meet, one line each (``merge``'s judgement)."""
    failures = verdict_failures(record.scorecard, fail_under)
    if fail_on_severity is not None:
        bad = [c.label for c in fail_on(record.checks, fail_on_severity)]
        if bad:
            failures.append(f"fail-on {fail_on_severity}: {', '.join(bad[:10])}")
    if no_regressions and regressed(record):
        failures.append(f"regressed: {', '.join(regressed(record)[:10])}")
    return failures
