"""Plugin import time: what ``import pytest_readiness.plugin`` costs before any check runs.

    python benchmarks/bench_import.py [--repeat 10]

Two measurements, each in ``--repeat`` fresh processes of this Python (medians):

1. ``python -X importtime -c "import pytest_readiness.plugin"``: the cumulative
   import time of the plugin (which includes pytest's own import) and of
   ``import pytest`` alone, so their difference is what the plugin adds to a
   pytest run; and the 10 imports with the largest cumulative time (median
   over the runs), to show what to defer.
2. Wall time of ``python -c "import pytest_readiness.plugin"`` against
   ``python -c "import pytest"`` and ``python -c pass`` (interpreter start-up).

Target (issue 17): plugin import <= 0.3 s. ``pytest --readiness`` pays it twice:
once in the process the user starts and once in the clean process it re-executes
into (pytest_readiness/isolation.py). Run on purpose, never from the test suite.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections import defaultdict

from _common import Load, env_without, median, run, runs, verdict

PLUGIN = "pytest_readiness.plugin"
TARGET = 0.3
LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)\s*$")
# Imports of the interpreter's own start-up (site, encodings) are not the plugin's.
DROPPED_ENV = ("PYTHONPROFILEIMPORTTIME", "PYTEST_PLUGINS")


def importtime(statement: str) -> tuple[float, dict[str, float]]:
    """(seconds of the top-level imports the statement made, cumulative seconds by module)."""
    done = run([sys.executable, "-X", "importtime", "-c", statement],
               env=env_without(*DROPPED_ENV)).done
    cumulative: dict[str, float] = {}
    top_level = 0.0
    for line in done.stderr.splitlines():
        match = LINE.match(line)
        if not match:
            continue
        _, cum, indent, name = match.groups()
        seconds = int(cum) / 1e6
        cumulative[name] = max(cumulative.get(name, 0.0), seconds)
        if not indent and _own(name, statement):  # not start-up's site, encodings...
            top_level += seconds
    return top_level, cumulative


def _own(name: str, statement: str) -> bool:
    """``name`` is the module ``import X`` names, a parent package of it, or a submodule."""
    target = statement.split()[-1]
    return name == target or target.startswith(name + ".") or name.startswith(target + ".")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    load = Load("plugin import time").begin()
    plugin_s: list[float] = []
    pytest_s: list[float] = []
    by_module: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.repeat):  # interleaved
        seconds, cumulative = importtime(f"import {PLUGIN}")
        plugin_s.append(seconds)
        for name, value in cumulative.items():
            by_module[name].append(value)
        pytest_s.append(importtime("import pytest")[0])
    plugin, pytest = median(plugin_s), median(pytest_s)
    print(f"-X importtime, median of {args.repeat} fresh processes:")
    print(f"  import {PLUGIN:<28} {plugin:6.3f} s {runs(plugin_s)}")
    print(f"  import {'pytest':<28} {pytest:6.3f} s {runs(pytest_s)}")
    print(f"  the plugin adds to pytest          {plugin - pytest:6.3f} s")
    print(f"PLUGIN IMPORT: {plugin:.2f} s ({verdict(plugin, TARGET)}); "
          f"{plugin - pytest:.2f} s more than pytest alone")
    print("top 10 cumulative imports (median s; nested modules count inside their parents):")
    top = sorted(((statistics.median(v), k) for k, v in by_module.items()), reverse=True)[:10]
    for seconds, name in top:
        print(f"  {seconds:6.3f}  {name}")

    walls: dict[str, list[float]] = defaultdict(list)
    statements = {"python -c pass": "pass", "python -c 'import pytest'": "import pytest",
                  f"python -c 'import {PLUGIN}'": f"import {PLUGIN}"}
    for _ in range(args.repeat):
        for label, statement in statements.items():
            walls[label].append(run([sys.executable, "-c", statement],
                                    env=env_without(*DROPPED_ENV)).wall)
    print(f"wall time, median of {args.repeat} fresh processes:")
    for label, values in walls.items():
        print(f"  {label:<48} {median(values):6.3f} s {runs(values)}")
    base = median(walls["python -c pass"])
    plugin_wall = median(walls[f"python -c 'import {PLUGIN}'"])
    pytest_wall = median(walls["python -c 'import pytest'"])
    print(f"  plugin vs pytest: {plugin_wall:.2f} s vs {pytest_wall:.2f} s "
          f"({plugin_wall / pytest_wall:.1f}x; {plugin_wall - base:.2f} s vs "
          f"{pytest_wall - base:.2f} s above start-up)")
    print(f"rerun: python benchmarks/bench_import.py --repeat {args.repeat}")
    load.finish()


if __name__ == "__main__":
    main()
