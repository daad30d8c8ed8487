"""Reports: time to score and write every report for 10,000 check results,
against pytest's own JUnit XML writer on the same run.

    python benchmarks/bench_reports.py [--checks 10000]

One real ``pytest --readiness`` run of N trivial readiness checks (a mix of pass,
warn, fail, skip, with evidence and findings) with ``--junitxml`` and every
readiness report switched on. A conftest beside the checks times, inside that run,
every hook implementation of pytest's JUnit writer and of the readiness plugin
(found by the module that defines them, so no internal is named):
``pytest_sessionfinish`` (JUnit: write the XML; readiness: record, scoring, JSON,
Markdown, HTML, SARIF, Prometheus), ``pytest_runtest_logreport`` summed over the
results, and the readiness ``pytest_terminal_summary``. The session-finish ratio
is the figure of issue 17 (target <= 1.5x). Then the renderers run one by one on
the same record in-process. Run on purpose, never from the tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import _internals
from _common import Load, block_foreign_plugins, env_without, run, verdict

TARGET = 1.5

CHECKS = '''
import pytest

pytestmark = pytest.mark.readiness(section="Bench", category="operations", severity="medium")
CASES = list(range({n}))

@pytest.mark.readiness(id="bench.check", fix="do the thing")
@pytest.mark.parametrize("case", CASES)
def test_check(readiness, case):
    readiness.evidence(case=case, detail="x" * 40)
    if case % 10 == 0:
        readiness.finding("bench.rule", f"finding {{case}}", file=f"src/m{{case}}.py", line=case,
                          snippet="call(timeout=None)")
        assert False, f"case {{case}} fails"
    if case % 10 == 1:
        readiness.warn(f"case {{case}} warns")
    if case % 10 == 2:
        pytest.skip("not applicable")
'''

TIMING = '''
# Times the hook implementations of pytest's JUnit writer and of pytest-readiness.
import json, time, types
from collections import defaultdict

TIMES = defaultdict(float)
HOOKS = ("pytest_sessionfinish", "pytest_runtest_makereport", "pytest_runtest_logreport",
         "pytest_terminal_summary")


def owner(plugin):
    name = plugin.__name__ if isinstance(plugin, types.ModuleType) else type(plugin).__module__
    if name.startswith("pytest_readiness"):
        return "readiness"
    return "junit" if name == "_pytest.junitxml" else None


def timed(function, key):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            TIMES[key] += time.perf_counter() - start
    return wrapper


def timed_wrapper(function, key):
    """A hook wrapper (a generator) timed in its own steps, not in the hooks it wraps."""
    def step(call, *args):
        start = time.perf_counter()
        try:
            return call(*args)
        finally:
            TIMES[key] += time.perf_counter() - start

    def proxy(*args, **kwargs):
        inner = step(function, *args, **kwargs)
        value = step(next, inner)
        while True:
            try:
                sent = yield value
            except BaseException as exc:
                try:
                    value = step(inner.throw, exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = step(inner.send, sent)
                except StopIteration as stop:
                    return stop.value
    return proxy


def pytest_sessionstart(session):
    for hook in HOOKS:
        for impl in getattr(session.config.hook, hook).get_hookimpls():
            who = owner(impl.plugin)
            if who:
                wrap = timed_wrapper if impl.hookwrapper or impl.wrapper else timed
                impl.function = wrap(impl.function, f"{who} {hook}")


def pytest_unconfigure(config):
    with open("times.json", "w") as f:
        json.dump(TIMES, f)
'''

REPORT_FLAGS = [("--readiness-json", "out.json"), ("--readiness-report", "out.md"),
                ("--readiness-html", "out.html"), ("--readiness-sarif", "out.sarif"),
                ("--readiness-prometheus", "out.prom")]


def _in_process(record_path: Path) -> list[tuple[str, float]]:
    read_record, write_record = _internals.record_io()
    start = time.perf_counter()
    record = read_record(record_path)
    rows = [("read + rescore record", time.perf_counter() - start)]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_record(record, Path(tmp, "again.json"))
        rows.append(("json", time.perf_counter() - start))
    for name, render in _internals.renderers().items():
        start = time.perf_counter()
        try:
            render(record)  # type: ignore[operator]
        except TypeError:
            continue  # a renderer with another signature: measured in the run above
        rows.append((name, time.perf_counter() - start))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=10_000)
    args = parser.parse_args()
    load = Load("reports for many results vs JUnit XML").begin()
    known = _internals.option_names()
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        root = Path(tmp)
        (root / "checks").mkdir()
        (root / "checks" / "test_bench.py").write_text(CHECKS.format(n=args.checks))
        # Inside checks/: the audit loads no conftest.py but those in the paths it audits.
        (root / "checks" / "conftest.py").write_text(TIMING)
        (root / "readiness.yaml").write_text("system: bench\nchecks: [checks]\n")
        flags = [x for flag, name in REPORT_FLAGS if flag in known for x in (flag, name)]
        command = [sys.executable, "-P", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   *block_foreign_plugins(), "--readiness", "--readiness-suite", "bench",
                   "--junitxml", "junit.xml", *flags]
        total = run(command, cwd=root, ok=(0, 1, 6), timeout=3600,
                    env=env_without("PYTEST_READINESS_ISOLATED", "PYTEST_ADDOPTS")).wall
        times = json.loads((root / "times.json").read_text())
        record = json.loads((root / "out.json").read_text())
        assert len(record["checks"]) == args.checks, "the record lost checks"
        outcomes = Counter(c["outcome"] for c in record["checks"])
        sizes = {name: (root / name).stat().st_size for _, name in REPORT_FLAGS
                 if (root / name).exists()}
        sizes["junit.xml"] = (root / "junit.xml").stat().st_size
        rows = _in_process(root / "out.json")
    print(f"reports for {args.checks} check results ("
          + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
          + f"); whole run {total:.2f} s")
    print(f"{'in the run':<44} {'JUnit XML':>10} {'readiness':>10}")
    for hook, what in (("pytest_sessionfinish", "session finish (write every report)"),
                       ("pytest_runtest_makereport", "per result: makereport, summed"),
                       ("pytest_runtest_logreport", "per result: logreport, summed"),
                       ("pytest_terminal_summary", "terminal summary")):
        junit, readiness = times.get(f"junit {hook}"), times.get(f"readiness {hook}")
        print(f"{what:<44} {_cell(junit):>10} {_cell(readiness):>10}")
    every = {who: sum(v for k, v in times.items() if k.startswith(who)) for who in
             ("junit", "readiness")}
    print(f"{'all of the above':<44} {_cell(every['junit']):>10} "
          f"{_cell(every['readiness']):>10}")
    ratio = times["readiness pytest_sessionfinish"] / times["junit pytest_sessionfinish"]
    print(f"REPORTS: session finish {ratio:.1f}x JUnit XML ({verdict(ratio, TARGET)}); "
          f"every hook {every['readiness'] / every['junit']:.1f}x; "
          f"readiness writes {', '.join(flags[::2])}")
    print(f"{'in-process, one renderer at a time':<34} {'seconds':>8}")
    for name, seconds in rows:
        print(f"{name:<34} {seconds:>8.3f}")
    print("file sizes: " + ", ".join(f"{n} {s / 1e6:.1f} MB" for n, s in sizes.items()))
    print(f"rerun: python benchmarks/bench_reports.py --checks {args.checks}")
    load.finish()


def _cell(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.3f} s"


if __name__ == "__main__":
    main()
