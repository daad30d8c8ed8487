"""The plugin's options, and whether a run is an audit: what every pytest run imports.

Kept apart from the audit's hooks (audit_hooks.py) so that ``import
pytest_readiness.plugin`` costs next to nothing: a run without ``--readiness``, and
the process that re-executes itself into the audit's own (isolation.py), import
this module, isolation.py and pytest, nothing else of the package.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

OPTIONS: list[tuple[str, dict[str, Any], str | None]] = [
    ("--readiness", {"action": "store_true", "default": None},
     "bool"),
    ("--readiness-config", {"metavar": "PATH"}, "string"),
    ("--readiness-suite", {"metavar": "NAME[,NAME]", "action": "append"}, "args"),
    ("--readiness-category", {"metavar": "NAME", "action": "append"}, "args"),
    ("--readiness-check", {"metavar": "ID[TARGET]", "action": "append"}, None),
    ("--readiness-json", {"metavar": "PATH"}, "string"),
    ("--readiness-report", {"metavar": "PATH"}, "string"),
    ("--readiness-fail-under", {"metavar": "N", "type": float}, "string"),
    ("--readiness-list", {"action": "store_true", "default": False}, None),
    ("--readiness-timeout", {"metavar": "SECONDS", "type": float}, "string"),
    ("--readiness-html", {"metavar": "PATH"}, "string"),
    ("--readiness-sarif", {"metavar": "PATH"}, "string"),
    ("--readiness-prometheus", {"metavar": "PATH"}, "string"),
    ("--readiness-baseline", {"metavar": "PATH"}, "string"),
    ("--readiness-history", {"metavar": "DIR"}, "string"),
    ("--readiness-fail-on", {"metavar": "SEVERITY"}, "string"),
    ("--readiness-no-regressions", {"action": "store_true", "default": None}, "bool"),
    ("--readiness-shard", {"metavar": "I/N"}, None),
    ("--readiness-local-host", {"action": "store_true", "default": None}, "bool"),
    ("--readiness-profile", {"metavar": "NAME"}, "string"),
]
HELP = {
    "--readiness": "run the production-readiness audit (bundled suites and your own checks)",
    "--readiness-config": "readiness.yaml describing the system (default: rootdir/readiness.yaml)",
    "--readiness-suite": "run only these suites: a suite name (module without test_), a check-id "
                         "prefix (db, ops) or a section title",
    "--readiness-category": "run only checks of this category (security, deployment, ...)",
    "--readiness-check": "run only this check id (glob), optionally one target: 'tls.*[api]'",
    "--readiness-json": "write the result record (JSON) to PATH",
    "--readiness-report": "write the Markdown audit report to PATH",
    "--readiness-fail-under": "exit non-zero when the overall score is below N",
    "--readiness-list": "print the catalogue of checks (id, suite, section, category, severity, "
                        "title)",
    "--readiness-timeout": "stop the whole audit after SECONDS; the partial record is written, "
                           "marked incomplete (exit code 7)",
    "--readiness-html": "write the standalone HTML report (one self-contained file) to PATH",
    "--readiness-sarif": "write SARIF 2.1.0 of every finding with a file and line to PATH",
    "--readiness-prometheus": "write the scorecard as Prometheus textfile metrics to PATH (.prom)",
    "--readiness-baseline": "compare with an earlier result record: fixed, regressed, new, deltas",
    "--readiness-history": "keep every record in DIR and draw scores over time in the HTML report",
    "--readiness-fail-on": "fail the run when a check of SEVERITY or worse fails or errors; "
                           "lower-severity failures are reported but do not fail it",
    "--readiness-no-regressions": "exit non-zero (6) when a check regressed since the baseline",
    "--readiness-shard": "run only shard I of N (deterministic; one host's checks stay together)",
    "--readiness-local-host": "audit the machine running pytest as host 'local' (by default it "
                              "is a target only when readiness.yaml names a local:// host)",
    "--readiness-profile": "policy profile that grades findings: baseline (default: what a "
                           "production reviewer requires) or restricted (hardening); wins over "
                           "readiness.yaml profile:",
}


@functools.cache
def suites_dir() -> Path:
    """Bundled suites: inside the installed package, or beside it in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "suites", here.parent / "suites"):
        if (candidate / "__init__.py").is_file():
            return candidate
    raise pytest.UsageError(f"pytest-readiness: bundled suites not found near {here}")


def option(config: pytest.Config, name: str) -> Any:
    """Command line first, then the ini twin (early, before options are parsed, too)."""
    early = getattr(config, "known_args_namespace", None)
    value = config.getoption(name, None)
    if value in (None, [], False) and early is not None:
        value = getattr(early, name, None)
    if value not in (None, [], False):
        return value
    try:
        ini = config.getini(name)
    except ValueError:
        return value
    return ini if ini not in ("", [], None) else value


def enabled(config: pytest.Config) -> bool:
    """``--readiness`` (or its ini twin) is on."""
    return bool(option(config, "readiness"))
