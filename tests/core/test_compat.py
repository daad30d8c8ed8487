"""The supported pytest range, and an audit that raises no warning within it.

scripts/test.sh runs this file twice: in the test venv (the newest pytest) and in a
venv with the oldest pytest pyproject.toml allows.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pytest_readiness import isolation
from tests.code.conftest import planted_key

REPO = Path(__file__).resolve().parents[2]


def test_supported_pytest_range_is_stated_and_met() -> None:
    (spec,) = re.findall(r'"pytest([<>=!~][^"]*)"', (REPO / "pyproject.toml").read_text())
    assert Version(pytest.__version__) in SpecifierSet(spec), (pytest.__version__, spec)
    assert f"pytest{spec}" in (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_normal_audit_raises_no_warning(pytester: pytest.Pytester) -> None:
    (pytester.path / "app.py").write_text(f'KEY = "{planted_key()}"\n')
    result = pytester.runpytest_subprocess("--readiness", "-W", "error", "--readiness-json",
                                           "out.json", "-p", "no:cacheprovider")
    output = result.stdout.str()
    assert "warnings summary" not in output
    assert not re.search(r"\d+ warnings? in ", output), output[-400:]
    checks = json.loads((pytester.path / "out.json").read_text())["checks"]
    assert [c for c in checks if c["outcome"] == "error"] == []
    assert {c["id"]: c["outcome"] for c in checks}["secrets.hardcoded"] == "fail"


def test_host_is_testinfras_except_in_an_audit(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mine="def test_uses_host(host):\n    pass\n")
    normal = pytester.runpytest("--fixtures-per-test", "-p", "no:cacheprovider", "test_mine.py")
    normal.stdout.fnmatch_lines(["host -- *testinfra*plugin.py:*"])
    audit = pytester.runpytest("--readiness", "--readiness-local-host",
                               "--readiness-check", "tools.present[local]",
                               "--fixtures-per-test", "-p", "no:cacheprovider")
    audit.stdout.fnmatch_lines(["host -- *pytest_readiness*fixtures.py:*",
                                "readiness_context -- *pytest_readiness*fixtures.py:*"])


def test_an_ini_file_is_read_as_this_pytest_keeps_it(pytester: pytest.Pytester) -> None:
    """Whether the repository's ini sets anything (then the audit re-executes itself)
    is read from where each supported pytest keeps its values; -o overrides are not
    the repository's (they are kept on the command line)."""
    config = pytester.parseconfig("-o", "readiness_suite=tls")
    assert not (isolation.not_clean(config, [], {}) or "").endswith("sets pytest options")
    ini = pytester.makeini("[pytest]\nmarkers = own\n")
    config = pytester.parseconfig("-o", "readiness_suite=tls")
    assert isolation.not_clean(config, [], {}) == f"{ini} sets pytest options"
