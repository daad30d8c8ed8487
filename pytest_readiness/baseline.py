"""Compare a run with an earlier record: fixed, regressed, new, and score deltas.

Checks are matched by their label (``id[target]``), which stays stable across
runs, machines and shards. An outcome's rank says how bad it is: pass and waived
0, warn 1, fail and error 2; skip (not applicable) has no rank and is never a
regression. ``fixed`` is a problem that now passes (audit reports strike it
through); ``regressed`` is a check that got worse; ``new`` a check the baseline
did not have.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from pytest_readiness.results import CheckResult, Record
from pytest_readiness.vocabulary import Outcome

RANK: dict[str, int] = {Outcome.PASS: 0, Outcome.WAIVED: 0, Outcome.WARN: 1, Outcome.FAIL: 2,
                        Outcome.ERROR: 2}


@dataclass(frozen=True)
class ScoreDelta:
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 2)


@dataclass(frozen=True)
class Comparison:
    compared_to: str
    fixed: list[str] = field(default_factory=list)
    improved: list[str] = field(default_factory=list)  # better, still not passing
    regressed: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (was, now)
    overall: ScoreDelta = ScoreDelta(None, None)
    categories: dict[str, ScoreDelta] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["changes"] = {k: {"was": was, "now": now} for k, (was, now) in self.changes.items()}
        data["overall"] = _delta_dict(self.overall)
        data["categories"] = {k: _delta_dict(v) for k, v in self.categories.items()}
        return data


def _delta_dict(delta: ScoreDelta) -> dict[str, float | None]:
    return {"before": delta.before, "after": delta.after, "delta": delta.delta}


def check_key(check: CheckResult) -> str:
    """``id[target]``; a check parametrised without a target keys on its parameter id."""
    if check.target is None and check.nodeid.endswith("]") and "[" in check.nodeid:
        return f"{check.id}[{check.nodeid.rsplit('[', 1)[1]}"
    return check.label


def _by_label(checks: list[CheckResult]) -> dict[str, CheckResult]:
    return {check_key(c): c for c in checks}


def compare(current: Record, baseline: Record, compared_to: str) -> Comparison:
    now, was = _by_label(current.checks), _by_label(baseline.checks)
    fixed: list[str] = []
    improved: list[str] = []
    regressed: list[str] = []
    new: list[str] = []
    changes: dict[str, tuple[str, str]] = {}
    for label, check in now.items():
        old = was.get(label)
        if old is None:
            if check.outcome != Outcome.SKIP:
                new.append(label)
            continue
        before, after = RANK.get(old.outcome), RANK.get(check.outcome)
        if old.outcome != check.outcome:
            changes[label] = (old.outcome, check.outcome)
        if before is None or after is None:
            continue
        if after < before:
            (fixed if after == 0 else improved).append(label)
        elif after > before:
            regressed.append(label)
    removed = [label for label, old in was.items()
               if label not in now and old.outcome != Outcome.SKIP]
    return Comparison(
        compared_to=compared_to, fixed=sorted(fixed), improved=sorted(improved),
        regressed=sorted(regressed), new=sorted(new), removed=sorted(removed), changes=changes,
        overall=ScoreDelta(_r(baseline.scorecard.overall), _r(current.scorecard.overall)),
        categories=_category_deltas(current, baseline),
    )


def _category_deltas(current: Record, baseline: Record) -> dict[str, ScoreDelta]:
    before = {c.name: c.score for c in baseline.scorecard.categories}
    after = {c.name: c.score for c in current.scorecard.categories}
    names = [n for n in after if after[n] is not None or before.get(n) is not None]
    names += [n for n in before if n not in after and before[n] is not None]
    return {n: ScoreDelta(_r(before.get(n)), _r(after.get(n))) for n in names}


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def fmt_delta(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}"


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def summary_lines(baseline: Mapping[str, Any]) -> list[str]:
    """Plain lines for the terminal: counts, the changed checks and score deltas."""
    lines = [f"since baseline {baseline.get('compared_to', '')}: "
             f"{len(baseline.get('fixed', []))} fixed, "
             f"{len(baseline.get('regressed', []))} regressed, "
             f"{len(baseline.get('new', []))} new"]
    overall = baseline.get("overall") or {}
    lines.append(f"  overall {_fmt(overall.get('before'))} -> {_fmt(overall.get('after'))} "
                 f"({fmt_delta(overall.get('delta'))})")
    for name, delta in (baseline.get("categories") or {}).items():
        if delta.get("delta"):
            lines.append(f"  {name}: {delta.get('before')} -> {delta.get('after')} "
                         f"({fmt_delta(delta.get('delta'))})")
    for label in baseline.get("regressed", []):
        change = (baseline.get("changes") or {}).get(label, {})
        lines.append(f"  REGRESSED {label}: {change.get('was')} -> {change.get('now')}")
    for label in baseline.get("fixed", []):
        lines.append(f"  fixed {label}")
    return lines
