"""Service ordering and restart policy of the configured units on hosts (unit files in the
code: suites/deployment/test_units.py)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness import HostService, Recorder
from pytest_readiness.plumbing import unitfile
from pytest_readiness.probes.hosts import services

pytestmark = pytest.mark.readiness(section="Service Ordering and Restart", category="resilience")


def _host_unit(host: Any, host_service: HostService, readiness: Recorder) -> unitfile.UnitFacts:
    """The unit as the host has it; a unit that is not there fails the check."""
    found = services.read_host_unit(host, host_service.spec.unit)
    readiness.evidence(host=host_service.host.name, systemd_running=found.systemd_running,
                       read_from=found.files)
    where = ("systemctl show" if found.systemd_running
             else "searched " + ", ".join(services.UNIT_DIRS))
    assert found.facts is not None, (
        f"{host_service.spec.unit} not found on {host_service.host.name} ({where})")
    readiness.evidence(**found.facts.evidence())
    return found.facts


@pytest.mark.readiness(id="services.network-online", severity="high",
                       fix=unitfile.FIX_NETWORK_ONLINE)
def test_unit_waits_for_network_online(host: Any, host_service: HostService,
                                       readiness: Recorder) -> None:
    """After= and Wants= of network-online.target appear together."""
    problems = unitfile.network_online_problems(_host_unit(host, host_service, readiness))
    assert not problems, f"{host_service.target_name}: " + "; ".join(problems)


@pytest.mark.readiness(id="services.ordering", severity="medium", fix=unitfile.FIX_ORDERING)
def test_unit_ordered_after_dependencies(host: Any, host_service: HostService,
                                         readiness: Recorder) -> None:
    """A unit starts after the units it depends on."""
    spec = host_service.spec
    facts = _host_unit(host, host_service, readiness)
    problems = unitfile.ordering_problems(facts, [*spec.after, *spec.requires, *spec.wants])
    missing_wants = [u for u in spec.wants if u not in facts.wants + facts.requires]
    problems += [f"configured to want {u} but the unit does not (add Wants={u})"
                 for u in missing_wants]
    assert not problems, f"{host_service.target_name}: " + "; ".join(problems)


@pytest.mark.readiness(id="services.restart-policy", severity="high", fix=unitfile.FIX_RESTART)
def test_unit_restarts_on_failure(host: Any, host_service: HostService,
                                  readiness: Recorder) -> None:
    """Restart= is set (always / on-failure) with a sane RestartSec=."""
    if not host_service.spec.restart:
        pytest.skip("not applicable: restart: false in readiness.yaml")
    failures, warnings = unitfile.restart_problems(_host_unit(host, host_service, readiness))
    assert not failures, f"{host_service.target_name}: " + "; ".join(failures)
    if warnings:
        readiness.warn(f"{host_service.target_name}: " + "; ".join(warnings))


@pytest.mark.readiness(id="services.enabled-active", severity="high",
                       fix="systemctl enable --now the unit, and find why it is not running "
                           "(journalctl -u UNIT)")
def test_unit_enabled_and_active(host: Any, host_service: HostService,
                                 readiness: Recorder) -> None:
    """The unit is enabled at boot and active now (where systemd runs)."""
    found = services.read_host_unit(host, host_service.spec.unit)
    if not found.systemd_running:
        pytest.skip(f"not applicable: systemd does not run on {host_service.host.name}")
    facts = _host_unit(host, host_service, readiness)
    readiness.evidence(unit_file_state=facts.unit_file_state, active_state=facts.active_state)
    spec = host_service.spec
    wrong = []
    if spec.enabled and facts.unit_file_state not in ("enabled", "static", "enabled-runtime"):
        wrong.append(f"not enabled (UnitFileState={facts.unit_file_state})")
    if spec.active and facts.active_state != "active":
        wrong.append(f"not active (ActiveState={facts.active_state})")
    assert not wrong, f"{host_service.target_name}: " + "; ".join(wrong)


@pytest.mark.readiness(id="services.runtime-user", severity="medium", category="security",
                       fix="Run the service as an unprivileged user: User= (or DynamicUser=yes) "
                           "in its [Service] section")
def test_unit_runs_as_unprivileged_user(host: Any, host_service: HostService,
                                        readiness: Recorder) -> None:
    """The service's effective User= (systemctl show, else its unit file) is not root, and is
    the configured ``user`` when one is given."""
    facts = _host_unit(host, host_service, readiness)
    if not facts.is_service:
        pytest.skip(f"not applicable: {host_service.spec.unit} is not a service")
    root = unitfile.runs_as_root(facts)
    readiness.evidence(user=facts.user, dynamic_user=facts.dynamic_user,
                       expected_user=host_service.spec.user)
    if root is None:
        readiness.error(f"{host_service.target_name}: the unit's user could not be read")
    wanted = host_service.spec.user
    who = "a dynamic user" if facts.dynamic_user else (facts.user or "root (no User=)")
    assert wanted is None or facts.user == wanted, (
        f"{host_service.target_name} runs as {who}, expected {wanted}")
    if root and wanted not in ("root", "0"):  # root by choice is said in readiness.yaml
        readiness.warn(f"{host_service.target_name} runs as {who}")
