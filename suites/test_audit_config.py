"""The audit's own safety: no credentials in readiness.yaml, host keys verified."""

from __future__ import annotations

import pytest

from pytest_readiness.probes.auditconfig import literal_secrets

pytestmark = pytest.mark.readiness(section="Audit Configuration", category="security")


@pytest.mark.readiness(id="audit.config-literal-secrets", severity="medium",
                       fix="Reference the value from the environment in readiness.yaml "
                           "(password: ${DB_PASSWORD}, dsn: postgresql://app:${DB_PASSWORD}@db/app) "
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
    readiness.evidence(config=str(path), literal_secrets=len(found))
    if found:
        readiness.warn(f"{len(found)} credential(s) written into {path.name}: "
                       + ", ".join(f"{f.key} (line {f.line})" for f in found[:5]))


@pytest.mark.readiness(id="audit.host-keys-verified", severity="medium",
                       fix="Remove strict_host_key_checking: false and list the host's key in "
                           "known_hosts (ssh-keyscan once, reviewed, then committed or provisioned)")
def test_ssh_host_keys_verified(host_config, readiness):
    """SSH host keys are verified for every remote host the audit connects to."""
    scheme = host_config.connection.split("://", 1)[0]
    readiness.evidence(connection=scheme, strict_host_key_checking=host_config.strict_host_key_checking,
                       known_hosts=host_config.known_hosts)
    if scheme not in ("ssh", "paramiko", "ansible"):
        pytest.skip(f"not applicable: {scheme}:// does not use SSH")
    if not host_config.strict_host_key_checking:
        readiness.warn(f"host keys of {host_config.name} are not verified: the audit would "
                       "talk to (and send credentials to) any machine answering at that address")
