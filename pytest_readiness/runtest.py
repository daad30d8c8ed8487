"""Per-check hooks: turn a pytest report into a readiness outcome.

Runs in whichever process runs the test (an xdist worker or the only one).
The outcome and metadata leave on ``report.user_properties`` as plain values
under ``readiness.*`` keys, which survive xdist and show up in JUnit XML.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Generator
from typing import Any

import pytest

from pytest_readiness.config import Host
from pytest_readiness.fixtures import CONTEXT_KEY, RECORDER_KEY, target_name
from pytest_readiness.outcomes import CheckMeta, Outcome, WarnOutcome, first_line
from pytest_readiness.redact import scrub
from pytest_readiness.waivers import apply_waivers

META_KEY = pytest.StashKey[CheckMeta]()
PREFIX = "readiness."
# Letters and words in the terminal, like pytest's own for xfail.
STATUS = {
    "warn": ("warn", "W", ("WARN", {"yellow": True})),
    "waived": ("waived", "V", ("WAIVED", {"cyan": True})),
    "error": ("error", "E", ("ERROR", {"red": True})),
}


def item_target(item: pytest.Item) -> tuple[str | None, Host | None]:
    """The check's target (from its parametrisation) and the host behind it, if any."""
    recorder = item.stash.get(RECORDER_KEY, None)
    callspec = getattr(item, "callspec", None)
    host = None
    name = None
    for value in (callspec.params.values() if callspec else ()):
        if name is None:
            name = target_name(value)
        if isinstance(value, Host):
            host = value
        elif isinstance(getattr(value, "host", None), Host):
            host = value.host
    if recorder is not None and recorder.target:
        name = recorder.target
    return name, host


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
    target, host = item_target(item)
    if outcome == Outcome.ERROR and host is not None and host.optional:
        outcome, message = Outcome.WARN, f"optional host {host.name} unavailable: {message}"
    ctx = item.config.stash[CONTEXT_KEY]
    decision = apply_waivers(meta.id, target, outcome, ctx.config.waivers, dt.date.today())
    if decision.outcome == "waived" or outcome == Outcome.WARN:
        # A waived failure or a warning does not fail the pytest run.
        report.outcome = "passed"
        report.longrepr = None
    recorder = item.stash.get(RECORDER_KEY, None)
    evidence = recorder.as_evidence() if recorder else {}
    message = scrub(message)
    if report.failed:
        report.longrepr = _check_longrepr(meta, target, outcome, message, evidence, call)
    report.sections = [(title, scrub(text)) for title, text in report.sections]
    payload: dict[str, Any] = {
        "id": meta.id, "title": meta.title, "section": meta.section, "suite": meta.suite,
        "category": meta.category, "severity": meta.severity, "fix": meta.fix,
        "target": target, "outcome": str(decision.outcome), "message": message,
        "evidence": scrub(json.dumps(evidence, default=str, sort_keys=True)),
        "waiver": json.dumps(decision.waiver) if decision.waiver else "",
    }
    item.user_properties[:] = [p for p in item.user_properties if not str(p[0]).startswith(PREFIX)]
    item.user_properties.extend((PREFIX + k, v) for k, v in payload.items())
    report.user_properties = list(item.user_properties)
    return report


def _check_longrepr(meta: CheckMeta, target: str | None, outcome: str, message: str,
                    evidence: dict[str, Any], call: pytest.CallInfo[None]) -> str:
    """What the terminal and JUnit show for a failed check: the audit's words, not locals.

    A check's locals hold what it read from the target (file contents, responses), so
    ``--showlocals`` and assertion introspection must not reach the output. An unexpected
    exception keeps a short traceback (no locals) so that a broken check can be fixed.
    """
    name = f"{meta.id}[{target}]" if target else meta.id
    lines = [f"{name} {str(outcome).upper()}: {message}"]
    if evidence:
        shown = json.dumps(evidence, default=str, sort_keys=True)
        lines.append("evidence: " + (shown if len(shown) <= 2000 else shown[:1999] + "…"))
    lines.append(f"fix: {meta.fix}")
    if outcome == Outcome.ERROR and call.excinfo is not None:
        trace = call.excinfo.getrepr(style="short", showlocals=False, funcargs=False)
        lines += ["", str(trace)]
    return scrub("\n".join(lines))


def payload_of(report: pytest.TestReport) -> dict[str, Any] | None:
    found = {k[len(PREFIX):]: v for k, v in report.user_properties if str(k).startswith(PREFIX)}
    return found or None


def pytest_report_teststatus(report: pytest.TestReport) -> Any:
    payload = payload_of(report) if isinstance(report, pytest.TestReport) else None
    if not payload or report.when == "teardown" and report.passed:
        return None
    status = STATUS.get(payload["outcome"])
    if status and (report.when == "call" or payload["outcome"] == "error"):
        return status
    return None
