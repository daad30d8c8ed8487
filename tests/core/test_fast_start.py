"""Fast start (issue 17): every pytest run imports the plugin, so it imports next to
nothing; the audit's modules load on ``--readiness`` only, after the re-execution."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import pytest_readiness
from pytest_readiness.plumbing import redact

# What a run without --readiness (and the process that re-executes itself) must not load.
HEAVY = ("pydantic", "jsonschema", "yaml", "prometheus_client", "testinfra", "grpc",
         "cryptography", "psycopg", "dns", "pytest_readiness.config", "pytest_readiness.recorder",
         "pytest_readiness.targets", "pytest_readiness.audit_hooks", "pytest_readiness.report",
         "pytest_readiness.probes", "pytest_readiness.fixtures", "pytest_readiness.session")


def _loaded_after(code: str) -> set[str]:
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m in HEAVY or m.split(".")[0] in HEAVY
                  or any(m.startswith(h + ".") for h in HEAVY))


def test_importing_the_plugin_loads_nothing_of_the_audit() -> None:
    assert _heavy(_loaded_after("import pytest_readiness.plugin")) == []


def test_the_public_names_load_on_first_use() -> None:
    loaded = _loaded_after("import pytest_readiness\nassert pytest_readiness.Recorder")
    assert "pytest_readiness.recorder" in loaded
    assert all(getattr(pytest_readiness, name) is not None for name in pytest_readiness.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        pytest_readiness.nothing_here  # noqa: B018


def test_a_run_without_readiness_stays_inert(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="""
        import sys

        def test_nothing_of_the_audit_loaded():
            assert "pytest_readiness.audit_hooks" not in sys.modules
            assert "pydantic" not in sys.modules

        def test_the_fixture_is_there(readiness):
            readiness.evidence(seen=True)
            assert readiness.as_evidence()["seen"] is True
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=2)


def test_a_long_text_is_scrubbed_once_and_stays_scrubbed() -> None:
    secret = "hunter2hunter2XYZ"
    text = json.dumps({"password": secret, "pad": "x" * 2000})
    once = redact.scrub(text)
    assert secret not in once and redact.scrub(once) == once
    assert once in redact._CLEAN  # its result is known clean: not scanned again
    assert redact.scrub(text) == once
