"""Code suites: small generated trees with positives and negatives, run through the plugin.

Planted secrets are generated at runtime (never committed: this repo audits itself).
"""

from __future__ import annotations

import json
import secrets as _secrets
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.plumbing import pyast, tree


def _real(make: Callable[[], str]) -> str:
    """A random value the scanner must treat as real: redraw the rare one that spells a
    placeholder word by chance (``...XXX...``), so tests never flake."""
    from pytest_readiness.plumbing.redact import is_placeholder
    from pytest_readiness.probes.code.secrets import judge_value

    while True:
        value = make()
        if judge_value(value.removeprefix("sk-")) == "real" and \
                not is_placeholder(value.removeprefix("sk-")) and not value.startswith("-"):
            return value


def planted_key() -> str:
    return _real(lambda: "sk-" + _secrets.token_urlsafe(32))


def planted_password() -> str:
    return _real(lambda: _secrets.token_urlsafe(18))


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def module_of(source: str, rel: str = "app/service.py") -> pyast.Module:
    return pyast.parse(textwrap.dedent(source).lstrip("\n"), rel)


def inventory_of(root: Path, files: dict[str, str]) -> tree.Inventory:
    return tree.inventory(write_tree(root, files))


@dataclass
class SuiteRun:
    result: pytest.RunResult
    checks: list[dict[str, Any]]
    text: str  # the whole record, for "the secret is nowhere" assertions

    def check(self, check_id: str) -> dict[str, Any]:
        found = [c for c in self.checks if c["id"] == check_id]
        assert len(found) == 1, f"{check_id}: {[c['id'] for c in self.checks]}"
        return found[0]

    def outcome(self, check_id: str) -> str:
        return self.check(check_id)["outcome"]

    def findings(self, check_id: str) -> list[dict[str, Any]]:
        return self.check(check_id)["evidence"].get("findings", [])

    def rules(self, check_id: str, level: str = "error") -> list[str]:
        return sorted(f["rule"] for f in self.findings(check_id) if f.get("level") == level)


@pytest.fixture
def run_suite(pytester: pytest.Pytester):
    """Write ``files`` under code/, point readiness.yaml at it, run one suite, read the record."""

    def run(suite: str, files: dict[str, str], codebase: str = "{path: code}",
            *args: str) -> SuiteRun:
        write_tree(pytester.path / "code", files)
        pytester.makefile(".yaml", readiness=f"system: t\ncodebases: [{codebase}]\n")
        result = pytester.runpytest("--readiness", "--readiness-suite", suite,
                                    "--readiness-json", "out.json", "-p", "no:cacheprovider",
                                    *args)
        text = (pytester.path / "out.json").read_text(encoding="utf-8")
        return SuiteRun(result, json.loads(text)["checks"], text)

    return run
