"""What every renderer shares: action items in priority order, counts, escaping."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_readiness.profiles import PROFILES
from pytest_readiness.results import CheckResult, FileRole, Record, rerun_command
from pytest_readiness.scoring import INSUFFICIENT, CategoryScore
from pytest_readiness.vocabulary import PROBLEMS, Severity, Verdict, priority_of

MAX_VALUE = 500  # characters of one evidence value shown in a report


@dataclass(frozen=True)
class ActionItem:
    priority: str
    check: CheckResult
    rerun: str

    @property
    def impact(self) -> str:
        c = self.check
        return f"{c.severity} {c.category} check {c.outcome}"


def action_items(record: Record) -> list[ActionItem]:
    """Failing, erroring and warning checks, most urgent first (P0 critical .. P3 low)."""
    weights = record.scorecard.policy.weights
    order: dict[str, int] = {outcome: rank for rank, outcome in enumerate(PROBLEMS)}
    items = [ActionItem(priority_of(c.severity), c, rerun_command(c))
             for c in record.checks if c.outcome in PROBLEMS and c.severity != Severity.INFO]
    return sorted(items, key=lambda a: (a.priority, order[a.check.outcome],
                                        -weights.get(a.check.category, 0), a.check.label))


def verdict_text(record: Record) -> str:
    """The verdict as every report states it (a shard's is its own part only)."""
    verdict = record.scorecard.verdict
    if verdict == Verdict.NOT_ASSESSED:
        verdict = f"{Verdict.NOT_ASSESSED}: nothing assessed, no verdict"
    if record.partial:
        verdict += f" (partial: shard {record.shard} only)"
    return verdict


def grading(record: Record) -> str:
    """How findings were graded: the profile, readiness.yaml's level overrides, the kind."""
    profile = PROFILES.get(record.profile)
    said = f"Profile: {record.profile}" + (f" ({profile.summary})" if profile else "")
    if record.levels:
        said += f"; {len(record.levels)} level override(s) from readiness.yaml"
    kind = record.kind or "not declared (audited as a deployment)"
    return f"{said}; system kind: {kind}."


def basis_text(record: Record) -> str:
    """What the verdict rests on: the categories scored and their checks."""
    return f"The verdict {record.scorecard.basis}."


def category_score_text(category: CategoryScore, short: bool = False) -> str:
    """A category's score, or why it has none (absent, insufficient evidence)."""
    if category.status == INSUFFICIENT:
        return "too few" if short else "insufficient evidence"
    return fmt_score(category.score)


def caveats(record: Record) -> list[str]:
    """What a reader must know before trusting the scorecard, one sentence each."""
    lines = []
    if record.scorecard.verdict == Verdict.NOT_ASSESSED:
        lines.append("Nothing was assessed enough for a verdict: every check was not "
                     "applicable, none was selected, or no category was assessed by enough "
                     "checks (see docs/scoring.md).")
    if record.partial:
        lines.append(f"PARTIAL: shard {record.shard} of a sharded run; this scorecard covers "
                     "that shard's checks only. Merge the shards (pytest-readiness merge) "
                     "for the verdict.")
    if record.incomplete:
        lines.append("INCOMPLETE: the audit was interrupted; results are partial.")
    return lines


SCOPE_ROWS = 60  # files with findings listed in a report's scope section (all in the JSON)


def scope_counts(record: Record) -> str:
    """``487 production, 33 test, 18 generated`` (roles with files, production first)."""
    if record.scope is None:
        return ""
    return ", ".join(f"{n} {role}" for role, n in record.scope.counts.items() if n)


def scope_intro(record: Record) -> str:
    """The first sentence of a report's scope section (plain text; escape it to render)."""
    return (f"Files by role: {scope_counts(record) or 'none'}. Checks judge production; "
            "findings in other files are notes at most.")


def scope_files(record: Record) -> list[FileRole]:
    """Files with findings, those that are not production first (their findings are notes)."""
    if record.scope is None:
        return []
    return sorted(record.scope.files, key=lambda f: (f.role == "production", f.file))


def counts(checks: Iterable[CheckResult]) -> Counter[str]:
    return Counter(c.outcome for c in checks)


def by_section(record: Record) -> dict[str, list[CheckResult]]:
    sections: dict[str, list[CheckResult]] = {}
    for check in record.checks:
        sections.setdefault(check.section, []).append(check)
    return dict(sorted(sections.items()))


def fmt_score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


# Control characters other than newline and tab: an ANSI escape from a banner must
# not recolour or retitle the terminal of whoever cats the report; shown as \x1b.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def truncate(text: str, limit: int = MAX_VALUE) -> str:
    """Untrusted text made inert and bounded: control characters shown, length capped."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", str(text))
    return text if len(text) <= limit else text[: limit - 1] + f"… (+{len(text) - limit} chars)"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def md(text: Any, limit: int = MAX_VALUE) -> str:
    """Untrusted text as one line of inert Markdown: no tables, links, HTML or headings."""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", truncate(flat, limit))


def evidence_items(evidence: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Evidence as (key, value) text pairs, findings excluded (shown on their own)."""
    pairs = []
    for key, value in evidence.items():
        if key == "findings":
            continue
        pairs.append((str(key), truncate(value if isinstance(value, str) else repr(value))))
    return pairs


def finding_location(finding: Mapping[str, Any]) -> str:
    where = str(finding.get("file", ""))
    if finding.get("line"):
        where += f":{finding['line']}"
    return where
