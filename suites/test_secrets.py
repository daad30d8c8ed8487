"""Secrets in code: hardcoded keys, tokens, passwords and private keys."""

from __future__ import annotations

import pytest

from pytest_readiness.probes import secrets

pytestmark = pytest.mark.readiness(section="Secrets in Code", category="security")


@pytest.mark.readiness(id="secrets.hardcoded", severity="critical",
                       fix="Remove the secret from the code, rotate it, and read it from the "
                           "environment or a secret store")
def test_no_hardcoded_secrets(codebase, inventory, readiness):
    """No hardcoded API keys, tokens, passwords or private keys in live code."""
    found = secrets.scan(inventory)
    live = [f for f in found if f.live]
    for f in found:
        level = "error" if f.live else "note"
        readiness.finding(f.rule, f"{f.title} ({f.redacted}) in {f.context}", file=f.file,
                          line=f.line, snippet=f.snippet, level=level)
    readiness.evidence(files_scanned=len(inventory.files), live_findings=len(live),
                       non_live_findings=len(found) - len(live))
    assert not live, f"{len(live)} hardcoded secret(s): " + ", ".join(
        f"{f.file}:{f.line} {f.redacted}" for f in live[:10])
