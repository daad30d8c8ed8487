"""The outcome model: pass, warn, fail, error, skip, waived.

Warn is modelled the way pytest models xfail (``_pytest/skipping.py``): the
test report keeps one of pytest's three outcomes (a warned check is
``passed``), the readiness outcome travels beside it on
``report.user_properties`` and ``pytest_report_teststatus`` shows ``W``.

Everything a check records (evidence, findings) is kept on the item's stash
while it runs and leaves the worker as plain JSON-able values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_readiness.vocabulary import SEVERITIES, Level, priority_of


class WarnOutcome(Exception):
    """Raised by :func:`warn`; ends the check with a ``warn`` outcome."""

    __module__ = "pytest_readiness"


class CheckError(Exception):
    """Raised when a check cannot run (target unreachable, timeout, bad data).

    Any exception other than an assertion ends a check with ``error``; this one
    says so on purpose and its message is shown as is.
    """

    __module__ = "pytest_readiness"


def warn(message: str) -> None:
    """End the current check with a ``warn`` outcome and ``message``."""
    __tracebackhide__ = True
    raise WarnOutcome(message)


JsonValue = Any  # str | int | float | bool | None | list | dict of those


@dataclass
class Finding:
    """One located problem: a rule broken at a file and line (SARIF-able)."""

    rule: str
    message: str
    file: str | None = None
    line: int | None = None
    snippet: str = ""
    level: str = Level.ERROR

    def to_dict(self) -> dict[str, JsonValue]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


@dataclass
class Recorder:
    """The ``readiness`` fixture: what a check says beyond assert.

    ``readiness.evidence(days_left=12, issuer="R3")`` records facts shown in
    every report; ``readiness.finding(...)`` records a located problem;
    ``readiness.warn("expires in 25 days")`` ends the check with ``warn``.
    Values must be JSON-able; secrets must already be redacted.
    """

    values: dict[str, JsonValue] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    target: str | None = None

    def evidence(self, **values: JsonValue) -> None:
        self.values.update(values)

    def finding(self, rule: str, message: str, file: str | None = None,
                line: int | None = None, snippet: str = "", level: str = Level.ERROR) -> Finding:
        found = Finding(rule, message, file, line, snippet, level)
        self.findings.append(found)
        return found

    def warn(self, message: str) -> None:
        __tracebackhide__ = True
        raise WarnOutcome(message)

    def error(self, message: str) -> None:
        __tracebackhide__ = True
        raise CheckError(message)

    def as_evidence(self) -> dict[str, JsonValue]:
        evidence = dict(self.values)
        if self.findings:
            evidence["findings"] = [f.to_dict() for f in self.findings]
        return evidence


@dataclass(frozen=True)
class CheckMeta:
    """A check's metadata: module ``pytestmark`` defaults, function marker overrides."""

    id: str
    title: str
    section: str
    suite: str
    category: str
    severity: str
    fix: str

    @property
    def priority(self) -> str:
        return priority_of(self.severity)


def suite_name(module_name: str) -> str:
    """``pytest_readiness.suites.test_tls_certificate`` -> ``tls_certificate``."""
    return module_name.rsplit(".", 1)[-1].removeprefix("test_")


def check_meta(item: pytest.Item) -> CheckMeta | None:
    """Merge every ``readiness`` marker of an item, closest last; None when unmarked."""
    markers = list(item.iter_markers("readiness"))
    if not markers:
        return None
    merged: dict[str, Any] = {}
    for marker in reversed(markers):  # iter_markers yields closest first
        merged.update(marker.kwargs)
    function = getattr(item, "function", None)
    doc = (getattr(function, "__doc__", None) or "").strip()
    module = getattr(getattr(item, "module", None), "__name__", item.nodeid.split("::")[0])
    suite = suite_name(module)
    name = getattr(item, "originalname", item.name)
    return CheckMeta(
        id=str(merged.get("id") or f"{suite}.{name.removeprefix('test_')}"),
        title=str(merged.get("title") or (doc.splitlines()[0] if doc else name)),
        section=str(merged.get("section") or suite.replace("_", " ").title()),
        suite=suite,
        category=str(merged.get("category", "operations")),
        severity=str(merged.get("severity", "medium")),
        fix=str(merged.get("fix", "")),
    )


def validate_meta(meta: CheckMeta, categories: dict[str, float], where: str) -> str | None:
    """Return a problem with a check's metadata, or None."""
    if meta.severity not in SEVERITIES:
        return f"{where}: severity {meta.severity!r} is not one of {', '.join(SEVERITIES)}"
    if meta.category not in categories:
        return (f"{where}: category {meta.category!r} is not one of {', '.join(categories)} "
                "(declare new categories under scoring.weights in readiness.yaml)")
    return None


def first_line(text: str, limit: int = 300) -> str:
    line = next((part.strip() for part in str(text).splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"
