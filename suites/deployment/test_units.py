"""Service ordering and restart policy of the systemd unit files in the code (the same rules
as the host checks of suites/hosts/test_services.py)."""

from __future__ import annotations

import pytest

from pytest_readiness import CheckError
from pytest_readiness.plumbing import unitfile
from pytest_readiness.probes.deployment import units

pytestmark = pytest.mark.readiness(section="Service Ordering and Restart", category="resilience")


def _unit_file(unit_file, readiness) -> unitfile.UnitFacts:
    try:
        found = units.read_unit_file(unit_file.path, unit_file.rel)
    except units.UnitFileError as exc:
        raise CheckError(str(exc)) from None
    readiness.evidence(**found.facts.evidence(), drop_ins=list(found.drop_ins))
    return found.facts


def _report(readiness, rule: str, problems: list[str], file: str | None = None) -> None:
    for problem in problems:
        readiness.finding(rule, problem, file=file)


@pytest.mark.readiness(id="units.network-online", severity="high", fix=unitfile.FIX_NETWORK_ONLINE)
def test_unit_file_waits_for_network_online(unit_file, readiness):
    """Unit files in the code pair After= and Wants= of network-online.target."""
    problems = unitfile.network_online_problems(_unit_file(unit_file, readiness))
    _report(readiness, "units.network-online", problems, unit_file.rel)
    assert not problems, f"{unit_file.rel}: " + "; ".join(problems)


@pytest.mark.readiness(id="units.ordering", severity="medium", fix=unitfile.FIX_ORDERING)
def test_unit_file_ordered_after_dependencies(unit_file, readiness):
    """Unit files in the code order themselves after the units they require or want."""
    problems = unitfile.ordering_problems(_unit_file(unit_file, readiness))
    _report(readiness, "units.ordering", problems, unit_file.rel)
    assert not problems, f"{unit_file.rel}: " + "; ".join(problems)


@pytest.mark.readiness(id="units.restart-policy", severity="high", fix=unitfile.FIX_RESTART)
def test_unit_file_restarts_on_failure(unit_file, readiness):
    """Service unit files in the code set Restart= with a sane RestartSec=."""
    facts = _unit_file(unit_file, readiness)
    if not facts.is_service:
        pytest.skip(f"not applicable: {unit_file.rel} is not a service")
    failures, warnings = unitfile.restart_problems(facts)
    _report(readiness, "units.restart-policy", failures, unit_file.rel)
    assert not failures, f"{unit_file.rel}: " + "; ".join(failures)
    if warnings:
        readiness.warn(f"{unit_file.rel}: " + "; ".join(warnings))
