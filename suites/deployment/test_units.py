"""Service ordering and restart policy of the systemd unit files in the code (the same rules
as the host checks of suites/hosts/test_services.py)."""

from __future__ import annotations

import pytest

from pytest_readiness import Artefact, CheckError, Context, Recorder
from pytest_readiness.plumbing import unitfile
from pytest_readiness.probes.deployment import units
from pytest_readiness.recorder import Message

pytestmark = pytest.mark.readiness(section="Service Ordering and Restart", category="resilience")


@pytest.fixture
def unit_facts(unit_file: Artefact, readiness: Recorder,
               readiness_context: Context) -> unitfile.UnitFacts:
    """The unit file with its drop-ins applied; one that does not parse is an error."""
    try:
        found = units.read_unit_file(unit_file.path, unit_file.rel,
                                     readiness_context.reader_for(unit_file.path))
    except units.UnitFileError as exc:
        raise CheckError(str(exc)) from None
    readiness.evidence(**found.facts.evidence(), drop_ins=list(found.drop_ins))
    return found.facts


def _problems(unit_file: Artefact) -> Message:
    """``file: problem; problem`` (the unit's problems have no line of their own)."""
    return lambda found: f"{unit_file.rel}: " + "; ".join(f.message for f in found)


@pytest.mark.readiness(id="units.network-online", severity="high",
                       fix=unitfile.FIX_NETWORK_ONLINE)
def test_unit_file_waits_for_network_online(unit_file: Artefact, unit_facts: unitfile.UnitFacts,
                                            readiness: Recorder) -> None:
    """Unit files in the code pair After= and Wants= of network-online.target."""
    readiness.conclude(units.findings(unit_file.rel, unitfile.network_online_problems(unit_facts)),
                       _problems(unit_file))


@pytest.mark.readiness(id="units.ordering", severity="medium", fix=unitfile.FIX_ORDERING)
def test_unit_file_ordered_after_dependencies(unit_file: Artefact,
                                              unit_facts: unitfile.UnitFacts,
                                              readiness: Recorder) -> None:
    """Unit files in the code order themselves after the units they require or want."""
    readiness.conclude(units.findings(unit_file.rel, unitfile.ordering_problems(unit_facts)),
                       _problems(unit_file))


@pytest.mark.readiness(id="units.restart-policy", severity="high", fix=unitfile.FIX_RESTART)
def test_unit_file_restarts_on_failure(unit_file: Artefact, unit_facts: unitfile.UnitFacts,
                                       readiness: Recorder) -> None:
    """Service unit files in the code set Restart= with a sane RestartSec=."""
    if not unit_facts.is_service:
        pytest.skip(f"not applicable: {unit_file.rel} is not a service")
    failures, warnings = unitfile.restart_problems(unit_facts)
    readiness.conclude(units.findings(unit_file.rel, failures, warnings), _problems(unit_file))


@pytest.mark.readiness(id="units.user", severity="high", category="security",
                       levels=units.USER_LEVELS,
                       fix="Run the service as a dedicated account: User=app (and Group=) or "
                           "DynamicUser=yes in [Service]; bind ports below 1024 with "
                           "AmbientCapabilities=CAP_NET_BIND_SERVICE or a .socket unit")
def test_unit_file_runs_as_a_user(unit_file: Artefact, unit_facts: unitfile.UnitFacts,
                                  readiness: Recorder) -> None:
    """Service unit files in the code run as a user of their own, not root."""
    if not unit_facts.is_service:
        pytest.skip(f"not applicable: {unit_file.rel} is not a service")
    socket = unit_file.path.with_name(unit_file.path.name.rsplit(".", 1)[0] + ".socket")
    readiness.evidence(user=unit_facts.user or None, dynamic_user=unit_facts.dynamic_user,
                       programs=[units.program(c)[0] for c in unit_facts.exec_start][:5],
                       socket_unit=socket.name if socket.is_file() else None)
    readiness.conclude(units.user_findings(unit_file.rel, unit_facts, socket.is_file()),
                       _problems(unit_file), warning=_problems(unit_file))
