"""The catalogue: every bundled check has a unique id, a fix, and is in docs/catalogue.md."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import catalogue  # noqa: E402  (scripts/catalogue.py)


def _declared_ids() -> list[str]:
    """Every ``@pytest.mark.readiness(id=...)`` in suites/, read from the source."""
    ids = []
    for path in sorted((REPO / "suites").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("mark.readiness"):
                ids += [k.value.value for k in node.keywords
                        if k.arg == "id" and isinstance(k.value, ast.Constant)]
    return ids


@pytest.fixture(scope="module")
def entries() -> list[dict[str, str]]:
    return catalogue.entries()


def test_ids_are_unique_and_all_listed(entries: list[dict[str, str]]) -> None:
    declared = _declared_ids()
    duplicates = [i for i, n in Counter(declared).items() if n > 1]
    assert duplicates == []
    assert sorted(declared) == [e["id"] for e in entries]
    assert len(entries) >= 100


def test_every_check_has_metadata(entries: list[dict[str, str]]) -> None:
    for entry in entries:
        assert entry["fix"].strip(), entry["id"]
        assert entry["title"].strip(), entry["id"]
        assert entry["severity"] in {"critical", "high", "medium", "low", "info"}
        assert entry["category"] in {"security", "deployment", "resilience", "monitoring",
                                     "performance", "compliance", "operations"}


def test_docs_catalogue_is_current(entries: list[dict[str, str]]) -> None:
    current = (REPO / "docs" / "catalogue.md").read_text(encoding="utf-8")
    assert current == catalogue.render(entries), "run: python scripts/catalogue.py"


def test_readme_counts_hold(entries: list[dict[str, str]]) -> None:
    """README.md gives round figures (a new check changes no README); they must stay true."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    more_than, suites = map(int, re.search(r"More than (\d+) checks in (\d+) suites",
                                           readme).groups())
    assert len(entries) > more_than
    assert len({e["suite"] for e in entries}) == suites


@pytest.mark.slow
def test_list_writes_json_and_runs_nothing(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "--readiness", "--readiness-list",
                           "--readiness-json", "c.json", "-p", "no:cacheprovider"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout
    assert (tmp_path / "c.json").exists() and "passed" not in done.stdout
