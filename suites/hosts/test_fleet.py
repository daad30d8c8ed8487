"""Fleet drift: hosts of one role agree on kernel, packages, files and clock."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from pytest_readiness import Recorder
from pytest_readiness.config import ReadinessConfig
from pytest_readiness.probes.hosts import fleet

pytestmark = pytest.mark.readiness(section="Fleet Drift", category="operations")

_FIX = ("Bring the outliers in line with the rest of their role through provisioning "
        "(the same image, package pins and configuration management)")


def _role_facts(readiness_config: ReadinessConfig, readiness: Recorder) -> dict[str,
                list[fleet.HostFacts]]:
    grouped = fleet.roles(list(readiness_config.hosts))
    if not grouped:
        pytest.skip("not applicable: no role with two or more hosts")
    readiness.target = "fleet"
    return {role: fleet.gather_all(members, readiness_config.fleet)
            for role, members in grouped.items()}


def _compare(readiness: Recorder, per_role: dict[str, list[fleet.HostFacts]], fact: str,
             value_of: Callable[[fleet.HostFacts], Any]) -> None:
    drifted, unreachable, seen = [], [], {}
    for role, facts in per_role.items():
        values = {}
        for f in facts:
            if f.error:
                unreachable.append(f"{f.host}: {f.error}")
            else:
                values[f.host] = value_of(f)
        seen[role] = {h: v for h, v in values.items()}
        drift = fleet.find_outliers({h: repr(v) for h, v in values.items()})
        if drift.outliers:
            shown = ", ".join(f"{h}={values[h]}" for h in drift.outliers)
            base = f"majority {drift.majority}" if drift.majority else \
                "no majority: every value shown, none named right"
            drifted.append(f"role {role}: {fact} differs on {shown} ({base})")
    readiness.evidence(**{fact: seen}, unreachable=sorted(set(unreachable)))
    if drifted:
        readiness.warn("; ".join(drifted))
    if unreachable:
        readiness.warn("could not gather from " + "; ".join(sorted(set(unreachable))))


def _package(facts: fleet.HostFacts, package: str) -> str | None:
    return facts.packages.get(package)


def _file(facts: fleet.HostFacts, path: str) -> str | None:
    return facts.files.get(path)


@pytest.mark.readiness(id="fleet.kernel", severity="medium", fix=_FIX)
def test_role_runs_one_kernel(readiness_config: ReadinessConfig, readiness: Recorder) -> None:
    """Hosts of a role run the same kernel."""
    if "kernel" not in readiness_config.fleet.facts:
        pytest.skip("not applicable: kernel not in fleet.facts")
    _compare(readiness, _role_facts(readiness_config, readiness), "kernel", lambda f: f.kernel)


@pytest.mark.readiness(id="fleet.packages", severity="medium", fix=_FIX)
def test_role_has_same_package_versions(readiness_config: ReadinessConfig,
                                        readiness: Recorder) -> None:
    """Hosts of a role have the same versions of the configured packages."""
    if not readiness_config.fleet.packages or "packages" not in readiness_config.fleet.facts:
        pytest.skip("not applicable: no fleet.packages configured")
    per_role = _role_facts(readiness_config, readiness)
    invalid = fleet.invalid_packages(readiness_config.fleet)
    if invalid:  # never run on a host; the valid names were gathered above
        readiness.error("fleet.packages: " + "; ".join(invalid))
    for package in readiness_config.fleet.packages:
        _compare(readiness, per_role, f"package {package}",
                 functools.partial(_package, package=package))


@pytest.mark.readiness(id="fleet.files", severity="medium", fix=_FIX)
def test_role_has_same_files(readiness_config: ReadinessConfig, readiness: Recorder) -> None:
    """Configured files have the same content (sha256) on every host of a role."""
    if not readiness_config.fleet.files or "files" not in readiness_config.fleet.facts:
        pytest.skip("not applicable: no fleet.files configured")
    per_role = _role_facts(readiness_config, readiness)
    for path in readiness_config.fleet.files:
        _compare(readiness, per_role, f"file {path}", functools.partial(_file, path=path))


@pytest.mark.readiness(id="fleet.ntp-offset", severity="medium",
                       fix="Synchronise the outliers' clocks (see clock.ntp-synchronised)")
def test_role_clocks_agree(readiness_config: ReadinessConfig, readiness: Recorder) -> None:
    """Clocks of the hosts of a role agree within the NTP warn threshold (without a majority:
    each host's clock agrees with ours)."""
    if "ntp_offset" not in readiness_config.fleet.facts:
        pytest.skip("not applicable: ntp_offset not in fleet.facts")
    per_role = _role_facts(readiness_config, readiness)
    tolerance = readiness_config.ntp.warn_ms
    drifted, offsets, bases = [], {}, {}
    for role, facts in per_role.items():
        offsets[role] = {f.host: f.ntp_offset_ms for f in facts if f.ntp_offset_ms is not None}
        found = fleet.offset_outliers(offsets[role], tolerance)
        bases[role] = found.basis
        if found.outliers:
            shown = ", ".join(f"{h}={v:+.1f} ms" for h, v in found.outliers.items())
            everyone = ", ".join(f"{h}={v:+.1f} ms" for h, v in sorted(offsets[role].items()))
            drifted.append(f"role {role}: clock offset beyond {tolerance:g} ms of "
                           f"{found.basis} on {shown} (offsets from our clock: {everyone})")
    readiness.evidence(offsets_ms=offsets, compared_with=bases)
    if drifted:
        readiness.warn("; ".join(drifted))
