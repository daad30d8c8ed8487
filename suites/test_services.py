"""Service ordering and restart policy: configured units on hosts, unit files in the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_readiness.probes import systemd

pytestmark = pytest.mark.readiness(section="Service Ordering and Restart", category="resilience")

_ONLINE_FIX = ("Add both `Wants=network-online.target` and `After=network-online.target` "
               "to the [Unit] section")
_ORDER_FIX = "Add `After=` for every unit listed in `Requires=`/`Wants=` (and those configured)"
_RESTART_FIX = "Set `Restart=on-failure` (or always) and `RestartSec=5s` in the [Service] section"


def _host_unit(host, host_service, readiness) -> systemd.UnitFacts:
    found = systemd.read_host_unit(host, host_service.spec.unit)
    readiness.evidence(host=host_service.host.name, systemd_running=found.systemd_running,
                       read_from=found.files)
    where = ("systemctl show" if found.systemd_running
             else "searched " + ", ".join(systemd.UNIT_DIRS))
    assert found.facts is not None, (
        f"{host_service.spec.unit} not found on {host_service.host.name} ({where})")
    readiness.evidence(**found.facts.evidence())
    return found.facts


def _unit_file(unit_file, readiness) -> systemd.UnitFacts:
    path: Path = unit_file.path
    paths = [path, *sorted(path.parent.joinpath(path.name + ".d").glob("*.conf"))]
    parsed: systemd.Unit = {}
    for each in paths:
        try:
            parsed = systemd.parse_unit(each.read_text(encoding="utf-8", errors="replace"), parsed)
        except (OSError, systemd.UnitSyntaxError, ValueError) as exc:
            readiness.error(f"{unit_file.rel}: cannot parse {each.name}: {exc}")
    facts = systemd.facts_from_unit(path.name, parsed, unit_file.rel)
    readiness.evidence(**facts.evidence(), drop_ins=[p.name for p in paths[1:]])
    return facts


def _report(readiness, rule: str, problems: list[str], file: str | None = None) -> None:
    for problem in problems:
        readiness.finding(rule, problem, file=file)


@pytest.mark.readiness(id="services.network-online", severity="high", fix=_ONLINE_FIX)
def test_unit_waits_for_network_online(host, host_service, readiness):
    """After= and Wants= of network-online.target appear together."""
    problems = systemd.network_online_problems(_host_unit(host, host_service, readiness))
    assert not problems, f"{host_service.target_name}: " + "; ".join(problems)


@pytest.mark.readiness(id="services.ordering", severity="medium", fix=_ORDER_FIX)
def test_unit_ordered_after_dependencies(host, host_service, readiness):
    """A unit starts after the units it depends on."""
    spec = host_service.spec
    facts = _host_unit(host, host_service, readiness)
    problems = systemd.ordering_problems(facts, [*spec.after, *spec.requires, *spec.wants])
    missing_wants = [u for u in spec.wants if u not in facts.wants + facts.requires]
    problems += [f"configured to want {u} but the unit does not (add Wants={u})"
                 for u in missing_wants]
    assert not problems, f"{host_service.target_name}: " + "; ".join(problems)


@pytest.mark.readiness(id="services.restart-policy", severity="high", fix=_RESTART_FIX)
def test_unit_restarts_on_failure(host, host_service, readiness):
    """Restart= is set (always / on-failure) with a sane RestartSec=."""
    if not host_service.spec.restart:
        pytest.skip("not applicable: restart: false in readiness.yaml")
    failures, warnings = systemd.restart_problems(_host_unit(host, host_service, readiness))
    assert not failures, f"{host_service.target_name}: " + "; ".join(failures)
    if warnings:
        readiness.warn(f"{host_service.target_name}: " + "; ".join(warnings))


@pytest.mark.readiness(id="services.enabled-active", severity="high",
                       fix="systemctl enable --now the unit, and find why it is not running "
                           "(journalctl -u UNIT)")
def test_unit_enabled_and_active(host, host_service, readiness):
    """The unit is enabled at boot and active now (where systemd runs)."""
    found = systemd.read_host_unit(host, host_service.spec.unit)
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


@pytest.mark.readiness(id="units.network-online", severity="high", fix=_ONLINE_FIX)
def test_unit_file_waits_for_network_online(unit_file, readiness):
    """Unit files in the code pair After= and Wants= of network-online.target."""
    problems = systemd.network_online_problems(_unit_file(unit_file, readiness))
    _report(readiness, "units.network-online", problems, unit_file.rel)
    assert not problems, f"{unit_file.rel}: " + "; ".join(problems)


@pytest.mark.readiness(id="units.ordering", severity="medium", fix=_ORDER_FIX)
def test_unit_file_ordered_after_dependencies(unit_file, readiness):
    """Unit files in the code order themselves after the units they require or want."""
    problems = systemd.ordering_problems(_unit_file(unit_file, readiness))
    _report(readiness, "units.ordering", problems, unit_file.rel)
    assert not problems, f"{unit_file.rel}: " + "; ".join(problems)


@pytest.mark.readiness(id="units.restart-policy", severity="high", fix=_RESTART_FIX)
def test_unit_file_restarts_on_failure(unit_file, readiness):
    """Service unit files in the code set Restart= with a sane RestartSec=."""
    facts = _unit_file(unit_file, readiness)
    if not facts.is_service:
        pytest.skip(f"not applicable: {unit_file.rel} is not a service")
    failures, warnings = systemd.restart_problems(facts)
    _report(readiness, "units.restart-policy", failures, unit_file.rel)
    assert not failures, f"{unit_file.rel}: " + "; ".join(failures)
    if warnings:
        readiness.warn(f"{unit_file.rel}: " + "; ".join(warnings))
