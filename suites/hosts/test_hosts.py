"""How the audit reaches its hosts: SSH host keys verified (reported in the Fleet Drift
section, where this check has always been)."""

from __future__ import annotations

import pytest

from pytest_readiness import Recorder
from pytest_readiness.config import Host
from pytest_readiness.probes.hosts import hosts

pytestmark = pytest.mark.readiness(section="Fleet Drift", category="operations")


@pytest.mark.readiness(id="hosts.host-key-verification", severity="high", category="security",
                       fix="Remove strict_host_key_checking: false and add the host's key to "
                           "known_hosts (ssh-keyscan, checked against the host's fingerprint)")
def test_ssh_host_keys_verified(host_config: Host, readiness: Recorder) -> None:
    """SSH host keys are verified (no silent trust of whatever answers)."""
    if hosts.scheme(host_config) not in hosts.SSH_SCHEMES:
        pytest.skip(f"not applicable: {host_config.name} is not reached over SSH")
    readiness.evidence(host=host_config.name, strict=host_config.strict_host_key_checking,
                       known_hosts=host_config.known_hosts or "~/.ssh/known_hosts")
    problem = hosts.host_key_problem(host_config)
    if problem:
        readiness.warn(problem)
