"""Shared test configuration: pytester, and how missing servers are handled.

Areas keep their own fixtures in tests/<area>/conftest.py; real servers started
on 127.0.0.1 live in tests/servers/. In CI (CI=true, or scripts/test.sh, which
installs the servers) a server that cannot start fails the run; elsewhere it
skips with the reason.
"""

from __future__ import annotations

import os
import shutil

import pytest

pytest_plugins = ["pytester"]

# The audit's modules, imported once here as a real audit imports them: pytester's
# in-process runs drop the modules first imported inside them, and a module imported
# again mid-session would hold classes other than the ones the rest of it holds.
# (``import pytest_readiness.plugin`` alone stays cheap: docs/performance.md.)
import pytest_readiness.audit_hooks  # noqa: E402, F401

try:
    from hypothesis import settings
except ImportError:  # the oldest-pytest smoke venv of scripts/test.sh runs no property test
    pass
else:
    # Property tests check properties, not speed (speed is measured by benchmarks/): no
    # per-example deadline, which a loaded 2-core machine exceeds without any fault.
    settings.register_profile("readiness", deadline=None)
    settings.load_profile("readiness")

# scripts/test.sh (and so .ci/run) installs every server and sets READINESS_STRICT_SERVERS.
IN_CI = any(os.environ.get(v, "").lower() in ("1", "true", "yes")
            for v in ("CI", "READINESS_STRICT_SERVERS"))


def require_binary(name: str, *candidates: str) -> str:
    """Path of a server binary; fail in CI, skip elsewhere, when it is missing."""
    for candidate in (name, *candidates):
        found = shutil.which(candidate) or (candidate if os.path.isfile(candidate) else None)
        if found:
            return found
    message = f"{name} is not installed (scripts/test.sh installs it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)
