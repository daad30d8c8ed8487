"""pytest-html integration: the scorecard and chart in its summary, readiness columns per row.

Registered by the plugin only in the controller and only when pytest-html is
writing a report (``--html``). Every value is escaped: pytest-html inserts
these cells as raw HTML, its own test id cell included (escaped here too).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_readiness.escape import html as escape
from pytest_readiness.report.charts import scorecard_bars
from pytest_readiness.report.common import (
    basis_text,
    category_score_text,
    caveats,
    fmt_score,
    grading,
    truncate,
    verdict_text,
)
from pytest_readiness.runtest import payload_of
from pytest_readiness.vocabulary import PROBLEMS

COLUMNS = ("category", "severity", "readiness")


def _record(session: pytest.Session) -> Any:
    # The audit's session plugin (audit_hooks.py registers it under this name, in the controller).
    readiness = session.config.pluginmanager.get_plugin("readiness-session")
    if readiness is None:
        return None
    # pytest-html may finish before the readiness session does: build the same record.
    return readiness.record if readiness.record is not None else readiness.build()


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_summary(prefix: list[str], summary: list[str], postfix: list[str],
                                session: pytest.Session) -> None:
    record = _record(session)
    if record is None:
        return
    card = record.scorecard
    rows = "".join(
        f"<tr><td>{escape(c.name)}</td><td>{category_score_text(c)}</td><td>{c.weight:g}</td>"
        f"<td>{c.weighted:.1f}</td></tr>"
        for c in card.categories if c.score is not None or c.counts)
    prefix.append(
        f'<div class="readiness-summary"><h2>Production readiness: {escape(record.system)}</h2>'
        f'<p class="readiness-verdict"><b>{escape(verdict_text(record))}</b> — overall score '
        f"<b>{fmt_score(card.overall)}</b> / 100</p>"
        + "".join(f'<p class="readiness-caveat">{escape(line)}</p>' for line in caveats(record))
        + f'<p class="readiness-basis">{escape(basis_text(record))}</p>'
        + f'<p class="readiness-profile">{escape(grading(record))}</p>'
        + f"{scorecard_bars(card)}"
        f'<table class="readiness-scorecard"><tr><th>Category</th><th>Score</th><th>Weight</th>'
        f"<th>Weighted</th></tr>{rows}</table>"
        + (f"<p>Blockers: {escape(', '.join(card.blockers))}</p>" if card.blockers else "")
        + "</div>")


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_header(cells: list[str]) -> None:
    cells.insert(2, '<th class="sortable" data-column-type="readiness">Readiness</th>')
    cells.insert(2, '<th class="sortable" data-column-type="severity">Severity</th>')
    cells.insert(2, '<th class="sortable" data-column-type="category">Category</th>')


_TEST_ID_CELL = '<td class="col-testId">'


def escape_test_id(cells: list[str]) -> None:
    """pytest-html 4 inserts the node id raw in its test id cell, and a node id holds the
    target's name (a file named ``Dockerfile.<img src=x onerror=...>``): escaped here.
    A cell that holds no ``<``, ``>`` or ``"`` is left as it is (escaped already, or plain)."""
    for index, cell in enumerate(cells):
        if cell.startswith(_TEST_ID_CELL) and cell.endswith("</td>"):
            text = cell[len(_TEST_ID_CELL):-len("</td>")]
            if any(c in text for c in '<>"'):
                cells[index] = f"{_TEST_ID_CELL}{escape(text)}</td>"


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_row(report: pytest.TestReport, cells: list[str]) -> None:
    escape_test_id(cells)
    payload = payload_of(report)
    values = [payload.category, payload.severity, str(payload.outcome).upper()] if payload \
        else ["", "", ""]
    for name, value in reversed(list(zip(COLUMNS, values, strict=True))):
        cells.insert(2, f'<td class="col-{name}">{escape(str(value))}</td>')


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_html(report: pytest.TestReport, data: list[str]) -> None:
    payload = payload_of(report)
    if not payload:
        return
    lines = [f"{payload.id}[{payload.target}] {str(payload.outcome).upper()}: {payload.message}"]
    lines += [f"{k}: {truncate(v if isinstance(v, str) else json.dumps(v, default=str))}"
              for k, v in payload.evidence.items()]
    if payload.fix and payload.outcome in PROBLEMS:
        lines.append(f"fix: {payload.fix}")
    data.insert(0, '<div class="readiness-evidence"><pre>'
                + escape("\n".join(lines)) + "</pre></div>")
