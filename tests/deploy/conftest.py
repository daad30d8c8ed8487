"""Deployment suites: small generated trees, run through the plugin, the record read back.

Planted credentials are generated at runtime (never committed: this repo audits itself).
"""

from __future__ import annotations

import json
import secrets
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def planted_password() -> str:
    return "pw" + secrets.token_hex(8)


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@dataclass
class SuiteRun:
    result: pytest.RunResult
    checks: list[dict[str, Any]]
    text: str

    def check(self, check_id: str, target: str | None = None) -> dict[str, Any]:
        found = [c for c in self.checks if c["id"] == check_id
                 and (target is None or c["target"] == target)]
        assert len(found) == 1, f"{check_id}: {[(c['id'], c['target']) for c in self.checks]}"
        return found[0]

    def outcome(self, check_id: str, target: str | None = None) -> str:
        return self.check(check_id, target)["outcome"]

    def findings(self, check_id: str, target: str | None = None) -> list[dict[str, Any]]:
        return self.check(check_id, target)["evidence"].get("findings", [])

    def where(self, check_id: str, level: str = "error", target: str | None = None
              ) -> list[str]:
        """``file:line`` of the findings at one level, sorted."""
        return sorted(f"{f['file']}:{f.get('line', '-')}" for f in
                      self.findings(check_id, target) if f.get("level") == level)

    def outcomes(self) -> dict[str, str]:
        return {f"{c['id']}[{c['target']}]": c["outcome"] for c in self.checks}


@pytest.fixture
def run_suite(pytester: pytest.Pytester):
    """Write ``files`` under code/, point readiness.yaml at it, run suites, read the record."""

    def run(suite: str, files: dict[str, str], extra_config: str = "",
            codebase: str = "{path: code}", *args: str) -> SuiteRun:
        write_tree(pytester.path / "code", files)
        pytester.makefile(".yaml", readiness=f"system: t\ncodebases: [{codebase}]\n"
                          + textwrap.dedent(extra_config))
        result = pytester.runpytest("--readiness", "--readiness-suite", suite,
                                    "--readiness-json", "out.json", "-p", "no:cacheprovider",
                                    *args)
        path = pytester.path / "out.json"
        assert path.exists(), result.stdout.str()[-3000:]
        text = path.read_text(encoding="utf-8")
        return SuiteRun(result, json.loads(text)["checks"], text)

    return run
