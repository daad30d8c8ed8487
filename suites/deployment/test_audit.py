"""The audit's own safety: no credentials in readiness.yaml (host keys: suites/hosts/)."""

from __future__ import annotations

import pytest

from pytest_readiness import Context, Recorder
from pytest_readiness.config import read_config_text
from pytest_readiness.probes.deployment import audit

pytestmark = pytest.mark.readiness(section="Audit Configuration", category="security")


@pytest.mark.readiness(id="audit.config-literal-secrets", severity="medium",
                       fix="Reference the value from the environment in readiness.yaml "
                           "(password: ${DB_PASSWORD}, "
                           "dsn: postgresql://app:${DB_PASSWORD}@db/app) "
                           "and rotate the credential that was committed")
def test_config_holds_no_literal_secrets(readiness_context: Context,
                                         readiness: Recorder) -> None:
    """readiness.yaml holds no literal passwords, tokens or DSN passwords."""
    path = readiness_context.config_path
    if path is None:
        pytest.skip("not applicable: no readiness.yaml (built-in defaults)")
    readiness.target = path.name
    found = audit.literal_secrets(read_config_text(path))
    readiness.evidence(config=readiness_context.display(path), literal_secrets=len(found))
    written = f"credential(s) written into {path.name}"
    readiness.conclude(audit.literal_secret_findings(found, path.name), written,
                       warning=lambda kept: f"{len(kept)} {written}: " + ", ".join(
                           f"{f.key} (line {f.line})" for f in found[:5]))
