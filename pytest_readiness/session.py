"""The controller side of an audit: gather results, score once, write every report.

Registered only in the controller process (never in an xdist worker), as the plugin
``readiness-session``, like ``_pytest/junitxml.py``'s reporter. Reports may arrive
interleaved from several workers; each is keyed by node id.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness import gates, isolation
from pytest_readiness.lifecycle import Stopper, interruption, strip_group
from pytest_readiness.plumbing.redact import scrub
from pytest_readiness.report import terminal
from pytest_readiness.report.outputs import ReportOutputs
from pytest_readiness.results import (
    CheckPayload,
    CheckResult,
    Record,
    ScopeSummary,
    build_record,
    display_path,
    output_path,
)
from pytest_readiness.runtest import payload_of
from pytest_readiness.scoring import Policy, Scorecard
from pytest_readiness.selection import NOTES_KEY
from pytest_readiness.targets import Context
from pytest_readiness.vocabulary import Outcome, Verdict

# What an xdist worker hands the controller in ``workeroutput`` (plain strings).
USAGE_ERROR = "readiness_usage_error"
SELECTION_NOTES = "readiness_selection_notes"


def command_line(args: Sequence[str], root: Path) -> str:
    """The command that ran the audit, shell-quoted, redacted, with root-relative paths."""
    return shlex.join(["pytest", *(scrub(_relative_arg(arg, root)) for arg in args)])


def _relative_arg(arg: str, root: Path) -> str:
    flag, sep, value = arg.partition("=") if arg.startswith("-") else ("", "", arg)
    if value and os.path.isabs(value):
        value = display_path(value, root)
    return f"{flag}{sep}{value}"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class _Partial:
    payload: CheckPayload
    duration: float = 0.0


@dataclass(eq=False)  # plugins must be hashable
class ReadinessSession:
    config: pytest.Config
    context: Context
    fail_under: float | None = None
    started: str = field(default_factory=now_iso)
    _t0: float = field(default_factory=time.monotonic)
    _results: dict[str, _Partial] = field(default_factory=dict)
    _collected: dict[str, None] = field(default_factory=dict)  # ordered set of node ids
    stopper: Stopper = field(default_factory=Stopper)
    interrupted: tuple[str, str] | None = None
    record: Record | None = None
    outputs: ReportOutputs = field(default_factory=ReportOutputs)  # every file, extra gates
    shard: str | None = None  # "I/N" under --readiness-shard: the record is partial
    usage_error: str | None = None  # from an xdist worker's selection
    selection_notes: list[str] = field(default_factory=list)  # from xdist workers
    scope_notes: list[str] = field(default_factory=list)  # what the scope section could not say

    # -- lifecycle -------------------------------------------------------
    def pytest_sessionstart(self) -> None:
        self.stopper.install()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._collected.update((strip_group(i.nodeid), None) for i in session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self._collected.update((strip_group(i), None) for i in ids)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.interrupted = interruption(excinfo)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """An xdist worker is done: keep what its selection had to say."""
        output = getattr(node, "workeroutput", None) or {}
        if output.get(USAGE_ERROR) and self.usage_error is None:
            self.usage_error = str(output[USAGE_ERROR])
        for note in output.get(SELECTION_NOTES) or ():
            if note not in self.selection_notes:
                self.selection_notes.append(str(note))

    def not_run(self) -> list[str]:
        return [n for n in self._collected if n not in self._results]

    # -- gathering -------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        payload = payload_of(report)
        if payload is None:
            return
        partial = self._results.setdefault(strip_group(report.nodeid), _Partial(payload))
        partial.duration += report.duration
        if report.when != "teardown" or report.failed:
            partial.payload = payload

    def check_results(self) -> list[CheckResult]:
        return [partial.payload.result(nodeid, round(partial.duration, 4))
                for nodeid, partial in self._results.items()]

    # -- scoring and writing ----------------------------------------------
    def policy(self) -> Policy:
        scoring = self.context.config.scoring
        return Policy(weights=self.context.config.categories,
                      ready=scoring.thresholds.ready, conditional=scoring.thresholds.conditional,
                      min_checks=scoring.min_checks)

    def build(self, incomplete: bool = False) -> Record:
        root = self.context.base_dir
        config_path = self.context.config_path
        checks = self.check_results()
        scope = self.scope_summary(checks)
        notes = [*isolation.parent_notes(),
                 *(self.config.stash.get(NOTES_KEY, None) or self.selection_notes),
                 *self.scope_notes]
        record = build_record(
            self.context.config.system.name, checks, self.policy(),
            started=self.started, finished=now_iso(), duration_s=time.monotonic() - self._t0,
            hosts=[h.name for h in self.context.hosts], incomplete=incomplete,
            not_run=self.not_run() if incomplete else [],
            config=display_path(config_path, root) if config_path else None,
            command=command_line(self.config.invocation_params.args, root),
            notes=list(notes), shard=self.shard, scope=scope, profile=self.context.profile.name,
            levels={k: str(v) for k, v in self.context.config.levels.items()},
            kind=self.context.config.system.kind,
        )
        adjusted = self.config.hook.pytest_readiness_scorecard(
            scorecard=record.scorecard, config=self.config)
        if isinstance(adjusted, Scorecard):
            record.scorecard = adjusted
        return record

    def scope_summary(self, checks: list[CheckResult]) -> ScopeSummary | None:
        """What is production, for the record: when a codebase was audited (a check ran for
        one, or a finding names a file in one)."""
        names = {cb.target_name for cb in self.context.codebases}
        files = {str(f["file"]) for c in checks for f in c.findings
                 if isinstance(f.get("file"), str) and f["file"]
                 and not f["file"].startswith("/") and "://" not in f["file"]}
        if not files and not any(c.target in names and c.outcome != Outcome.SKIP
                                 for c in checks):
            return None
        try:
            return self.context.scope_summary(files)
        except OSError as exc:  # a codebase that vanished: the record says so, not a crash
            self.scope_notes.append(f"scope: files by role not counted ({exc})")
            return None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.stopper.uninstall()
        if self.config.getoption("readiness_list") or \
                exitstatus == pytest.ExitCode.USAGE_ERROR:
            return  # nothing was audited: no record, no report
        if self.usage_error:  # as a usage error without workers: exit 4, no record
            print(f"ERROR: {self.usage_error}", file=sys.stderr)
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
            return
        interrupted = exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR)
        if interrupted and self.interrupted is None:
            self.interrupted = ("interrupted",
                                f"the run ended early (pytest exit status {exitstatus})")
        self.record = record = self.build(incomplete=bool(interrupted))
        if self.interrupted:
            record.notes.append(f"incomplete ({self.interrupted[0]}): {self.interrupted[1]}; "
                                f"{len(record.not_run)} check(s) did not run")
        self.outputs.finish(record, session)  # baseline comparison, every file, extra gates
        if self.interrupted and self.interrupted[0] == "timeout":
            session.exitstatus = gates.Exit.TIMED_OUT
        elif session.exitstatus != pytest.ExitCode.OK:
            return
        elif record.scorecard.verdict == Verdict.NOT_ASSESSED:
            # Nothing assessed is not a pass. A shard's part may legitimately be all
            # skipped: the merged record decides, so a shard keeps pytest's status.
            if self.shard is None:
                session.exitstatus = gates.Exit.NOTHING_ASSESSED
        elif gates.verdict_failures(record.scorecard, self.fail_under):
            session.exitstatus = gates.Exit.GATE_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.record is None:
            return
        terminalreporter.write_sep("=", "readiness scorecard")
        for line in terminal.render(self.record, fail_under=self.fail_under):
            terminalreporter.write_line(line)
        for label, path in self.outputs.beside_scorecard():
            shown = output_path(path, self.config.invocation_params.dir)
            terminalreporter.write_line(f"readiness {label}: {shown}")
