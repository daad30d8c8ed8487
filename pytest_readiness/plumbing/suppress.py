"""Code findings, and the suppressions that silence them on purpose.

A finding is silenced by an inline comment on its line (or alone on the line
above)::

    verify = False  # readiness: ignore[tls.verify-off] lab device with a self-signed cert

or by a rule ignore in readiness.yaml (``codebases[].ignore: [{rule, paths,
reason}]``). A suppression always needs a reason, and every suppression is
reported beside the findings, so silencing is visible, never silent. No pytest.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

from pytest_readiness.plumbing.redact import mask_literals, mask_url_password
from pytest_readiness.plumbing.tree import context_of, excluded

INLINE = re.compile(r"#\s*readiness:\s*ignore(?:\[(?P<rules>[^\]]*)\])?(?P<reason>[^#]*)",
                    re.IGNORECASE)
SNIPPET_LIMIT = 160


@dataclass(frozen=True)
class CodeFinding:
    """A rule broken at a file and line; ``snippet`` is already redacted."""

    rule: str
    message: str
    file: str
    line: int | None = None
    snippet: str = ""
    level: str = "error"  # error | warning | note

    @property
    def context(self) -> str:
        return context_of(self.file)


@dataclass(frozen=True)
class Suppression:
    rule: str
    file: str
    line: int | None
    reason: str
    by: str  # "inline" or "config"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class IgnoreSpec(Protocol):
    rule: str
    paths: list[str]
    reason: str


def snippet(text: str) -> str:
    """A code line for a finding: trimmed, secrets and URL passwords redacted."""
    text = mask_literals(mask_url_password(text.strip()))
    return text if len(text) <= SNIPPET_LIMIT else text[: SNIPPET_LIMIT - 1] + "…"


def inline_rules(line: str) -> tuple[list[str], str] | None:
    """The rule patterns and reason of an inline ignore comment, or None.

    ``# readiness: ignore`` without brackets silences every rule on the line.
    """
    match = INLINE.search(line)
    if not match:
        return None
    rules = [r.strip() for r in (match["rules"] or "*").split(",") if r.strip()] or ["*"]
    return rules, match["reason"].strip()


def rule_matches(patterns: Iterable[str], rule: str, check_id: str = "") -> bool:
    return any(fnmatch.fnmatchcase(rule, p) or (check_id and fnmatch.fnmatchcase(check_id, p))
               for p in patterns)


def inline_suppression(lines: Sequence[str], finding: CodeFinding, check_id: str = ""
                       ) -> Suppression | None:
    """The inline ignore on the finding's line, or on a comment-only line just above."""
    if not finding.line:
        return None
    candidates = [finding.line]
    above = finding.line - 1
    if above >= 1 and above <= len(lines) and lines[above - 1].lstrip().startswith("#"):
        candidates.append(above)
    for number in candidates:
        if number > len(lines):
            continue
        parsed = inline_rules(lines[number - 1])
        if parsed and rule_matches(parsed[0], finding.rule, check_id):
            return Suppression(finding.rule, finding.file, finding.line,
                               parsed[1] or "(no reason given)", "inline")
    return None


def config_suppression(ignores: Iterable[IgnoreSpec], finding: CodeFinding, check_id: str = ""
                       ) -> Suppression | None:
    for ignore in ignores:
        if rule_matches([ignore.rule], finding.rule, check_id) and (
                not ignore.paths or excluded(finding.file, ignore.paths)):
            return Suppression(finding.rule, finding.file, finding.line, ignore.reason, "config")
    return None


@dataclass
class Filtered:
    kept: list[CodeFinding]
    suppressed: list[Suppression]


def apply(findings: Iterable[CodeFinding], lines_of: Any, ignores: Iterable[IgnoreSpec] = (),
          check_id: str = "") -> Filtered:
    """Split findings into kept and suppressed; ``lines_of(rel)`` gives a file's lines."""
    ignores = list(ignores)
    kept: list[CodeFinding] = []
    suppressed: list[Suppression] = []
    for finding in findings:
        found = config_suppression(ignores, finding, check_id) or inline_suppression(
            lines_of(finding.file) if finding.line else [], finding, check_id)
        if found:
            suppressed.append(found)
        else:
            kept.append(finding)
    return Filtered(kept, suppressed)


def with_snippet(finding: CodeFinding, lines_of: Any) -> CodeFinding:
    """The finding with its (redacted) source line as snippet when it has none: SARIF
    results and reports show the code, every time."""
    if finding.snippet or not finding.line:
        return finding
    lines = lines_of(finding.file)
    if not 0 < finding.line <= len(lines):
        return finding
    return replace(finding, snippet=snippet(lines[finding.line - 1]))


def demote_non_live(finding: CodeFinding) -> CodeFinding:
    """Findings in tests, docs and templates are notes: shown, never failing."""
    if finding.context == "code" or finding.level == "note":
        return finding
    return CodeFinding(finding.rule, f"{finding.message} [{finding.context}]", finding.file,
                       finding.line, finding.snippet, "note")


@dataclass
class Published:
    kept: list[CodeFinding]
    suppressed: list[Suppression]

    def at(self, level: str) -> list[CodeFinding]:
        return [f for f in self.kept if f.level == level]

    @property
    def errors(self) -> list[CodeFinding]:
        return self.at("error")

    @property
    def warnings(self) -> list[CodeFinding]:
        return self.at("warning")

    def summary(self, findings: list[CodeFinding], limit: int = 10) -> str:
        listed = "; ".join(f"{f.file}:{f.line} {f.message}" for f in findings[:limit])
        more = f" (and {len(findings) - limit} more)" if len(findings) > limit else ""
        return listed + more


def publish(recorder: Any, findings: Iterable[CodeFinding], lines_of: Any,
            ignores: Iterable[IgnoreSpec] = (), check_id: str = "",
            excluded_paths: Sequence[str] = ()) -> Published:
    """Record findings on a check's recorder (the ``readiness`` fixture), minus suppressions.

    Findings outside live code become notes; suppressions and config excludes
    are put in the evidence so a report shows what was silenced and why.
    """
    filtered = apply(findings, lines_of, ignores, check_id)
    kept = [demote_non_live(with_snippet(f, lines_of)) for f in filtered.kept]
    for f in kept:
        recorder.finding(f.rule, f.message, file=f.file, line=f.line, snippet=f.snippet,
                         level=f.level)
    counts = {level: sum(f.level == level for f in kept) for level in ("error", "warning", "note")}
    recorder.evidence(findings_by_level=counts)
    if filtered.suppressed:
        recorder.evidence(suppressed=[s.to_dict() for s in filtered.suppressed])
    if excluded_paths:
        recorder.evidence(excluded_paths=list(excluded_paths))
    return Published(kept, filtered.suppressed)


def publish_codebase(recorder: Any, codebase: Any, inventory: Any,
                     findings: Iterable[CodeFinding], check_id: str) -> Published:
    """:func:`publish` with a codebase target's ignores and excludes, lines from the parse cache."""
    from pytest_readiness.plumbing import pyast  # pyast is the heavier import; only suites need it

    return publish(recorder, findings, pyast.lines_of(inventory), codebase.spec.ignore, check_id,
                   codebase.spec.exclude)
