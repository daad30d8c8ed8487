"""The scorecard printed after pytest's own summary."""

from __future__ import annotations

from pytest_readiness.report.common import (
    action_items,
    basis_text,
    category_score_text,
    caveats,
    counts,
    fmt_score,
    grading,
    scope_counts,
    truncate,
    verdict_text,
)
from pytest_readiness.results import Record
from pytest_readiness.vocabulary import Outcome

TOP_ACTIONS = 10


def render(record: Record, fail_under: float | None = None) -> list[str]:
    card = record.scorecard
    lines = [f"{'category':<14}{'score':>8}{'weight':>8}{'weighted':>10}  outcomes"]
    for cat in card.categories:
        outcomes = ", ".join(f"{n} {o}" for o, n in sorted(cat.counts.items()))
        if cat.score is None and not cat.counts:
            continue
        lines.append(f"{cat.name:<14}{category_score_text(cat, short=True):>8}{cat.weight:>8g}"
                     f"{cat.weighted:>10.1f}  {outcomes or '-'}")
    lines.append(f"{'overall':<14}{fmt_score(card.overall):>8}")
    if card.absent:
        lines.append(f"not assessed (no applicable checks): {', '.join(card.absent)}")
    tally = counts(record.checks)
    shown = (Outcome.PASS, Outcome.WARN, Outcome.FAIL, Outcome.ERROR, Outcome.WAIVED, Outcome.SKIP)
    lines.append("checks: " + ", ".join(f"{tally.get(o, 0)} {o}" for o in shown))
    gate = ""
    if fail_under is not None and card.overall is not None:
        met = card.overall >= fail_under
        gate = f" (fail-under {fail_under:g}: {'met' if met else 'NOT met'})"
    lines.append(f"VERDICT: {verdict_text(record)}{gate}")
    lines += [basis_text(record), grading(record)]
    lines += caveats(record)
    if record.scope is not None:
        other = record.scope.not_production
        lines.append(f"scope: {scope_counts(record) or 'no files'}" + (
            f"; {len(other)} file(s) with findings are not production (notes only)"
            if other else ""))
    lines += [f"note: {truncate(n, 300)}" for n in record.notes]
    if card.blockers:
        lines.append("blockers: " + ", ".join(card.blockers))
    items = action_items(record)
    if items:
        lines.append("action items:")
        for item in items[:TOP_ACTIONS]:
            c = item.check
            lines.append(f"  {item.priority} [{c.outcome}] {c.label}: "
                         f"{truncate(c.message or c.title, 160)}")
            if c.fix:
                lines.append(f"       fix: {truncate(c.fix, 160)}")
        if len(items) > TOP_ACTIONS:
            lines.append(f"  ... and {len(items) - TOP_ACTIONS} more in the report")
    return lines
