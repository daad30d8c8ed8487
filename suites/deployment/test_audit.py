"""The audit's own safety: no credentials in readiness.yaml (host keys: see test_fleet.py)."""

from __future__ import annotations

import pytest

from pytest_readiness.probes.deployment.audit import literal_secrets

pytestmark = pytest.mark.readiness(section="Audit Configuration", category="security")


@pytest.mark.readiness(id="audit.config-literal-secrets", severity="medium",
                       fix="Reference the value from the environment in readiness.yaml "
                           "(password: ${DB_PASSWORD}, "
                           "dsn: postgresql://app:${DB_PASSWORD}@db/app) "
                           "and rotate the credential that was committed")
def test_config_holds_no_literal_secrets(readiness_context, readiness):
    """readiness.yaml holds no literal passwords, tokens or DSN passwords."""
    path = readiness_context.config_path
    if path is None:
        pytest.skip("not applicable: no readiness.yaml (built-in defaults)")
    readiness.target = path.name
    found = literal_secrets(path.read_text(encoding="utf-8"))
    for item in found:
        readiness.finding("audit.literal-secret", f"{item.key}: {item.why} ({item.shown})",
                          file=path.name, line=item.line, snippet=f"{item.key}: {item.shown}",
                          level="warning")
    readiness.evidence(config=readiness_context.display(path), literal_secrets=len(found))
    if found:
        readiness.warn(f"{len(found)} credential(s) written into {path.name}: "
                       + ", ".join(f"{f.key} (line {f.line})" for f in found[:5]))
