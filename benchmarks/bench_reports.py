"""Reports: time to score and write every report for 10,000 check results,
against pytest's own JUnit XML writer on the same run.

    python benchmarks/bench_reports.py [--checks 10000]

One real pytest run of N trivial readiness checks (a mix of pass, warn, fail,
skip, with evidence and findings) with ``--junitxml`` and every readiness report
switched on. A conftest times, inside that run, the session-finish hook of
pytest's JUnit writer and the readiness controller's (record, scoring, JSON,
Markdown, HTML, SARIF, Prometheus: whatever options exist), then the renderers
one by one on the same record in-process. Run on purpose, never from the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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
import functools, json, time
from _pytest import junitxml
from pytest_readiness import session as readiness_session

TIMES = {}

def timed(cls, label):
    original = cls.pytest_sessionfinish
    @functools.wraps(original)
    def wrapper(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            TIMES[label] = time.perf_counter() - start
            with open("times.json", "w") as f:
                json.dump(TIMES, f)
    cls.pytest_sessionfinish = wrapper

timed(junitxml.LogXML, "junit")
timed(readiness_session.ReadinessSession, "readiness")
'''

REPORT_FLAGS = [("--readiness-json", "out.json"), ("--readiness-report", "out.md"),
                ("--readiness-html", "out.html"), ("--readiness-sarif", "out.sarif"),
                ("--readiness-prometheus", "out.prom")]


def _renderers() -> dict[str, object]:
    """Every renderer the installed version has, by name."""
    import importlib

    found: dict[str, object] = {}
    for name in ("markdown", "html", "sarif", "prometheus", "terminal"):
        try:
            module = importlib.import_module(f"pytest_readiness.report.{name}")
        except ImportError:
            continue
        render = getattr(module, "render", None)
        if callable(render):
            found[name] = render
    return found


def _in_process(record_path: Path) -> list[tuple[str, float]]:
    from pytest_readiness.results import read_record, write_record

    start = time.perf_counter()
    record = read_record(record_path)
    rows = [("read + rescore record", time.perf_counter() - start)]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_record(record, Path(tmp, "again.json"))
        rows.append(("json", time.perf_counter() - start))
    for name, render in _renderers().items():
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
    from pytest_readiness.plugin import OPTIONS

    known = {o[0] for o in OPTIONS}
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        root = Path(tmp)
        (root / "checks").mkdir()
        (root / "checks" / "test_bench.py").write_text(CHECKS.format(n=args.checks))
        (root / "readiness.yaml").write_text("system: bench\nchecks: [checks]\n")
        (root / "conftest.py").write_text(TIMING)
        flags = [x for flag, name in REPORT_FLAGS if flag in known for x in (flag, name)]
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   "-p", "no:benchmark", "--readiness", "--readiness-suite", "bench",
                   "--junitxml", "junit.xml", *flags]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=3600)
        total = time.perf_counter() - start
        if done.returncode not in (0, 1, 6):
            raise SystemExit(f"run failed ({done.returncode}):\n{done.stdout[-3000:]}")
        times = json.loads((root / "times.json").read_text())
        record = json.loads((root / "out.json").read_text())
        assert len(record["checks"]) == args.checks, "the record lost checks"
        sizes = {name: (root / name).stat().st_size for _, name in REPORT_FLAGS
                 if (root / name).exists()}
        sizes["junit.xml"] = (root / "junit.xml").stat().st_size
        rows = _in_process(root / "out.json")
    print(f"reports for {args.checks} check results "
          f"({platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()})")
    print(f"whole run: {total:.2f} s")
    print(f"{'in the run (session finish)':<34} {'seconds':>8}")
    print(f"{'pytest JUnit XML':<34} {times['junit']:>8.3f}")
    print(f"{'readiness (record + all reports)':<34} {times['readiness']:>8.3f}   "
          f"ratio {times['readiness'] / times['junit']:.1f}x  ({', '.join(flags[::2])})")
    print(f"{'in-process, one renderer at a time':<34} {'seconds':>8}")
    for name, seconds in rows:
        print(f"{name:<34} {seconds:>8.3f}")
    print("file sizes: " + ", ".join(f"{n} {s / 1e6:.1f} MB" for n, s in sizes.items()))
    print("rerun: python benchmarks/bench_reports.py --checks 10000")


if __name__ == "__main__":
    main()
