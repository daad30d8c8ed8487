"""A finding: one problem a rule found, at a file and line. The one type every probe
returns and every report shows (``evidence["findings"]``, SARIF results). Pure.

Rule ids and check ids are one namespace. A probe names a finding's rule within its
check: ``""`` when the check has one rule (the rule id is the check id,
``compose.healthcheck``), or a short name when a check has several (``"api-key"``).
:func:`qualify` makes the full id once the check is known (``secrets.hardcoded:api-key``),
which is what reports, SARIF and ``# readiness: ignore[...]`` see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pytest_readiness.plumbing.tree import context_of
from pytest_readiness.vocabulary import RULE_SEPARATOR, Level, full_rule

LineSource = Callable[[str], Sequence[str]]  # a file's lines by its relative path


@dataclass(frozen=True)
class Finding:
    """One problem: its rule, what is wrong, where (file, 1-based line), the offending line
    (``snippet``, already redacted) and how bad it is (``level``)."""

    rule: str
    message: str
    file: str | None = None
    line: int | None = None
    snippet: str = ""
    level: str = Level.ERROR

    @property
    def context(self) -> str:
        """code, test, docs or template: only code is live."""
        return context_of(self.file or "")

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else str(self.file)

    def to_dict(self) -> dict[str, Any]:
        """As the record keeps it: empty fields left out, the level as its word."""
        data = {"rule": self.rule, "message": self.message, "file": self.file,
                "line": self.line, "snippet": self.snippet, "level": str(self.level)}
        return {k: v for k, v in data.items() if v not in (None, "")}


@dataclass(frozen=True)
class RuleLevel:
    """When a rule reports a finding at a level (one line of the catalogue): the rule
    (``""`` for the check's own rule), the level it sets and in what case. Declared
    beside the rule, handed to the marker (``levels=``); a policy profile may re-grade
    it (profiles.py)."""

    rule: str
    level: Level
    when: str


def qualify(finding: Finding, check_id: str) -> Finding:
    """The finding with its full rule id: the check id, or ``<check id>:<rule>``."""
    rule = full_rule(check_id, finding.rule)
    return finding if rule == finding.rule else replace(finding, rule=rule)


def check_of(rule_id: str) -> str:
    """``secrets.hardcoded:api-key`` -> ``secrets.hardcoded``."""
    return rule_id.split(RULE_SEPARATOR, 1)[0]


def summary(findings: Sequence[Finding], limit: int) -> str:
    """``file:line message; ...`` of the first ``limit`` findings, and how many more."""
    listed = "; ".join(f"{f.file}:{f.line or '-'} {f.message}" for f in findings[:limit])
    more = f" (and {len(findings) - limit} more)" if len(findings) > limit else ""
    return listed + more
