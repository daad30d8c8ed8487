"""Every output file of a run, written from one place, and the gates applied after them.

One writer function per format (:data:`WRITERS`) and one loop (:func:`write_outputs`)
that writes each asked-for file, used by an audit (:class:`ReportOutputs`, built from
the options in the controller process and called by the session once the record is
built) and by ``pytest-readiness merge``. A writer that fails never stops the others:
the failure is a note in the record (written last, so it carries the notes) and a line
on the terminal. Bad paths or an unreadable baseline are usage errors at start-up, not
surprises after a long audit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness import baseline as baseline_mod
from pytest_readiness import gates
from pytest_readiness import history as history_mod
from pytest_readiness.results import Record, display_path, output_path, read_record, write_record
from pytest_readiness.vocabulary import SEVERITIES


@dataclass(frozen=True)
class Where:
    """What a writer may need besides the record."""

    root: Path | None = None  # the audited directory: SARIF paths are relative to it
    runs: Sequence[Mapping[str, Any]] = ()  # earlier runs, for the HTML trend chart


def _text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_json(record: Record, path: Path, where: Where) -> None:
    write_record(record, path)


def write_markdown(record: Record, path: Path, where: Where) -> None:
    from pytest_readiness.report import markdown  # each renderer loads when its output is asked

    _text(path, markdown.render(record))


def write_html(record: Record, path: Path, where: Where) -> None:
    from pytest_readiness.report import html

    _text(path, html.render(record, where.runs))


def write_sarif(record: Record, path: Path, where: Where) -> None:
    from pytest_readiness.report import sarif

    sarif.write(record, path, where.root)


def write_prometheus(record: Record, path: Path, where: Where) -> None:
    from pytest_readiness.report import prometheus

    prometheus.write(record, path)


Writer = Callable[[Record, Path, Where], None]
# Format -> (writer, how the terminal names the file). The JSON record is written last
# by write_outputs, so that it carries the notes of any writer that failed.
WRITERS: dict[str, tuple[Writer, str]] = {
    "html": (write_html, "html report"),
    "sarif": (write_sarif, "sarif"),
    "prometheus": (write_prometheus, "prometheus metrics"),
    "markdown": (write_markdown, "report"),
    "json": (write_json, "record"),
}


def write_outputs(record: Record, paths: Mapping[str, Path | None], where: Where
                  ) -> list[tuple[str, Path]]:
    """Write each asked-for format (``{"html": path, ...}``); the (label, path) written.

    A writer that raises is skipped: its failure becomes a note of the record and the
    other files are still written.
    """
    written: list[tuple[str, Path]] = []
    for name, (writer, label) in WRITERS.items():
        path = paths.get(name)
        if path is None:
            continue
        try:
            writer(record, path, where)
        except Exception as exc:  # noqa: BLE001 - one broken output must not lose the others
            record.notes.append(f"could not write the {label} to {path.name}: "
                                f"{type(exc).__name__}: {exc}")
            continue
        written.append((label, path))
    return written


@dataclass(eq=False)  # registered as a plugin: must be hashable
class ReportOutputs:
    json_path: Path | None = None
    markdown_path: Path | None = None
    html_path: Path | None = None
    sarif_path: Path | None = None
    prometheus_path: Path | None = None
    baseline_path: Path | None = None
    history_dir: Path | None = None
    fail_on: str | None = None
    no_regressions: bool = False
    root: Path | None = None
    invocation_dir: Path | None = None  # output paths are shown relative to it
    baseline: Record | None = None
    gate_messages: list[str] = field(default_factory=list)
    written: list[tuple[str, Path]] = field(default_factory=list)
    record: Record | None = None  # the record finished, for the terminal summary

    def __post_init__(self) -> None:
        if self.fail_on is not None and self.fail_on not in SEVERITIES:
            raise pytest.UsageError(f"--readiness-fail-on: expected one of "
                                    f"{', '.join(SEVERITIES)} (got {self.fail_on!r})")
        if self.no_regressions and self.baseline_path is None:
            raise pytest.UsageError("--readiness-no-regressions needs --readiness-baseline PATH")
        if self.baseline_path is not None:
            try:
                self.baseline = read_record(self.baseline_path)
            except ValueError as exc:
                raise pytest.UsageError(f"--readiness-baseline: {exc}") from None
        if self.prometheus_path is not None and self.prometheus_path.suffix != ".prom":
            raise pytest.UsageError("--readiness-prometheus: the textfile collector reads only "
                                    f"files ending in .prom (got {self.prometheus_path})")

    # -- called by the session --------------------------------------------
    def finish(self, record: Record, session: pytest.Session) -> None:
        """Compare with the baseline, write every output, then apply the gates."""
        self.record = record
        if self.baseline is not None and self.baseline_path is not None:
            shown = display_path(self.baseline_path, self.root or Path.cwd())
            comparison = baseline_mod.compare(record, self.baseline, shown)
            record.baseline = comparison.to_dict()
        runs: list[dict[str, Any]] = []
        if self.history_dir is not None:
            try:
                saved = history_mod.save(record, self.history_dir)
                self.written.append(("history", saved))
                loaded = history_mod.load(self.history_dir)
                runs = loaded.runs
                record.notes.extend(loaded.problems)
            except OSError as exc:
                record.notes.append(f"could not keep the record in the history directory: "
                                    f"{exc}")
        paths = {"html": self.html_path, "sarif": self.sarif_path,
                 "prometheus": self.prometheus_path, "markdown": self.markdown_path,
                 "json": self.json_path}
        self.written += write_outputs(record, paths, Where(self.root, runs))
        self.apply_gates(record, session)

    def apply_gates(self, record: Record, session: pytest.Session) -> None:
        if record.incomplete:
            return  # an interrupted run keeps its own exit status
        if self.fail_on is not None:
            self._fail_on(record, session)
        regressed = gates.regressed(record)
        if self.no_regressions and regressed:
            self.gate_messages.append(f"no-regressions: NOT met ({len(regressed)} regressed: "
                                      f"{', '.join(regressed[:10])})")
            if session.exitstatus == gates.Exit.OK:
                session.exitstatus = gates.Exit.GATE_FAILED
        elif self.no_regressions:
            self.gate_messages.append("no-regressions: met")

    def _fail_on(self, record: Record, session: pytest.Session) -> None:
        """Failures at or above the severity fail the run; those below are reported only."""
        failing = gates.failing(record.checks)
        blocking = gates.fail_on(record.checks, str(self.fail_on))
        if blocking:
            self.gate_messages.append(
                f"fail-on {self.fail_on}: NOT met ({len(blocking)} check(s): "
                f"{', '.join(c.label for c in blocking[:10])})")
            if session.exitstatus == gates.Exit.OK:
                session.exitstatus = gates.Exit.GATE_FAILED
            return
        self.gate_messages.append(f"fail-on {self.fail_on}: met ({len(failing)} lower-severity "
                                  "failure(s) reported, not gating)")
        # Every pytest failure is a readiness check below the threshold: not a failed run.
        if session.exitstatus == gates.Exit.TESTS_FAILED and \
                session.testsfailed <= len(failing):
            session.exitstatus = gates.Exit.OK

    # -- terminal ----------------------------------------------------------
    def summary_lines(self, record: Record | None) -> list[str]:
        """Baseline, gates and the extra files written; the record and the Markdown report
        are named by the session beside the scorecard."""
        lines: list[str] = []
        if record is not None and record.baseline:
            lines += baseline_mod.summary_lines(record.baseline)
        lines += [f"gate {m}" for m in self.gate_messages]
        start = self.invocation_dir or Path.cwd()
        lines += [f"readiness {label}: {output_path(path, start)}" for label, path in self.written
                  if (label, path) not in self.beside_scorecard()]
        return lines

    def beside_scorecard(self) -> list[tuple[str, Path]]:
        """The record and the Markdown report, when written (the session names them)."""
        shown = {("record", self.json_path), ("report", self.markdown_path)}
        return [(label, path) for label, path in self.written if (label, path) in shown]

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        for line in self.summary_lines(self.record):
            terminalreporter.write_line(line)
