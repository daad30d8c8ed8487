"""The ``readiness`` fixture: what a check says beyond ``assert``.

A :class:`Recorder` knows the check it belongs to (its id, from the marker) and what
the check audits (``readiness.target``). A check records facts with
``readiness.evidence(...)``, ends with ``readiness.warn(...)`` or
``readiness.error(...)``, and hands its findings to :meth:`Recorder.conclude`, the one
place where the level of the findings a check keeps decides its outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness import profiles
from pytest_readiness.marker import CheckMeta
from pytest_readiness.outcomes import CheckError, WarnOutcome
from pytest_readiness.plumbing import pyast, suppress
from pytest_readiness.plumbing.findings import Finding, LineSource, qualify, summary
from pytest_readiness.plumbing.reader import Reader
from pytest_readiness.plumbing.scope import Role, Scope
from pytest_readiness.plumbing.suppress import Suppression
from pytest_readiness.profiles import BASELINE, Profile, level_for
from pytest_readiness.targets import Artefact, CodebaseTarget, ComposeTarget, Context, ProtoGroup
from pytest_readiness.vocabulary import LEVELS, Level, Outcome, worst_level

JsonValue = Any  # str | int | float | bool | None | list | dict of those
# A conclusion's words: a phrase ("service(s) without a healthcheck", the message is
# "N phrase: file:line message; ...") or a function of the findings giving the message.
Message = str | Callable[[Sequence[Finding]], str]
# How many findings a message lists: code findings (errors, warnings), file findings.
SHOWN_CODE = (10, 5)
SHOWN_FILES = (8, 8)


@dataclass(frozen=True)
class Concluded:
    """What a check that passed kept (notes, at most) and what was silenced."""

    kept: list[Finding]
    suppressed: list[Suppression]


def _no_lines(rel: str) -> list[str]:
    return []


def file_lines(paths: dict[str, Path], context: Context | None = None) -> LineSource:
    """Lines of the files named (rel -> path), for findings in files outside the target;
    read through the audit's readers (plumbing/reader.py: bounded, contained, once)."""
    def lines_of(rel: str) -> list[str]:
        path = paths.get(rel)
        if path is None:
            return []
        reader = context.reader_for(path) if context is not None else Reader(path.parent)
        try:
            content = reader.read(path)
            content.utf8()  # what is not UTF-8 has no lines to show
        except OSError:
            return []
        return content.lines
    return lines_of


@dataclass
class Recorder:
    """``readiness.evidence(days_left=12, issuer="R3")`` records facts shown in every report;
    ``readiness.conclude(findings, "what they are")`` records findings and ends the check;
    ``readiness.warn("expires in 25 days")`` ends it with ``warn``. Values must be
    JSON-able; secrets must already be redacted.

    ``readiness.target`` is what the check audits: the configured target it runs for (a
    :class:`CodebaseTarget`, :class:`Artefact`, ``Endpoint``, ``Host``...), or a name a
    check with no configured target gives itself (``readiness.target = "fleet"``).
    """

    check: CheckMeta | None = None
    target: Any = None
    context: Context | None = None
    values: dict[str, JsonValue] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    # False: the result rests on what was not found, and is no evidence that its category
    # was assessed (scoring.py: insufficient evidence). See :meth:`not_assessed`.
    assessed: bool = True

    @property
    def target_name(self) -> str | None:
        """The target's name in reports."""
        if self.target is None or isinstance(self.target, str):
            return self.target
        name = getattr(self.target, "target_name", None)
        return str(name) if name is not None else None

    def evidence(self, **values: JsonValue) -> None:
        self.values.update(values)

    def finding(self, rule: str, message: str, file: str | None = None,
                line: int | None = None, snippet: str = "", level: str = Level.ERROR) -> Finding:
        """Record a located problem as is (no suppression, no bearing on the outcome); most
        checks hand their findings to :meth:`conclude` instead."""
        found = Finding(rule, message, file, line, snippet, level)
        self.findings.append(found)
        return found

    def not_assessed(self, why: str) -> None:
        """Say that this result rests on the absence of its subject, not on evidence (no
        runbook in a tree whose kind is not declared). It is reported and counts in a
        category that other checks assessed, but alone it gives the category no score:
        the absence of evidence is never a verdict."""
        self.assessed = False
        self.evidence(not_assessed=why)

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

    # -- concluding -----------------------------------------------------------------
    def codebase(self) -> CodebaseTarget | None:
        """The codebase the target belongs to (its ``ignore:`` and ``exclude:``)."""
        if isinstance(self.target, CodebaseTarget):
            return self.target
        if isinstance(self.target, (Artefact, ComposeTarget)):
            return self.target.codebase
        return None

    def scope(self) -> Scope | None:
        """The roles of the files of the codebase the target belongs to."""
        codebase = self.codebase()
        if codebase is None or self.context is None:
            return None
        return self.context.scope(codebase)

    def lines(self) -> LineSource:
        """Where a finding's line is read (for its snippet and inline ignores): the
        codebase's files, the artefact's own file, the files of a proto group."""
        if isinstance(self.target, CodebaseTarget) and self.context is not None:
            return pyast.lines_of(self.context.inventory(self.target))
        if isinstance(self.target, Artefact):
            return file_lines({self.target.rel: self.target.path}, self.context)
        if isinstance(self.target, ProtoGroup):
            return file_lines(dict(zip(self.target.rels, self.target.paths, strict=True)),
                              self.context)
        return _no_lines

    @property
    def profile(self) -> Profile:
        """The policy profile the audit runs under (``baseline`` without a context)."""
        return self.context.profile if self.context is not None else BASELINE

    def level_of(self, finding: Finding) -> Level:
        """The level a finding counts at under the audit's profile (and readiness.yaml's
        ``levels:``), from the level its rule found: :func:`profiles.level_for`."""
        check_id = self.check.id if self.check is not None else ""
        return level_for(check_id, finding.rule, finding.level, self.profile)

    def graded(self, findings: Iterable[Finding]) -> list[Finding]:
        """Findings at the level they count at; what the profile or readiness.yaml changed
        is kept in the evidence (``regraded``: rule -> "found -> level (by what)")."""
        check_id = self.check.id if self.check is not None else ""
        out = []
        changed: dict[str, str] = dict(self.values.get("regraded") or {})
        for found in findings:
            level, by = profiles.graded(check_id, found.rule, found.level, self.profile)
            if level != found.level:
                changed[found.rule] = f"{found.level} -> {level} ({by})"
                found = replace(found, level=level)
            out.append(found)
        if changed:
            self.evidence(regraded=changed)
        return out

    def scoped(self, findings: Iterable[Finding],
               judged_roles: Collection[Role] = ()) -> list[Finding]:
        """Findings capped at note in a file that is not production (its role in brackets
        after the message; the reason in the record's scope section), after the profile
        graded them. A finding without a file takes the role of the artefact the check
        audits, and keeps its level otherwise. Findings in files readiness.yaml's
        ``scope:`` leaves out are dropped (counted in the evidence). ``judged_roles``:
        roles this check judges as it judges production (the templates
        ``secrets.template-values`` audits, the documents of ``ops.*``)."""
        scope = self.scope()
        audited = scope.judge(self.target.rel) if scope is not None and \
            isinstance(self.target, Artefact) else None
        if audited is not None and not audited.production:
            self.evidence(role=str(audited.role), role_reason=audited.reason)
        out: list[Finding] = []
        left_out = capped = 0
        for finding in findings:
            judged = audited
            if scope is not None and finding.file:
                if scope.out_of_scope(finding.file):
                    left_out += 1
                    continue
                judged = scope.judge(finding.file)
            if judged is not None and not judged.production and finding.level != Level.NOTE \
                    and judged.role not in judged_roles:
                capped += 1
                finding = replace(finding, level=Level.NOTE,
                                  message=f"{finding.message} [{judged.role}]")
            out.append(finding)
        if capped:
            self.evidence(not_production_notes=capped)
        if left_out:
            self.evidence(out_of_scope=left_out)
        return out

    def conclude(self, findings: Iterable[Finding], what: Message, *,
                 warning: Message | None = None, lines: LineSource | None = None,
                 code: bool = False, judged_roles: Collection[Role] = ()) -> Concluded:
        """Record ``findings`` and end the check by the worst level among those kept.

        Rule ids are made full (``check id`` or ``check id:rule``), inline
        ``# readiness: ignore[...]`` comments and the codebase's ``ignore:`` entries
        are applied, and findings and suppressions go to the evidence. Each finding is
        then graded: the level its rule found, re-graded by the profile and
        readiness.yaml's ``levels:`` (:meth:`graded`), then capped at note where it is
        not live (below). Then any ``error`` fails the check ("N what: file:line
        message; ..."), else any ``warning`` warns (``warning``, default "N what
        (warning): ..."), else it passes (notes stay in the evidence). ``lines`` reads a
        file's lines by its path (default: from the target). ``code=True`` for findings
        in source code: those outside live code (tests, docs, templates) become notes,
        whatever the profile says, and the evidence counts findings by level. Findings in
        files that are not production are notes too (:meth:`scoped`; ``judged_roles`` for
        a check whose subject is such files).
        """
        __tracebackhide__ = True
        findings = list(findings)
        check_id = self.check.id if self.check is not None else ""
        local = {qualify(f, check_id).rule.partition(":")[2] for f in findings}
        undeclared = sorted(local - {""} - set(self.check.rules if self.check else ()))
        if undeclared and self.check is not None:
            raise CheckError(f"{check_id}: rule(s) {', '.join(undeclared)} not declared in the "
                             "readiness marker (rules=[...]), so the catalogue cannot list them")
        codebase = self.codebase()
        lines_of = lines or self.lines()
        filtered = suppress.apply([qualify(f, check_id) for f in findings], lines_of,
                                  codebase.spec.ignore if codebase else ())
        graded_findings = self.graded(filtered.kept)
        # Caps come after the profile: a finding that is not live stays a note whatever
        # the profile or readiness.yaml says.
        if code:
            kept = [suppress.demote_non_live(suppress.with_snippet(f, lines_of))
                    for f in graded_findings]
        else:
            kept = [suppress.with_config_snippet(f, lines_of) for f in graded_findings]
        kept = self.scoped(kept, judged_roles)
        self.findings.extend(kept)
        if code:
            self.evidence(findings_by_level={str(level): sum(f.level == level for f in kept)
                                             for level in LEVELS})
        if filtered.suppressed:
            self.evidence(suppressed=[s.to_dict() for s in filtered.suppressed])
        if filtered.deprecated:
            self.evidence(deprecated_rule_names=filtered.deprecated)
        if code and codebase is not None and codebase.spec.exclude:
            self.evidence(excluded_paths=list(codebase.spec.exclude))
        if isinstance(self.target, CodebaseTarget) and self.context is not None:
            # What the codebase's rules could not read is said, never passed in silence.
            unread = self.context.inventory(self.target).not_read()
            if unread:
                self.evidence(not_read=unread)
        worst = worst_level(f.level for f in kept)
        outcome = worst.outcome if worst is not None else Outcome.PASS
        shown_errors, shown_warnings = SHOWN_CODE if code else SHOWN_FILES
        if outcome == Outcome.FAIL:
            errors = [f for f in kept if f.level == Level.ERROR]
            pytest.fail(_say(what, errors, shown_errors), pytrace=False)
        if outcome == Outcome.WARN:
            warnings = [f for f in kept if f.level == Level.WARNING]
            said = warning if warning is not None else (
                f"{what} (warning)" if isinstance(what, str) else what)
            self.warn(_say(said, warnings, shown_warnings))
        return Concluded(kept, filtered.suppressed)


def _say(what: Message, findings: Sequence[Finding], shown: int) -> str:
    if callable(what):
        return what(findings)
    return f"{len(findings)} {what}: {summary(findings, shown)}"
