"""Per-check hooks: turn a pytest report into a readiness outcome.

Runs in whichever process runs the test (an xdist worker or the only one). The
result leaves as one :class:`~pytest_readiness.results.CheckPayload`, as plain
JSON-able values in the report's ``readiness_check`` attribute, which survives
xdist (``_pytest/reports.py`` serialises a report's attributes); the session
reads it back with :func:`payload_of`. JUnit XML (when written) gets the same fields as
``readiness.*`` properties on ``report.user_properties`` (evidence as JSON text,
the one place it is a string).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Generator
from typing import Any

import pytest

from pytest_readiness.boundary import scrub_evidence
from pytest_readiness.fixtures import CONTEXT_KEY, RECORDER_KEY, result_target, target_of
from pytest_readiness.marker import META_KEY, CheckMeta
from pytest_readiness.outcomes import CheckError, WarnOutcome, first_line
from pytest_readiness.plumbing.redact import scrub
from pytest_readiness.results import CheckPayload
from pytest_readiness.vocabulary import Outcome
from pytest_readiness.waivers import apply_waivers

PAYLOAD_ATTR = "readiness_check"  # the report attribute that carries the CheckPayload
PREFIX = "readiness."  # JUnit XML properties
# Letters and words in the terminal, like pytest's own for xfail.
STATUS = {
    Outcome.WARN: (str(Outcome.WARN), "W", ("WARN", {"yellow": True})),
    Outcome.WAIVED: (str(Outcome.WAIVED), "V", ("WAIVED", {"cyan": True})),
    Outcome.ERROR: (str(Outcome.ERROR), "E", ("ERROR", {"red": True})),
}


def _readiness_outcome(report: pytest.TestReport, call: pytest.CallInfo[None]) -> tuple[str, str]:
    """(outcome, message) for a setup or call report."""
    excinfo = call.excinfo
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        return Outcome.SKIP, reason.removeprefix("Skipped: ")
    if excinfo is None:
        return Outcome.PASS, ""
    if excinfo.errisinstance(WarnOutcome):
        return Outcome.WARN, first_line(str(excinfo.value))
    message = first_line(excinfo.exconly().split(": ", 1)[-1] if excinfo.value.args else
                         excinfo.typename)
    if report.when == "call" and excinfo.errisinstance((AssertionError, pytest.fail.Exception)):
        return Outcome.FAIL, message
    return Outcome.ERROR, f"{excinfo.typename}: {message}" if excinfo.typename not in message \
        else message


@pytest.hookimpl(tryfirst=True, specname="pytest_runtest_makereport")
def failed_check_report(item: pytest.Item,
                        call: pytest.CallInfo[None]) -> pytest.TestReport | None:
    """A check that raised gets its report without pytest's traceback, which the wrapper
    below replaces with the audit's words anyway (_check_longrepr): formatting it costs a
    parse of every module on the traceback, for each failing check."""
    excinfo = call.excinfo
    if item.stash.get(META_KEY, None) is None or excinfo is None or call.when == "collect" \
            or isinstance(excinfo.value, pytest.skip.Exception) \
            or hasattr(excinfo.value, "exceptions"):  # an exception group: pytest's own report
        return None
    sections = [(f"Captured {key} {when}", content)
                for when, key, content in getattr(item, "_report_sections", ())]
    return pytest.TestReport(
        item.nodeid, item.location, dict.fromkeys(item.keywords, 1), "failed",
        first_line(excinfo.exconly()), call.when, sections, call.duration, call.start,
        call.stop, user_properties=item.user_properties)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    meta = item.stash.get(META_KEY, None)
    if meta is None or call.when == "teardown" and report.passed:
        return report
    if call.when == "setup" and report.passed:
        return report
    outcome, message = _readiness_outcome(report, call)
    if call.when == "teardown":
        outcome = Outcome.ERROR
    target, host = result_target(item), target_of(item).host
    if outcome == Outcome.ERROR and host is not None and host.optional:
        outcome, message = Outcome.WARN, f"optional host {host.name} unavailable: {message}"
    ctx = item.config.stash[CONTEXT_KEY]
    decision = apply_waivers(meta.id, target, outcome, ctx.config.waivers, dt.date.today())
    if decision.outcome == Outcome.WAIVED or outcome == Outcome.WARN:
        # A waived failure or a warning does not fail the pytest run.
        report.outcome = "passed"
        report.longrepr = None
    recorder = item.stash.get(RECORDER_KEY, None)
    # Redacted here, once, for every report rendered from the record; the report's own
    # texts (longrepr, sections, properties) are scrubbed by pytest_readiness/boundary.py.
    evidence = scrub_evidence(recorder.as_evidence() if recorder else {})
    message = scrub(message)
    if report.failed:
        report.longrepr = _check_longrepr(meta, target, outcome, message, evidence, call)
    payload = CheckPayload(
        id=meta.id, title=meta.title, section=meta.section, suite=meta.suite,
        category=meta.category, severity=meta.severity, fix=meta.fix,
        target=target, outcome=str(decision.outcome), message=message,
        evidence=evidence, waiver=decision.waiver,
        assessed=recorder.assessed if recorder else True,
    )
    data = payload.to_dict()
    setattr(report, PAYLOAD_ATTR, data)
    if getattr(item.config.option, "xmlpath", None):  # only JUnit XML reads them
        item.user_properties[:] = [p for p in item.user_properties
                                   if not str(p[0]).startswith(PREFIX)]
        item.user_properties.extend(junit_properties(payload, data))
        report.user_properties = list(item.user_properties)
    return report


def junit_properties(payload: CheckPayload, data: dict[str, Any] | None = None
                     ) -> list[tuple[str, Any]]:
    """``readiness.*`` properties for JUnit XML: strings, evidence and waiver as JSON
    (``data``: the payload's ``to_dict()`` when the caller has it already)."""
    properties: list[tuple[str, Any]] = []
    for key, value in (data if data is not None else payload.to_dict()).items():
        if key == "evidence":
            value = json.dumps(value, default=str, sort_keys=True)
        elif key == "waiver":
            value = json.dumps(value) if value else ""
        properties.append((PREFIX + key, value))
    return properties


def _check_longrepr(meta: CheckMeta, target: str | None, outcome: str, message: str,
                    evidence: dict[str, Any], call: pytest.CallInfo[None]) -> str:
    """What the terminal and JUnit show for a failed check: the audit's words, not locals.

    A check's locals hold what it read from the target (file contents, responses), so
    ``--showlocals`` and assertion introspection must not reach the output. An unexpected
    exception keeps a short traceback (no locals) so that a broken check can be fixed;
    a CheckError (the check could not run, and its message says why and where) has none:
    it is the audit's answer, not a bug, and formatting a traceback costs pytest a parse
    of every module on it (a tree of unreadable files would pay that for each check).
    """
    name = f"{meta.id}[{target}]" if target else meta.id
    lines = [f"{name} {str(outcome).upper()}: {message}"]
    if evidence:
        shown = json.dumps(evidence, default=str, sort_keys=True)
        lines.append("evidence: " + (shown if len(shown) <= 2000 else shown[:1999] + "…"))
    lines.append(f"fix: {meta.fix}")
    if outcome == Outcome.ERROR and call.excinfo is not None and \
            not call.excinfo.errisinstance(CheckError):
        trace = call.excinfo.getrepr(style="short", showlocals=False, funcargs=False)
        lines += ["", str(trace)]
    return "\n".join(lines)


def payload_of(report: pytest.TestReport) -> CheckPayload | None:
    """The check result a report carries (from any process), or None for other tests."""
    data = getattr(report, PAYLOAD_ATTR, None)
    return CheckPayload.from_dict(data) if isinstance(data, dict) else None


def pytest_report_teststatus(report: pytest.TestReport) -> Any:
    data = getattr(report, PAYLOAD_ATTR, None) if isinstance(report, pytest.TestReport) else None
    if not isinstance(data, dict) or report.when == "teardown" and report.passed:
        return None
    outcome = data.get("outcome")  # the one field read: no payload built for it
    status = STATUS.get(outcome)  # type: ignore[arg-type]
    if status and (report.when == "call" or outcome == Outcome.ERROR):
        return status
    return None
