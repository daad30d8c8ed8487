"""Plugin overhead: the same 1,000 testinfra checks, plain pytest-testinfra vs --readiness.

    python benchmarks/bench_overhead.py [--checks 1000] [--repeat 3] [--workers 0]

Both runs use testinfra's local backend and read the same facts (file modes,
users, sysctl-free facts that need no privileges). The readiness run writes every
report the plugin has (JSON record, Markdown, HTML, SARIF, Prometheus when those
options exist), so the ratio is the whole price of the audit layer: records,
scoring and reports. Each variant runs ``--repeat`` times in a fresh process; the
median wall time is printed. Run on purpose, never from the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FACTS = [
    ('host.file("/etc/passwd").exists', "passwd"),
    ('host.file("/etc").is_directory', "etc"),
    ('host.user("root").uid == 0', "root"),
    ('host.file("/etc/hostname").mode & 0o002 == 0', "hostname"),
]

PLAIN = '''
import pytest

CASES = list(range({n}))

@pytest.mark.parametrize("case", CASES)
def test_fact(host, case):
    {body}
'''

READINESS = '''
import pytest

pytestmark = pytest.mark.readiness(section="Bench", category="operations", severity="low")
CASES = list(range({n}))

@pytest.mark.readiness(id="bench.fact", fix="none")
@pytest.mark.parametrize("case", CASES)
def test_fact(host, readiness, case):
    readiness.evidence(case=case)
    {body}
'''


def _body() -> str:
    # Rotate through the facts so every run asks the host the same mixed questions.
    lines = [f"    if case % {len(FACTS)} == {i}:\n        assert {expr}, '{name}'"
             for i, (expr, name) in enumerate(FACTS)]
    return "\n".join(lines).lstrip()


def _options(tree: Path) -> list[str]:
    from pytest_readiness.plugin import OPTIONS
    known = {o[0] for o in OPTIONS}
    wanted = [("--readiness-json", "out.json"), ("--readiness-report", "out.md"),
              ("--readiness-html", "out.html"), ("--readiness-sarif", "out.sarif"),
              ("--readiness-prometheus", "out.prom")]
    args = []
    for flag, name in wanted:
        if flag in known:
            args += [flag, str(tree / name)]
    return args


def _time(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0, help="pytest-xdist workers (0: none)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        root = Path(tmp)
        plain, audit = root / "plain", root / "audit"
        for d in (plain, audit):
            d.mkdir()
        (plain / "test_plain.py").write_text(PLAIN.format(n=args.checks, body=_body()))
        (audit / "checks").mkdir()
        (audit / "checks" / "test_bench.py").write_text(READINESS.format(n=args.checks,
                                                                          body=_body()))
        (audit / "readiness.yaml").write_text("system: bench\nchecks: [checks]\n")
        common = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                  "-p", "no:randomly", "-p", "no:benchmark"]
        if args.workers:
            common += ["-n", str(args.workers)]
        variants = {
            "pytest-testinfra": common + ["test_plain.py"],
            "pytest --readiness (all reports)": common + [
                "--readiness", "--readiness-suite", "bench", *_options(audit)],
        }
        cwd = {"pytest-testinfra": plain, "pytest --readiness (all reports)": audit}
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.repeat):  # interleaved, so drift hits both alike
            for name, command in variants.items():
                times[name].append(_time(command, cwd[name]))
        record = json.loads((audit / "out.json").read_text())
        assert len(record["checks"]) == args.checks, "the readiness run lost checks"
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians["pytest-testinfra"]
    print(f"plugin overhead: {args.checks} testinfra checks, local backend, "
          f"workers={args.workers or 'none'}, median of {args.repeat}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, "
          f"Python {platform.python_version()}")
    print(f"{'variant':<36} {'median s':>9} {'checks/s':>9} {'ratio':>6}  runs")
    for name, value in medians.items():
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"{name:<36} {value:>9.2f} {args.checks / value:>9.0f} "
              f"{value / base:>6.2f}  [{runs}]")
    print("rerun: python benchmarks/bench_overhead.py --checks 1000 --repeat 3")


if __name__ == "__main__":
    main()
