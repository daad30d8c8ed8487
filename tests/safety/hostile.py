"""Running an audit the way a user does, under a time and a memory bound (issue 19).

The hostile tests start ``python -m pytest --readiness ...`` in a subprocess (the
audit re-executes itself once in place, see pytest_readiness/isolation.py), and a
watchdog thread follows every process of that run: the processes are found by a
unique token in their environment (``READINESS_HOSTILE_RUN``), not by parent pid,
so children that start their own session or are re-parented to init are seen too.

The watchdog samples the resident memory of all of them together every 50 ms
(``/proc/PID/status``; the peak of each process, ``VmHWM``, is kept as well, so a
spike between two samples still counts) and stops the run (SIGKILL to every
process of it) when the wall-clock bound or the memory bound is passed: a break
fails its test in seconds instead of eating the machine. After the run, whatever
is still alive carrying the token is recorded as a leftover, then killed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers.processes import describe, kill_all, processes_with, status_kb

MB = 1024 * 1024
# The acceptance bound of issue 19 for a hostile repository audited whole.
RUN_SECONDS = 60.0
RUN_MEMORY = 500 * MB
TOKEN_ENV = "READINESS_HOSTILE_RUN"
# Every output the audit can write, and where this module puts it.
OUTPUTS = {
    "json": ("--readiness-json", "out.json"),
    "markdown": ("--readiness-report", "out.md"),
    "html": ("--readiness-html", "out.html"),
    "sarif": ("--readiness-sarif", "out.sarif"),
    "prometheus": ("--readiness-prometheus", "out.prom"),
    "junit": ("--junitxml", "junit.xml"),
    "pytest-html": ("--html", "ph.html"),
    "log-file": ("--log-file", "pytest.log"),
}
# The variables of the outer pytest (and xdist) that must not reach the audited run.
_OUTER_ENV = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER",
              "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID", "PYTEST_READINESS_ISOLATED",
              "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "COV_CORE_SOURCE")


def synthetic_secret(prefix: str = "sk-live-") -> str:
    """A fresh value in a real secret's shape, never a real one (the repo's scan tells)."""
    return prefix + secrets.token_hex(16)


def output_args(*names: str) -> list[str]:
    """Command-line options writing the named outputs (all of them by default)."""
    args: list[str] = []
    for name in names or tuple(OUTPUTS):
        option, path = OUTPUTS[name]
        args += [option, path]
        if name == "pytest-html":
            args.append("--self-contained-html")
        if name == "log-file":
            args += ["--log-file-level=DEBUG"]
    return args


def read_outputs(directory: Path, names: Iterable[str] = OUTPUTS) -> dict[str, str]:
    """The text of each output written (missing ones are absent from the dict)."""
    texts = {}
    for name in names:
        path = directory / OUTPUTS[name][1]
        if path.is_file():
            with path.open("rb") as f:
                texts[name] = f.read(64 * MB).decode("utf-8", "replace")
    return texts


@dataclass
class Finished:
    argv: list[str]
    rc: int | None  # None: stopped by the watchdog
    stdout: str
    stderr: str
    elapsed: float
    peak_rss: int  # bytes, all the run's processes together
    stopped: str | None  # why the watchdog ended it ("took longer than ...", "used more ...")
    leftovers: list[str] = field(default_factory=list)  # "pid: cmdline" alive after the end
    tmp_left: list[str] = field(default_factory=list)  # names left in the run's TMPDIR

    @property
    def peak_mb(self) -> float:
        return self.peak_rss / MB

    def summary(self) -> str:
        tail = (self.stdout[-1500:] + "\n--- stderr ---\n" + self.stderr[-1500:]).strip()
        return (f"rc={self.rc} after {self.elapsed:.1f}s, peak {self.peak_mb:.0f} MB"
                f"{', stopped: ' + self.stopped if self.stopped else ''}\n{tail}")


class BoundedAudit:
    """One ``python -m pytest`` run followed by a watchdog (see the module docstring)."""

    def __init__(self, cwd: Path, args: Sequence[str], *, seconds: float,
                 memory: int = RUN_MEMORY, env: dict[str, str] | None = None,
                 readiness: bool = True) -> None:
        self.cwd = Path(cwd)
        self.token = secrets.token_hex(8)
        self.argv = [sys.executable, "-m", "pytest", *(["--readiness"] if readiness else []),
                     "-p", "no:cacheprovider", *args]
        self.seconds = seconds
        self.memory = memory
        base = {k: v for k, v in os.environ.items() if k not in _OUTER_ENV}
        # Short (an SSH control socket path must stay under ~100 bytes) and private to the
        # run, so what the audit leaves in it is seen (``Finished.tmp_left``), then removed.
        self.tmpdir = Path(tempfile.mkdtemp(prefix="rdy-h-", dir="/tmp"))
        # The test's own variables come first (a test may need one to be the first entry
        # of the audit's environment) and win; the run's token comes last.
        extra = dict(env or {})
        fixed = {**base, "TMPDIR": str(self.tmpdir), "HOME": str(self.tmpdir), "COLUMNS": "200"}
        self.env = {**extra, **{k: v for k, v in fixed.items() if k not in extra},
                    TOKEN_ENV: self.token}
        self.proc: subprocess.Popen[bytes] | None = None
        self.peak = 0
        self.stopped: str | None = None
        self._done = threading.Event()
        self._out = tempfile.TemporaryFile()
        self._err = tempfile.TemporaryFile()
        self.started = 0.0

    @property
    def needle(self) -> bytes:
        return f"{TOKEN_ENV}={self.token}".encode()

    def processes(self) -> list[int]:
        return processes_with(self.needle)

    def start(self) -> BoundedAudit:
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env,
                                     stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._err, start_new_session=True)
        threading.Thread(target=self._watch, daemon=True).start()
        return self

    def _watch(self) -> None:
        assert self.proc is not None
        while not self._done.is_set() and self.proc.poll() is None:
            pids = [self.proc.pid, *self.processes()]
            now, high = 0, 0
            for pid in set(pids):
                kb = status_kb(pid, "VmRSS", "VmHWM")
                now += kb.get("VmRSS", 0)
                high = max(high, kb.get("VmHWM", 0))
            self.peak = max(self.peak, now * 1024, high * 1024)
            if self.peak > self.memory:
                self.stopped = (f"used more than {self.memory / MB:.0f} MB "
                                f"({self.peak / MB:.0f} MB)")
            elif time.monotonic() - self.started > self.seconds:
                self.stopped = f"took longer than {self.seconds:g}s"
            if self.stopped:
                self._kill_run()
                return
            self._done.wait(0.05)

    def _kill_run(self) -> None:
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        kill_all(self.processes())

    def signal(self, signum: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def signal_group(self, signum: int) -> None:
        """Signal the run's process group (xdist workers included), as a CI cancel does."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signum)

    def wait(self, grace: float = 3.0) -> Finished:
        """Wait for the end (the watchdog bounds it); leftovers get ``grace`` to go."""
        assert self.proc is not None
        try:
            rc: int | None = self.proc.wait(self.seconds + 30)
        except subprocess.TimeoutExpired:  # the watchdog failed: never hang the test run
            self.stopped = self.stopped or f"took longer than {self.seconds:g}s"
            self._kill_run()
            rc = self.proc.wait(10)
        elapsed = time.monotonic() - self.started
        self._done.set()
        if self.stopped:
            rc = None
        deadline = time.monotonic() + grace
        alive = self.processes()
        while alive and time.monotonic() < deadline:
            time.sleep(0.1)
            alive = self.processes()
        leftovers = describe(alive)
        kill_all(alive)
        tmp_left = sorted(os.listdir(self.tmpdir)) if self.tmpdir.is_dir() else []
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        return Finished(self.argv, rc, self._text(self._out), self._text(self._err), elapsed,
                        self.peak, self.stopped, leftovers, tmp_left)

    @staticmethod
    def _text(f: tempfile._TemporaryFileWrapper[bytes]) -> str:  # type: ignore[name-defined]
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - 16 * MB))
        return f.read().decode("utf-8", "replace")


def audit(cwd: Path, *args: str, seconds: float, memory: int = RUN_MEMORY,
          env: dict[str, str] | None = None) -> Finished:
    """Run ``pytest --readiness ARGS`` in ``cwd`` to its end, within the bounds."""
    return BoundedAudit(cwd, args, seconds=seconds, memory=memory, env=env).start().wait()
