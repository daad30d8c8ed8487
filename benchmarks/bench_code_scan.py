"""Code-scan benchmark: the five code suites over a generated tree of Python files.

Generates a tree of realistic modules (imports, async handlers, HTTP clients with
and without timeouts, DB engines, JWT helpers, a few planted secrets, config files
and docs) in a temporary directory, then measures:

1. the whole code suite through pytest in a subprocess
   (``pytest --readiness --readiness-suite secrets,auth,async,
   resilience,pools``), as a user runs it;
2. the probes in-process, one timing per probe (walk, parse, each rule family);
3. ripgrep (``rg``) with the same secret patterns (``probes.secrets.RULES``) over
   the same tree, for comparison with a pure regex scan.

Prints files/s and MB/s for each. Not a test: run it on purpose::

    python benchmarks/bench_code_scan.py            # 5,000 files
    python benchmarks/bench_code_scan.py --files 20000 --keep /tmp/tree
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _internals
from _common import Load
from _trees import generate

SUITES = "secrets,auth,async,resilience,pools"


def rate(label: str, seconds: float, files: int, size: int) -> str:
    return (f"{label:<34} {seconds:8.2f} s  {files / seconds:10.0f} files/s  "
            f"{size / seconds / 1e6:7.2f} MB/s")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run_plugin(work: Path, tree: Path) -> tuple[float, dict[str, Any]]:
    (work / "readiness.yaml").write_text(f"system: bench\ncodebases: [{{path: {tree}}}]\n")
    command = [sys.executable, "-P", "-m", "pytest", "--readiness", "--readiness-suite", SUITES,
               "--readiness-json", "out.json", "-p", "no:cacheprovider", "-q", "-p", "no:xdist"]
    seconds, done = timed(lambda: subprocess.run(command, cwd=work, capture_output=True,
                                                 text=True, check=False))
    out = work / "out.json"
    if not out.exists():
        sys.exit(f"the plugin run wrote no record:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds, json.loads(out.read_text(encoding="utf-8"))


def run_probes(tree: Path) -> list[tuple[str, float]]:
    probes = _internals.code_probes()
    asyncblock, auth, codebase, pools, pyast, resilience, secret_probe = (
        probes.asyncblock, probes.auth, probes.codebase, probes.pools, probes.pyast,
        probes.resilience, probes.secrets)
    pyast._CACHE.clear()
    steps: list[tuple[str, float]] = []
    seconds, inv = timed(lambda: codebase.inventory(tree))
    steps.append(("walk", seconds))
    seconds, modules = timed(lambda: list(pyast.modules(inv)))
    steps.append(("parse (ast, shared cache)", seconds))
    rules: list[tuple[str, Callable[[], Any]]] = [
        ("secrets (patterns + AST)", lambda: secret_probe.scan(inv)),
        ("auth (7 rule families)", lambda: (
            auth.tls_verification_off(modules), auth.cors_wildcard_with_credentials(modules),
            auth.jwt_uses(modules), auth.default_admin_credentials(modules),
            auth.password_hashing(modules), auth.revocation(modules),
            auth.unlogged_auth_events(modules))),
        ("async blocking", lambda: (asyncblock.blocking_calls(modules),
                                    asyncblock.sync_driver_imports(modules))),
        ("outbound resilience", lambda: (
            resilience.http_calls(modules), resilience.retry_mechanisms(modules),
            resilience.circuit_breakers(modules), resilience.grpc_channels(modules))),
        ("db pools", lambda: pools.pools(modules)),
    ]
    for label, fn in rules:
        steps.append((label, timed(fn)[0]))
    return steps


def run_ripgrep(tree: Path) -> tuple[float, int] | None:
    rg = shutil.which("rg")
    if rg is None:
        return None
    command = [rg, "--no-config", "--pcre2", "--count-matches", "--no-filename", "--hidden"]
    for _, pattern, _ in _internals.secret_patterns():
        command += ["-e", pattern]
    seconds, done = timed(lambda: subprocess.run([*command, str(tree)], capture_output=True,
                                                 text=True, check=False))
    if done.returncode not in (0, 1):
        print(f"rg failed: {done.stderr.strip()[:300]}")
        return None
    return seconds, sum(int(x) for x in done.stdout.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--keep", type=Path, help="generate here and keep the tree")
    args = parser.parse_args()
    load = Load("code scan: the five code suites vs ripgrep").begin()
    work = args.keep or Path(tempfile.mkdtemp(prefix="readiness-bench-"))
    tree = work / "tree"
    try:
        count, size = generate(tree, args.files)
        print(f"tree: {count} files ({args.files} Python), {size / 1e6:.1f} MB in {tree}")
        seconds, record = run_plugin(work, tree)
        outcomes = {c["id"]: c["outcome"] for c in record["checks"]}
        findings = sum(len(c["evidence"].get("findings", [])) for c in record["checks"])
        print(rate("whole code suite (pytest)", seconds, count, size))
        print(f"  {len(outcomes)} checks, {findings} findings: "
              + ", ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))
        steps = run_probes(tree)
        print(rate("probes in-process (total)", sum(s for _, s in steps), count, size))
        for label, step in steps:
            print(f"  {label:<32} {step:8.2f} s")
        found = run_ripgrep(tree)
        if found:
            print(rate("ripgrep, same secret patterns", found[0], count, size)
                  + f"  ({found[1]} raw matches)")
        else:
            print("ripgrep: not installed (apt-get install ripgrep)")
        print(f"rerun: python benchmarks/bench_code_scan.py --files {args.files}")
        load.finish()
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
