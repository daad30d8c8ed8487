"""The Markdown audit report: what a human auditor would have written by hand."""

from __future__ import annotations

from pytest_readiness.report.common import (
    SCOPE_ROWS,
    action_items,
    basis_text,
    by_section,
    category_score_text,
    caveats,
    counts,
    evidence_items,
    finding_location,
    fmt_score,
    grading,
    md,
    scope_files,
    scope_intro,
    verdict_text,
)
from pytest_readiness.results import CheckResult, Record, rerun_command
from pytest_readiness.vocabulary import PROBLEMS, Outcome, is_blocker

ICONS: dict[str, str] = {outcome: str(outcome).upper() for outcome in Outcome}
# The worst outcome names a section: the first of these any of its checks has.
WORST_FIRST = (Outcome.FAIL, Outcome.ERROR, Outcome.WARN, Outcome.WAIVED, Outcome.PASS)


def render(record: Record) -> str:
    out: list[str] = []
    out += _summary(record)
    out += _scorecard(record)
    out += _critical_path(record)
    out += _actions(record)
    out += _sections(record)
    out += _scope(record)
    out += _waivers(record)
    out += _baseline(record)
    return "\n".join(out).rstrip() + "\n"


def _summary(record: Record) -> list[str]:
    card = record.scorecard
    tally = counts(record.checks)
    critical = sum(1 for c in record.checks if is_blocker(c.severity, c.outcome))
    lines = [
        f"# Production readiness: {md(record.system)}",
        "",
        "## Executive summary",
        "",
        f"**Verdict: {verdict_text(record)}** — overall score **{fmt_score(card.overall)}** / 100",
        "",
        *[f"> {md(line, 1000)}" for line in caveats(record)],
        *([""] if caveats(record) else []),
        f"- Critical issues: {critical}",
        f"- Failing checks: {tally.get(Outcome.FAIL, 0)}, errors: {tally.get(Outcome.ERROR, 0)}",
        f"- Warnings: {tally.get(Outcome.WARN, 0)}",
        f"- Passing checks: {tally.get(Outcome.PASS, 0)} (waived: {tally.get(Outcome.WAIVED, 0)}, "
        f"not applicable: {tally.get(Outcome.SKIP, 0)})",
        f"- Audited: {record.started} in {record.duration_s:.1f}s; hosts: "
        f"{md(', '.join(record.hosts)) or '-'}; config: {md(record.config or '(none)')}",
        f"- Command: `{_code(record.command)}`",
        f"- {md(basis_text(record), 1000)}",
        f"- {md(grading(record), 1000)}",
    ]
    if card.blockers:
        lines.append(f"- Blockers: {', '.join(md(b) for b in card.blockers)}")
    if record.incomplete and record.not_run:
        lines.append(f"- Not run: {', '.join(md(n) for n in record.not_run[:50])}")
    lines += [f"- Note: {md(note, 1000)}" for note in record.notes]
    return lines + [""]


def _code(text: str) -> str:
    """Text inside one inline code span: no backtick can end it early."""
    return " ".join(text.split()).replace("`", "'")


def _scorecard(record: Record) -> list[str]:
    card = record.scorecard
    lines = ["## Scorecard", "", "| Category | Score | Weight | Weighted score | Outcomes |",
             "|---|---:|---:|---:|---|"]
    for cat in card.categories:
        if cat.score is None and not cat.counts:
            continue
        outcomes = ", ".join(f"{n} {o}" for o, n in sorted(cat.counts.items())) or "-"
        lines.append(f"| {md(cat.name)} | {category_score_text(cat)} | {cat.weight:g} | "
                     f"{cat.weighted:.1f} | {outcomes} |")
    lines.append(f"| **Overall** | **{fmt_score(card.overall)}** | | | |")
    if card.absent:
        lines += ["", f"Not assessed (no applicable checks): {', '.join(card.absent)}."]
    return lines + [""]


def _critical_path(record: Record) -> list[str]:
    items = action_items(record)
    lines = ["## Critical path", ""]
    if not items:
        return lines + ["Nothing to fix.", ""]
    lines += ["| Priority | Check | Target | Impact | Fix |", "|---|---|---|---|---|"]
    for item in items:
        c = item.check
        lines.append(f"| {item.priority} | {md(c.id)} | {md(c.target or '-')} | "
                     f"{md(item.impact)} | {md(c.fix or '-')} |")
    return lines + [""]


def _actions(record: Record) -> list[str]:
    items = action_items(record)
    lines = ["## Action items", ""]
    if not items:
        return lines + ["None.", ""]
    for item in items:
        c = item.check
        lines.append(f"- [ ] **{item.priority}** {md(c.title)} ({md(c.label)}): "
                     f"{md(c.message or c.outcome)}")
        if c.fix:
            lines.append(f"  - Fix: {md(c.fix)}")
        lines.append(f"  - Re-run: `{item.rerun}`")
    return lines + [""]


def _sections(record: Record) -> list[str]:
    lines = ["## Findings by section", ""]
    for section, checks in by_section(record).items():
        worst = _worst(checks)
        lines += [f"### {md(section)} — {ICONS[worst]}", ""]
        for c in checks:
            lines += _check(c)
        lines.append("")
    return lines


def _worst(checks: list[CheckResult]) -> str:
    for outcome in WORST_FIRST:
        if any(c.outcome == outcome for c in checks):
            return outcome
    return Outcome.SKIP


def _check(c: CheckResult) -> list[str]:
    target = f" [{md(c.target)}]" if c.target else ""
    lines = [f"- **{ICONS[c.outcome]}** `{c.id}`{target} — {md(c.title)} "
             f"({c.severity}, {c.category})"]
    if c.message:
        lines.append(f"  - {md(c.message)}")
    for key, value in evidence_items(c.evidence):
        lines.append(f"  - {md(key)}: {md(value)}")
    for finding in c.findings[:50]:
        snippet = f" — {md(finding.get('snippet', ''))}" if finding.get("snippet") else ""
        lines.append(f"  - {md(finding_location(finding))} {md(finding.get('rule', ''))}: "
                     f"{md(finding.get('message', ''))}{snippet}")
    if len(c.findings) > 50:
        lines.append(f"  - … {len(c.findings) - 50} more findings in the JSON record")
    if c.outcome in PROBLEMS:
        if c.fix:
            lines.append(f"  - Fix: {md(c.fix)}")
        lines.append(f"  - Re-run: `{rerun_command(c)}`")
    if c.waiver:
        lines.append(f"  - Waiver: {md(c.waiver.reason)}")
    return lines


def _scope(record: Record) -> list[str]:
    """What is production: files by role, and the role and reason of each file with a
    finding (findings in files that are not production are notes)."""
    if record.scope is None:
        return []
    files = scope_files(record)
    lines = ["## Scope: what is production", "",
             md(scope_intro(record)), ""]
    if files:
        lines += ["| File with findings | Role | Why |", "|---|---|---|"]
        lines += [f"| {md(f.file)} | {md(f.role)} | {md(f.reason)} |" for f in files[:SCOPE_ROWS]]
        if len(files) > SCOPE_ROWS:
            lines.append(f"\n... and {len(files) - SCOPE_ROWS} more in the JSON record.")
    return lines + [""]


def _waivers(record: Record) -> list[str]:
    waived = [c for c in record.checks if c.waiver]
    if not waived:
        return []
    lines = ["## Waivers", "",
             "| Check | Target | Real outcome | Reason | Owner | Expires | Status |",
             "|---|---|---|---|---|---|---|"]
    for c in waived:
        w = c.waiver
        if w is None:
            continue
        status = "EXPIRED (no longer applies)" if w.expired else "active"
        lines.append(f"| {md(c.id)} | {md(c.target or '-')} | {w.real_outcome} | "
                     f"{md(w.reason)} | {md(w.owner or '-')} | "
                     f"{w.expires or 'never'} | {status} |")
    return lines + [""]


def _baseline(record: Record) -> list[str]:
    base = record.baseline
    if not base:
        return []
    lines = ["## Since the baseline", "", f"Compared to: {md(base.get('compared_to', ''))}", ""]
    for label in base.get("fixed", []):
        lines.append(f"- ~~{md(label)}~~ fixed")
    for label in base.get("regressed", []):
        lines.append(f"- **regressed**: {md(label)}")
    for label in base.get("new", []):
        lines.append(f"- new: {md(label)}")
    return lines + [""]
