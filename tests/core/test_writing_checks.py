"""The check in docs/writing-checks.md runs as written, and does what the page says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "writing-checks.md"


def example() -> str:
    """The first Python block of the page: the example check."""
    match = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert match, "docs/writing-checks.md has no Python example"
    return match.group(1)


@pytest.mark.parametrize(("setting", "outcome", "message"), [
    ("PAYMENTS_RETRIES = 12", "fail", "1 unbounded retry budget(s): settings.py:3 12 retries"),
    ("PAYMENTS_RETRIES = 0", "warn", "1 unbounded retry budget(s) (warning): settings.py:3 no "
                                     "retry"),
    ("PAYMENTS_RETRIES = 3", "pass", ""),
    ("PAYMENTS_RETRIES = 12  # readiness: ignore[payments.retry-budget] load test build",
     "pass", ""),
])
def test_the_example_check_runs_as_written(pytester: pytest.Pytester, setting: str,
                                           outcome: str, message: str) -> None:
    pytester.makefile(".yaml", readiness="system: shop\ncodebases: [{path: app}]\n"
                                         "checks: [checks]\n")
    (pytester.path / "checks").mkdir()
    (pytester.path / "checks" / "test_payments.py").write_text(example())
    (pytester.path / "app").mkdir()
    (pytester.path / "app" / "settings.py").write_text(f"import os\n\n{setting}\n")
    pytester.runpytest("--readiness", "--readiness-suite", "payments", "--readiness-json",
                       "out.json", "-p", "no:cacheprovider")
    (check,) = json.loads((pytester.path / "out.json").read_text())["checks"]
    assert (check["id"], check["target"], check["outcome"], check["message"]) == (
        "payments.retry-budget", "app", outcome, message)
    if "ignore" in setting:
        assert check["evidence"]["suppressed"][0]["reason"] == "load test build"
