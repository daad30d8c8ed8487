"""The extra outputs and gates of a run: HTML, SARIF, Prometheus, baseline, history.

One object, built from the options in the controller process and called by the
session once the record is built (before the JSON and Markdown are written, so
the baseline comparison is part of the record). Bad paths or an unreadable
baseline are usage errors at start-up, not surprises after a long audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness import baseline as baseline_mod
from pytest_readiness import history as history_mod
from pytest_readiness.config import SEVERITIES
from pytest_readiness.report import html, prometheus, sarif
from pytest_readiness.results import Record, display_path, output_path, read_record

EXIT_GATE_FAILED = 6  # the same code as session.EXIT_GATE_FAILED (docs/exit-codes.md)


def severities_at_or_above(severity: str) -> set[str]:
    """``high`` -> {critical, high}."""
    return set(SEVERITIES[: SEVERITIES.index(severity) + 1])


@dataclass(eq=False)  # registered as a plugin: must be hashable
class ReportOutputs:
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
        """Compare, write every extra output, then apply the gates to the exit status."""
        if self.baseline is not None and self.baseline_path is not None:
            shown = display_path(self.baseline_path, self.root or Path.cwd())
            comparison = baseline_mod.compare(record, self.baseline, shown)
            record.baseline = comparison.to_dict()
        runs: list[dict[str, Any]] = []
        if self.history_dir is not None:
            saved = history_mod.save(record, self.history_dir)
            self.written.append(("history", saved))
            loaded = history_mod.load(self.history_dir)
            runs = loaded.runs
            record.notes.extend(loaded.problems)
        if self.html_path is not None:
            self._write(self.html_path, html.render(record, runs))
            self.written.append(("html report", self.html_path))
        if self.sarif_path is not None:
            sarif.write(record, self.sarif_path, self.root)
            self.written.append(("sarif", self.sarif_path))
        if self.prometheus_path is not None:
            prometheus.write(record, self.prometheus_path)
            self.written.append(("prometheus metrics", self.prometheus_path))
        self.apply_gates(record, session)

    @staticmethod
    def _write(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def apply_gates(self, record: Record, session: pytest.Session) -> None:
        if record.incomplete:
            return  # an interrupted run keeps its own exit status
        if self.fail_on is not None:
            self._fail_on(record, session)
        if self.no_regressions and record.baseline and record.baseline.get("regressed"):
            regressed = record.baseline["regressed"]
            self.gate_messages.append(f"no-regressions: NOT met ({len(regressed)} regressed: "
                                      f"{', '.join(regressed[:10])})")
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = EXIT_GATE_FAILED
        elif self.no_regressions:
            self.gate_messages.append("no-regressions: met")

    def _fail_on(self, record: Record, session: pytest.Session) -> None:
        """Failures at or above the severity fail the run; those below are reported only."""
        wanted = severities_at_or_above(str(self.fail_on))
        failing = [c for c in record.checks if c.outcome in ("fail", "error")]
        blocking = [c for c in failing if c.severity in wanted]
        if blocking:
            self.gate_messages.append(
                f"fail-on {self.fail_on}: NOT met ({len(blocking)} check(s): "
                f"{', '.join(c.label for c in blocking[:10])})")
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = EXIT_GATE_FAILED
            return
        self.gate_messages.append(f"fail-on {self.fail_on}: met ({len(failing)} lower-severity "
                                  "failure(s) reported, not gating)")
        # Every pytest failure is a readiness check below the threshold: not a failed run.
        if session.exitstatus == pytest.ExitCode.TESTS_FAILED and \
                session.testsfailed <= len(failing):
            session.exitstatus = pytest.ExitCode.OK

    # -- terminal ----------------------------------------------------------
    def summary_lines(self, record: Record | None) -> list[str]:
        lines: list[str] = []
        if record is not None and record.baseline:
            lines += baseline_mod.summary_lines(record.baseline)
        lines += [f"gate {m}" for m in self.gate_messages]
        start = self.invocation_dir or Path.cwd()
        lines += [f"readiness {label}: {output_path(path, start)}" for label, path in self.written]
        return lines

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        from pytest_readiness.session import SESSION_KEY

        session = config.stash.get(SESSION_KEY, None)
        lines = self.summary_lines(session.record if session is not None else None)
        for line in lines:
            terminalreporter.write_line(line)
