"""Call-graph benchmark: build the call graph of a real Python tree, then run the rules
that use it (blocking paths from async code, process-local state).

Prints the time to walk and parse (for scale), to build the graph, to search blocking
paths and to find process-local state, with the graph's size. The default tree is the
installed Django package (about 900 modules); give any other. Not a test::

    python benchmarks/bench_callgraph.py                 # django's source
    python benchmarks/bench_callgraph.py /path/to/tree --repeat 3
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import _internals


def default_tree() -> Path:
    spec = importlib.util.find_spec("django")
    if spec is None or spec.origin is None:
        raise SystemExit("django is not installed: give a tree (pip install -e '.[test]')")
    return Path(spec.origin).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    tree = args.tree or default_tree()
    p = _internals.call_graph_probes()
    for _ in range(args.repeat):
        start = time.perf_counter()
        index = p.tree.inventory(tree)
        modules = list(p.pyast.modules(index))
        parsed = time.perf_counter()
        graph = p.callgraph.of(index)
        built = time.perf_counter()
        paths = p.asyncblock.blocking_paths(graph)
        searched = time.perf_counter()
        states = p.resilience.process_local_state(modules)
        done = time.perf_counter()
        print(f"{tree}: {len(modules)} modules, {len(graph.functions)} functions, "
              f"{graph.edges} edges, {graph.unresolved} unresolved calls, "
              f"truncated={graph.truncated}")
        print(f"  walk + parse {parsed - start:7.2f} s   call graph {built - parsed:6.2f} s   "
              f"blocking paths {searched - built:6.2f} s ({len(paths)})   "
              f"process-local state {done - searched:6.2f} s ({len(states)})")


if __name__ == "__main__":
    main()
