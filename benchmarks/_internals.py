"""THE ONE PLACE where benchmarks import pytest-readiness internals.

Every benchmark drives the tool through its command line (``python -m pytest
--readiness ...``, ``pytest-readiness ...``). A few need something no command line
gives: the secret patterns (so the floor and ripgrep run the very regexes the tool
runs), the probe functions for in-process timings, the record reader and renderers.
Each comes from one small function below. When modules move (for instance
``pytest_readiness.probes.secrets`` -> ``pytest_readiness.probes.code.secrets``),
re-point the import here and nowhere else.
"""

from __future__ import annotations

import importlib
from types import ModuleType, SimpleNamespace
from typing import Any


def _first(*names: str) -> ModuleType:
    """The first of ``names`` that imports: the module's path after a restructuring, then before."""
    errors = []
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError as exc:
            errors.append(f"{name}: {exc}")
    raise ImportError("benchmarks/_internals.py needs re-pointing: " + "; ".join(errors))


def secret_patterns() -> list[tuple[str, str, int]]:
    """(rule id, regex source, re flags) of every secret pattern the tool's secret scan runs."""
    secrets = _first("pytest_readiness.probes.code.secrets", "pytest_readiness.probes.secrets")
    rules = (getattr(secrets, "CODE_PATTERNS", None) or getattr(secrets, "SECRET_PATTERNS", None)
             or secrets.RULES)
    return [(rule.id, rule.pattern.pattern, rule.pattern.flags) for rule in rules]


def option_names() -> set[str]:
    """The ``--readiness*`` options the installed plugin defines."""
    plugin = _first("pytest_readiness.plugin")
    return {option[0] for option in plugin.OPTIONS}


def code_probes() -> SimpleNamespace:
    """The code probes timed in-process by bench_code_scan.py (walk, parse, rule families)."""
    where = {"asyncblock": "probes.code.async_", "auth": "probes.code.auth",
             "codebase": "plumbing.tree", "pools": "probes.code.pools",
             "pyast": "plumbing.pyast", "resilience": "probes.code.resilience",
             "secrets": "probes.code.secrets"}
    return SimpleNamespace(**{name: _first(f"pytest_readiness.{path}")
                              for name, path in where.items()})


def network_probes() -> SimpleNamespace:
    """NetPool and the TLS probe timed by bench_network.py."""
    return SimpleNamespace(netpool=_first("pytest_readiness.plumbing.netpool"),
                           tls=_first("pytest_readiness.probes.network.tls"))


def record_io() -> tuple[Any, Any]:
    """(read_record, write_record): the result record's reader and writer."""
    results = _first("pytest_readiness.results")
    return results.read_record, results.write_record


def renderers() -> dict[str, Any]:
    """Every report renderer with a ``render(record)`` function, by name."""
    found: dict[str, Any] = {}
    for name in ("markdown", "html", "sarif", "prometheus", "terminal"):
        try:
            module = _first(f"pytest_readiness.report.{name}")
        except ImportError:
            continue
        render = getattr(module, "render", None)
        if callable(render):
            found[name] = render
    return found


def call_graph_probes() -> SimpleNamespace:
    """The codebase index, the parser, the call graph and the rules that use it, timed by
    bench_callgraph.py."""
    where = {"tree": "plumbing.tree", "pyast": "plumbing.pyast",
             "callgraph": "plumbing.callgraph", "asyncblock": "probes.code.async_",
             "resilience": "probes.code.resilience"}
    return SimpleNamespace(**{name: _first(f"pytest_readiness.{path}")
                              for name, path in where.items()})
