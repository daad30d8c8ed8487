"""Whole default audit of a codebase vs the one-pass floor, side by side in one run.

    python benchmarks/bench_audit.py [--files 5000] [--repeat 3] [--corpus ARCHIVE | --no-corpus]

For each tree (a generated repository of ``--files`` files, see _trees.py, and a
real one extracted from the corpus archive into a temporary directory):

- the floor: ``python benchmarks/floor.py TREE`` in a fresh process of this
  Python: every file read once, the tool's secret regexes over each whole file,
  ``ast.parse`` of every ``.py`` (see floor.py);
- the audit: ``python -m pytest --readiness`` run in TREE with no readiness.yaml
  (the tree is the codebase), as a user runs it, re-execution included, writing
  the record with ``--readiness-json`` outside the tree;

``--repeat`` times each, interleaved (after one unmeasured floor pass that warms
the page cache); the ratio of the medians is the figure of issue 17 (target
<= 3x). Then, from the last audit's record: where the time goes per suite
(the sum of each check's setup, call and teardown; the first suite to need the
tree pays the shared walk and parse) and what lies outside every check
(interpreter start-up, re-execution, collection, reports); and the secret scan's
MB/s (the tree's bytes over the secrets suite's time) against Python's ``re``
in the floor and ripgrep with the same patterns.

Run on purpose, never from the test suite. Prints the machine load at start and end.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tarfile
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _internals
from _common import REPO, Load, Run, block_foreign_plugins, env_without, median, run, runs, verdict
from _trees import generate_mixed

HERE = Path(__file__).resolve().parent
TARGET = 3.0
CORPUS_NAME = "opentelemetry-demo.tar.gz"
# Switches of the user's shell that would change what the audit does or costs.
DROPPED_ENV = ("PYTEST_READINESS_ISOLATED", "PYTEST_ADDOPTS", "PYTEST_PLUGINS",
               "PYTEST_DISABLE_PLUGIN_AUTOLOAD")


@dataclass
class Tree:
    name: str
    path: Path
    floor_runs: list[Run] = field(default_factory=list)
    audit_runs: list[Run] = field(default_factory=list)
    floor: dict[str, Any] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)


def default_corpus() -> Path | None:
    for base in (REPO.parent, REPO.parent.parent, Path("/work")):
        candidate = base / "shared" / "corpus" / CORPUS_NAME
        if candidate.is_file():
            return candidate
    return None


def extract(archive: Path, into: Path) -> Path:
    """The archive's single top directory (or ``into`` itself), extracted as plain data."""
    into.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    tops = [p for p in into.iterdir()]
    return tops[0] if len(tops) == 1 and tops[0].is_dir() else into


def run_floor(tree: Path, patterns: Path) -> tuple[Run, dict[str, Any]]:
    timed = run([sys.executable, str(HERE / "floor.py"), str(tree), "--patterns", str(patterns)],
                env=env_without(*DROPPED_ENV))
    return timed, json.loads(timed.done.stdout)


def run_audit(tree: Path, record: Path, blocked: list[str]) -> tuple[Run, dict[str, Any]]:
    """``python -m pytest --readiness`` in the tree, as a user runs it (any exit status)."""
    record.unlink(missing_ok=True)
    command = [sys.executable, "-P", "-m", "pytest", "--readiness", "--readiness-json", str(record),
               "-q", "-p", "no:cacheprovider", *blocked]
    timed = run(command, cwd=tree, env=env_without(*DROPPED_ENV), ok=range(0, 256))
    if not record.is_file():
        raise SystemExit(f"the audit wrote no record (exit {timed.done.returncode}):\n"
                         f"{timed.done.stdout[-3000:]}\n{timed.done.stderr[-3000:]}")
    return timed, json.loads(record.read_text(encoding="utf-8"))


def suite_seconds(record: dict[str, Any]) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for check in record["checks"]:
        totals[check.get("suite") or check["nodeid"].split("::")[0]] += check["duration_s"]
    return totals


def ripgrep(tree: Path, patterns: list[tuple[str, str, int]], threads: int | None
            ) -> tuple[float, int] | None:
    rg = shutil.which("rg")
    if rg is None:
        return None
    command = [rg, "--no-config", "--pcre2", "--count-matches", "--no-filename",
               "--hidden", "--no-ignore"]
    if threads:
        command += ["-j", str(threads)]
    for _, source, _ in patterns:
        command += ["-e", source]
    timings = [run([*command, str(tree)], ok=(0, 1)) for _ in range(3)]  # the best of 3
    return min(t.wall for t in timings), sum(int(x) for x in timings[0].done.stdout.split())


def measure(tree: Tree, repeat: int, patterns_file: Path, work: Path, blocked: list[str]
            ) -> None:
    run_floor(tree.path, patterns_file)  # warm the page cache; not counted
    for i in range(repeat):  # interleaved, so drift in the load hits both alike
        timed, tree.floor = run_floor(tree.path, patterns_file)
        tree.floor_runs.append(timed)
        timed, record = run_audit(tree.path, work / f"record-{id(tree)}-{i}.json", blocked)
        tree.audit_runs.append(timed)
        tree.records.append(record)


def report(tree: Tree, patterns: list[tuple[str, str, int]]) -> float:
    f = tree.floor
    size = f["bytes"]
    floor_walls, audit_walls = [r.wall for r in tree.floor_runs], [r.wall for r in tree.audit_runs]
    floor_s, audit_s = median(floor_walls), median(audit_walls)
    floor_cpu = median([r.cpu for r in tree.floor_runs])
    audit_cpu = median([r.cpu for r in tree.audit_runs])
    ratio = audit_s / floor_s
    record = tree.records[-1]
    outcomes = Counter(c["outcome"] for c in record["checks"])
    print(f"\n-- tree: {tree.name}: {f['files']:,} files, {size / 1e6:.1f} MB, "
          f"{f['python']:,} .py ({f['parse_errors']} not parseable)")
    print(f"floor (fresh process): median {floor_s:.2f} s {runs(floor_walls)}, CPU "
          f"{floor_cpu:.2f} s; inside: read {f['read_s']:.2f} s, {f['patterns']} regexes "
          f"{f['regex_s']:.2f} s, ast.parse {f['parse_s']:.2f} s")
    print(f"audit (python -m pytest --readiness): median {audit_s:.2f} s {runs(audit_walls)}, "
          f"CPU {audit_cpu:.2f} s; {len(record['checks'])} checks: "
          + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    best = min(audit_walls) / min(floor_walls)
    print(f"RATIO audit / floor: {ratio:.1f}x of the medians ({verdict(ratio, TARGET)}); "
          f"{best:.1f}x of the fastest runs; CPU time {audit_cpu / floor_cpu:.1f}x "
          "(barely moved by other jobs)")
    per_run = [suite_seconds(r) for r in tree.records]
    suites = {name: statistics.median(r.get(name, 0.0) for r in per_run)
              for name in set().union(*per_run)}
    in_checks = sum(suites.values())
    print(f"where the audit's time goes (median of {len(per_run)} records; "
          "a check's time is its setup + call + teardown):")
    print(f"  {'suite':<24} {'checks':>6} {'seconds':>8} {'share':>6}")
    counts = Counter(c.get("suite") or c["nodeid"].split("::")[0] for c in record["checks"])
    for name, seconds in sorted(suites.items(), key=lambda kv: -kv[1]):
        if seconds >= 0.01:
            print(f"  {name:<24} {counts[name]:>6} {seconds:>8.2f} {seconds / audit_s:>6.0%}")
    rest = [name for name, seconds in suites.items() if seconds < 0.01]
    print(f"  {len(rest)} suites under 0.01 s each: {', '.join(sorted(rest))}")
    print(f"  {'all checks':<24} {len(record['checks']):>6} {in_checks:>8.2f} "
          f"{in_checks / audit_s:>6.0%}")
    session_s = statistics.median(r["duration_s"] for r in tree.records)
    for label, seconds, what in (
            ("in session, not checks", session_s - in_checks, "collection, hooks, scoring"),
            ("outside the session", audit_s - session_s,
             "interpreter and imports twice (re-exec), config; record, summary, exit")):
        print(f"  {label:<24} {'':>6} {seconds:>8.2f} {seconds / audit_s:>6.0%}   ({what})")
    secrets_s = suites.get("secrets", 0.0)
    print("secret scan, same patterns over the same tree:")
    if secrets_s:
        print(f"  tool (secrets suite)          {secrets_s:7.2f} s "
              f"{size / secrets_s / 1e6:8.1f} MB/s")
    print(f"  Python re, floor (one thread) {f['regex_s']:7.2f} s "
          f"{size / f['regex_s'] / 1e6:8.1f} MB/s  ({f['matches']} raw matches)")
    for threads, label in ((1, "ripgrep -j1"), (None, "ripgrep (all cpus)")):
        found = ripgrep(tree.path, patterns, threads)
        if found is None:
            print("  ripgrep: not installed (apt-get install ripgrep)")
            break
        seconds, matches = found
        slower = f"  tool {secrets_s / seconds:.0f}x slower" if secrets_s else ""
        print(f"  {label:<28} {seconds:7.3f} s {size / seconds / 1e6:8.1f} MB/s  "
              f"({matches} raw matches){slower}")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000, help="generated tree (0: none)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=default_corpus(),
                        help=f"archive of a real tree (default: shared/corpus/{CORPUS_NAME})")
    parser.add_argument("--no-corpus", action="store_true")
    parser.add_argument("--keep", type=Path, help="work here and keep the trees and records")
    args = parser.parse_args()
    load = Load("whole default audit vs the one-pass floor").begin()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-audit-"))
    try:
        patterns = _internals.secret_patterns()
        patterns_file = work / "patterns.json"
        work.mkdir(parents=True, exist_ok=True)
        patterns_file.write_text(json.dumps(patterns), encoding="utf-8")
        trees = []
        if args.files:
            generate_mixed(work / "generated", args.files)
            trees.append(Tree(f"generated ({args.files} files)", work / "generated"))
        if args.corpus and not args.no_corpus:
            trees.append(Tree(args.corpus.name.removesuffix(".tar.gz"),
                              extract(args.corpus, work / "corpus")))
        elif not args.no_corpus:
            print("no corpus archive found: pass --corpus PATH (or --no-corpus)")
        ratios = {}
        blocked = block_foreign_plugins()
        for tree in trees:
            measure(tree, args.repeat, patterns_file, work, blocked)
            ratios[tree.name] = report(tree, patterns)
        print("\nsummary: " + "; ".join(f"{name} {ratio:.1f}x" for name, ratio in ratios.items())
              + f"  (audit / floor, target <= {TARGET:g}x)")
        print(f"rerun: python benchmarks/bench_audit.py --files {args.files} "
              f"--repeat {args.repeat}")
        load.finish()
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
