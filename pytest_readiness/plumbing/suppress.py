"""Suppressions: findings silenced on purpose, always with a reason, always reported.

A finding is silenced by an inline comment on its line (or alone on the line above)::

    verify = False  # readiness: ignore[auth.tls-verification] lab device, self-signed cert

or by a rule ignore in readiness.yaml (``codebases[].ignore: [{rule, paths, reason}]``).
``ignore[X]`` takes what the catalogue lists: a check id (all of its rules), a full rule
id (``secrets.hardcoded:api-key``) or a glob (``secrets.*``); several, comma-separated;
none (``# readiness: ignore``) silences every rule on the line. The rule names used
before rule ids joined the check-id namespace (``tls.verify-off``, ``secret.*``) still
work through :data:`RULE_ALIASES`, with a note that they are deprecated. Every
suppression is reported beside the findings, so silencing is visible, never silent.
No pytest.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from pytest_readiness.plumbing.findings import Finding, LineSource, check_of
from pytest_readiness.plumbing.redact import mask_literals, mask_url_password, redact_assignment
from pytest_readiness.plumbing.tree import excluded
from pytest_readiness.vocabulary import Level

INLINE = re.compile(r"#\s*readiness:\s*ignore(?:\[(?P<rules>[^\]]*)\])?(?P<reason>[^#]*)",
                    re.IGNORECASE)
SNIPPET_LIMIT = 160

# Rule names before they joined the check-id namespace (issue 18) -> the rule ids they are now.
RULE_ALIASES: dict[str, tuple[str, ...]] = {
    **{f"secret.{name}": (f"secrets.hardcoded:{name}", f"secrets.template-values:{name}")
       for name in ("private-key", "aws-access-key", "api-key", "stripe-key", "github-token",
                    "slack-token", "google-api-key", "jwt", "dsn-password", "hardcoded-password")},
    **{f"secret.{name}": (f"secrets.hardcoded:{name}",)
       for name in ("fallback-default", "keyword-argument", "assignment")},
    "secret.template-value": ("secrets.template-values",),
    "secret.env-committed": ("secrets.env-committed",),
    "secret.config-keys": ("secrets.config-keys",),
    "tls.verify-off": ("auth.tls-verification:verify-off",),
    "cors.wildcard-credentials": ("auth.cors-credentials",),
    "auth.jwt-secret": ("auth.jwt-secret-strength",),
    "auth.weak-password-hash": ("auth.password-hashing:weak-hash",),
    "auth.plaintext-password": ("auth.password-hashing:plaintext",),
    "auth.event-not-logged": ("auth.events-logged",),
    **{f"async.{name}": (f"async.blocking-calls:{name}",)
       for name in ("time-sleep", "sync-http", "sync-db", "subprocess", "file-io")},
    "async.sync-import": ("async.sync-driver-imports",),
    "resilience.breaker-unused": ("resilience.circuit-breaker:unused",),
    "pools.default-size": ("pools.explicit-size",),
    "compose.depends-on": ("compose.depends-on-healthy",),
    "compose.restart": ("compose.restart-policy",),
    "compose.limits": ("compose.resource-limits",),
    "compose.read-only": ("compose.read-only-rootfs",),
    "compose.literal-secret": ("compose.literal-secrets",),
    "compose.exposed-datastore": ("compose.exposed-datastores",),
    "compose.image-pinned": ("compose.images-pinned",),
    "compose.bind-mount": ("compose.bind-mounts",),
    "dockerfile.user": ("dockerfile.non-root-user",),
    "dockerfile.secrets": ("dockerfile.no-secrets",),
    "dockerfile.remote-add": ("dockerfile.no-remote-add",),
    "contracts.proto-drift": ("contracts.proto-copies", "contracts.proto-copies-found"),
    "contracts.stub-drift": ("contracts.stubs-match",),
    "contracts.breaking-change": ("contracts.breaking-changes",),
    "contracts.env-missing": ("contracts.env-provided",),
    "ci.scanner-cannot-fail": ("ci.security-scan:cannot-fail",),
    "ci.no-scanner": ("ci.security-scan:no-scanner",),
    "ci.action-pin": ("ci.dependencies-pinned:action-pin",),
    "ci.unpinned-dependency": ("ci.dependencies-pinned:unpinned",),
    "ci.no-lockfile": ("ci.dependencies-pinned:no-lockfile",),
    "monitoring.rule": ("monitoring.alert-rules",),
    "monitoring.alertmanager": ("monitoring.alertmanager-routes",),
    "monitoring.mounted-config": ("monitoring.mounted-configs",),
    "ops.doc-script": ("ops.doc-scripts-exist",),
    "ops.single-instance": ("ops.high-availability",),
    "ops.lb-config": ("ops.load-balancer-config",),
    "audit.literal-secret": ("audit.config-literal-secrets",),
}


@dataclass(frozen=True)
class Suppression:
    rule: str
    file: str | None
    line: int | None
    reason: str
    by: str  # "inline" or "config"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class IgnoreSpec(Protocol):
    """An ``ignore:`` entry of readiness.yaml (config.RuleIgnore)."""

    @property
    def rule(self) -> str: ...
    @property
    def paths(self) -> list[str]: ...
    @property
    def reason(self) -> str: ...


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


def expand(pattern: str) -> tuple[list[str], str | None]:
    """The rule-id patterns an ignore pattern stands for, and a note when it used an old
    rule name (``tls.verify-off``: ``auth.tls-verification:verify-off``)."""
    renamed = {old: new for old, new in RULE_ALIASES.items()
               if fnmatch.fnmatchcase(old, pattern)}
    patterns = [pattern, *(n for new in renamed.values() for n in new)]
    stale = [old for old, new in renamed.items()
             if not any(fnmatch.fnmatchcase(n, pattern) for n in new)]
    if not stale:
        return patterns, None
    now = sorted({n for old in stale for n in RULE_ALIASES[old]})
    return patterns, (f"ignore[{pattern}] uses rule names that are deprecated; write "
                      f"{', '.join(now[:6])}{' ...' if len(now) > 6 else ''}")


def rule_matches(patterns: Iterable[str], rule: str) -> bool:
    """A full rule id matched by a pattern, or its check id (silences all its rules)."""
    return any(fnmatch.fnmatchcase(rule, p) or fnmatch.fnmatchcase(check_of(rule), p)
               for p in patterns)


@dataclass
class Filtered:
    kept: list[Finding]
    suppressed: list[Suppression]
    deprecated: list[str] = field(default_factory=list)  # notes on old rule names used


class _Matcher:
    """Ignore patterns with their aliases expanded once, and the notes they gave."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def expanded(self, patterns: Iterable[str]) -> list[str]:
        out = []
        for pattern in patterns:
            more, note = expand(pattern)
            out += more
            if note and note not in self.notes:
                self.notes.append(note)
        return out


def inline_suppression(lines: Sequence[str], finding: Finding,
                       matcher: _Matcher | None = None) -> Suppression | None:
    """The inline ignore on the finding's line, or on a comment-only line just above."""
    if not finding.line:
        return None
    matcher = matcher or _Matcher()
    candidates = [finding.line]
    above = finding.line - 1
    if above >= 1 and above <= len(lines) and lines[above - 1].lstrip().startswith("#"):
        candidates.append(above)
    for number in candidates:
        if number > len(lines):
            continue
        parsed = inline_rules(lines[number - 1])
        if parsed and rule_matches(matcher.expanded(parsed[0]), finding.rule):
            return Suppression(finding.rule, finding.file, finding.line,
                               parsed[1] or "(no reason given)", "inline")
    return None


def config_suppression(ignores: Iterable[IgnoreSpec], finding: Finding,
                       matcher: _Matcher | None = None) -> Suppression | None:
    matcher = matcher or _Matcher()
    for ignore in ignores:
        if rule_matches(matcher.expanded([ignore.rule]), finding.rule) and (
                not ignore.paths or excluded(finding.file or "", ignore.paths)):
            return Suppression(finding.rule, finding.file, finding.line, ignore.reason, "config")
    return None


def apply(findings: Iterable[Finding], lines_of: LineSource,
          ignores: Iterable[IgnoreSpec] = ()) -> Filtered:
    """Split findings (with full rule ids) into kept and suppressed."""
    ignores = list(ignores)
    matcher = _Matcher()
    kept: list[Finding] = []
    suppressed: list[Suppression] = []
    for finding in findings:
        found = config_suppression(ignores, finding, matcher) or inline_suppression(
            lines_of(finding.file) if finding.line and finding.file else [], finding, matcher)
        if found:
            suppressed.append(found)
        else:
            kept.append(finding)
    return Filtered(kept, suppressed, matcher.notes)


def _line(finding: Finding, lines_of: LineSource) -> str | None:
    if not finding.line or not finding.file:
        return None
    lines = lines_of(finding.file)
    return lines[finding.line - 1] if 0 < finding.line <= len(lines) else None


def with_snippet(finding: Finding, lines_of: LineSource) -> Finding:
    """The finding with its source line as snippet when it has none (string literals that
    look secret masked): SARIF results and reports show the code, every time."""
    text = None if finding.snippet else _line(finding, lines_of)
    return finding if text is None else replace(finding, snippet=snippet(text))


def with_config_snippet(finding: Finding, lines_of: LineSource) -> Finding:
    """The same for a line of a deployment file: the value of a credential-named key is
    redacted too (``PASSWORD=…``)."""
    if finding.snippet:
        return finding
    return replace(finding, snippet=snippet(redact_assignment(_line(finding, lines_of) or "")))


def demote_non_live(finding: Finding) -> Finding:
    """Findings in tests, docs and templates are notes: shown, never failing."""
    if finding.context == "code" or finding.level == Level.NOTE:
        return finding
    return replace(finding, message=f"{finding.message} [{finding.context}]", level=Level.NOTE)
