"""Where text leaves the process: one scrubber at every boundary, one escaper per output.

An audit reads what it audits (error bodies, certificate fields, file names, command lines
with passwords) and pytest writes what it reads to many places. Everything that leaves goes
through :func:`~pytest_readiness.plumbing.redact.scrub` (secrets redacted) and, for text a
terminal shows, :func:`~pytest_readiness.escape.terminal` (controls shown):

- every test report, every phase (this module's ``pytest_runtest_makereport``): the
  failure text, the skip reason (setup and call), the xfail reason, the captured sections
  (stdout, stderr, log) and the user properties (JUnit ``<property>``), so the terminal at
  any verbosity (``-q`` .. ``-vv -rA``), JUnit XML and pytest-html show the same text;
- every collection report (collection errors and skips);
- every log record, through a filter on each handler pytest writes logs with (live
  logging, ``--log-file``, the captured log of a report) and on the root logger's own
  handlers: a logger's filter would see only the records of that one logger;
- the check result itself (message and evidence, pytest_readiness/runtest.py), from which
  every readiness report is rendered; the renderers escape for their output
  (pytest_readiness/report/*).

Registered under ``--readiness`` only, in every process (xdist workers too).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Generator
from typing import Any

import pytest

from pytest_readiness.escape import terminal
from pytest_readiness.plumbing.redact import remember_clean, scrub


def outbound(text: str) -> str:
    """Text a terminal, a log or a report may show: secrets redacted, controls shown."""
    return terminal(scrub(text))


def scrub_evidence(evidence: dict[str, Any]) -> dict[str, Any]:
    """Evidence made JSON-able and redacted as one text (a secret beside its name in a
    nested value is seen with its name), exactly what every report shows."""
    text = json.dumps(evidence, default=str, sort_keys=True)
    try:
        scrubbed = json.loads(scrub(text))
    except ValueError:  # never expected (scrub keeps quotes and escapes); redact value by value
        scrubbed = _scrub_values(json.loads(text))
    if not isinstance(scrubbed, dict):
        return {}
    # Shown again as this very text (JUnit XML's readiness.evidence): not scanned twice.
    remember_clean(json.dumps(scrubbed, default=str, sort_keys=True))
    return scrubbed


def _scrub_values(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrub_values(v) for v in value]
    if isinstance(value, dict):
        return {scrub(str(k)): _scrub_values(v) for k, v in value.items()}
    return value


def _scrub_longrepr(longrepr: Any) -> Any:
    if longrepr is None:
        return None
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        path, line, reason = longrepr
        return (path, line, outbound(str(reason)))
    text = str(longrepr)
    cleaned = outbound(text)
    # A traceback object keeps pytest's own rendering (colours) unless it held a secret.
    return longrepr if cleaned == text and not isinstance(longrepr, str) else cleaned


def scrub_report(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Every text of a report that any output shows, scrubbed in place."""
    report.longrepr = _scrub_longrepr(report.longrepr)
    report.sections = [(title, outbound(text)) for title, text in report.sections]
    if isinstance(getattr(report, "wasxfail", None), str):
        report.wasxfail = outbound(report.wasxfail)  # type: ignore[union-attr]
    if isinstance(report, pytest.TestReport):
        report.user_properties = [(name, scrub(value) if isinstance(value, str) else value)
                                  for name, value in report.user_properties]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # tryfirst: the outermost wrapper, so it sees the report after every other one changed
    # it (the readiness outcome, pytest's skipping and xfail).
    report = yield
    scrub_report(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    scrub_report(report)
    return report


# -- log records ----------------------------------------------------------------------

_SCRUBBED = "_readiness_scrubbed"  # a record already scrubbed by one handler's filter


class ScrubLogRecords(logging.Filter):
    """Redacts a record in place before a handler formats it: its message (arguments
    merged in), its traceback and its stack. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _SCRUBBED, False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: the handler reports it as usual
            return True
        record.msg, record.args = outbound(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = outbound(record.exc_text)
        if record.stack_info:
            record.stack_info = outbound(record.stack_info)
        setattr(record, _SCRUBBED, True)
        return True


_FILTER = ScrubLogRecords()
_PYTEST_HANDLERS = ("log_cli_handler", "log_file_handler", "caplog_handler", "report_handler")
_FILTERED = pytest.StashKey[list[logging.Handler]]()


def pytest_sessionstart(session: pytest.Session) -> None:
    """The filter on every handler that writes logs during the audit."""
    config = session.config
    logging_plugin = config.pluginmanager.get_plugin("logging-plugin")
    handlers = [getattr(logging_plugin, name, None) for name in _PYTEST_HANDLERS]
    handlers += logging.getLogger().handlers
    added = []
    for handler in handlers:
        if isinstance(handler, logging.Handler) and _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
            added.append(handler)
    config.stash[_FILTERED] = added


def pytest_unconfigure(config: pytest.Config) -> None:
    """Handlers outlive a session run in-process (pytester): leave them as they were."""
    for handler in config.stash.get(_FILTERED, []):
        handler.removeFilter(_FILTER)
