"""Helpers shared by the benchmark scripts: machine load, timing, medians, tables.

Not a benchmark itself. The scripts run as ``python benchmarks/bench_*.py``, so this
directory is on ``sys.path`` and ``import _common`` works from each of them.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
# This machine is shared: a 1-minute load above this many runnable processes per CPU
# before a benchmark starts (or, at its end, above one per CPU: the benchmark itself
# keeps about one CPU busy) marks its figures as taken under load.
LOADED_AT_START = 0.5
LOADED_AT_END = 1.0


def loadavg() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:  # not available on this platform
        return (0.0, 0.0, 0.0)


@dataclass
class Load:
    """Machine load at the start and end of one benchmark (other jobs share the CPUs)."""

    name: str
    cpus: int = field(default_factory=lambda: os.cpu_count() or 1)
    start: tuple[float, float, float] = field(default_factory=loadavg)
    end: tuple[float, float, float] | None = None
    started: float = field(default_factory=time.perf_counter)

    def begin(self) -> Load:
        print(f"== {self.name}")
        print(f"machine: {platform.machine()}, {self.cpus} cpus, Python "
              f"{platform.python_version()}, {sys.executable}")
        print(f"load at start: {_fmt(self.start)}")
        return self

    def finish(self) -> None:
        self.end = loadavg()
        print(f"load at end:   {_fmt(self.end)}  -> {self.verdict()}")
        print(f"benchmark took {time.perf_counter() - self.started:.0f} s")

    @property
    def loaded(self) -> bool:
        busy_before = self.start[0] > LOADED_AT_START * self.cpus
        busy_after = self.end is not None and self.end[0] > LOADED_AT_END * self.cpus
        return busy_before or busy_after

    def verdict(self) -> str:
        if self.loaded:
            return "LOADED: other jobs shared the CPUs; figures may be off by up to ~2x"
        return "quiet: figures comparable"


def _fmt(load: Sequence[float]) -> str:
    return " / ".join(f"{x:.2f}" for x in load) + " (1 / 5 / 15 min)"


class Run(NamedTuple):
    wall: float  # seconds on the clock: what a user waits
    cpu: float  # user + system seconds of the process and every child it waited for
    done: subprocess.CompletedProcess[str]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: Sequence[str], cwd: Path | None = None, env: Mapping[str, str] | None = None,
        ok: Sequence[int] = (0,), timeout: float = 1800) -> Run:
    """Run ``command`` in a fresh process and time it; exits on an unexpected status.

    CPU time barely moves when other jobs share the CPUs, wall time can double: on a
    loaded machine compare CPU times too.
    """
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(list(command), cwd=cwd, env=None if env is None else dict(env),
                          capture_output=True, text=True, timeout=timeout, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(map(str, command))} (in {cwd}) exited {done.returncode}:\n"
                         f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return Run(elapsed, _children_cpu() - cpu, done)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def runs(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def verdict(ratio: float, target: float, lower_is_better: bool = True) -> str:
    met = ratio <= target if lower_is_better else ratio >= target
    return f"target {'<=' if lower_is_better else '>='} {target:g}: {'MET' if met else 'NOT MET'}"


def env_without(*names: str, **extra: str) -> dict[str, str]:
    """This process's environment less ``names`` (the audit's own switches), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.update(extra)
    return env


def block_foreign_plugins() -> list[str]:
    """``-p no:NAME`` for each installed pytest plugin an audit's own install lacks
    (isolation.foreign_plugins: hypothesis, from the [test] extra, costs ~0.9 s to
    import), printed once so the reader knows: runs that stand for "what a user pays"
    block them."""
    from pytest_readiness import isolation

    found = isolation.foreign_plugins()
    if found:
        print("blocked in every run (not part of an audit's install): " + ", ".join(found))
    return isolation.block_args(found)
