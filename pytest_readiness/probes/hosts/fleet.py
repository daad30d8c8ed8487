"""Fleet drift: the same facts gathered on every host of a role, majority vs outliers."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pytest_readiness.config import FleetConfig, Host
from pytest_readiness.probes.hosts import clock, commands
from pytest_readiness.probes.hosts.connect import connect

ALL_HOSTS_ROLE = "all"
MAX_PARALLEL_HOSTS = 16


@dataclass(frozen=True)
class Drift:
    majority: Hashable | None  # None: no value is held by more than half the hosts
    outliers: dict[str, Any]  # host -> its differing value


def find_outliers(values: Mapping[str, Hashable]) -> Drift:
    """Hosts whose value differs from the one more than half of the role holds."""
    if not values:
        return Drift(None, {})
    (common, count), *_ = Counter(values.values()).most_common(1)
    if count * 2 <= len(values):
        return Drift(None, dict(values)) if len(set(values.values())) > 1 else Drift(common, {})
    return Drift(common, {h: v for h, v in sorted(values.items()) if v != common})


def roles(config_hosts: list[Host]) -> dict[str, list[Host]]:
    """Role -> its hosts; without any role configured, all hosts form one role."""
    grouped: dict[str, list[Host]] = {}
    for host in config_hosts:
        for role in host.roles:
            grouped.setdefault(role, []).append(host)
    if not grouped and len(config_hosts) > 1:
        grouped[ALL_HOSTS_ROLE] = list(config_hosts)
    return {role: members for role, members in sorted(grouped.items()) if len(members) > 1}


@dataclass
class HostFacts:
    host: str
    kernel: str | None = None
    packages: dict[str, str] = field(default_factory=dict)
    ntp_offset_ms: float | None = None
    files: dict[str, str] = field(default_factory=dict)
    error: str | None = None


_NOT_INSTALLED = ("no packages found matching", "is not installed")


def _package_version(tinfra: Any, package: str) -> str:
    """The installed version, ``(not installed)`` when a package manager says so; a host
    where neither dpkg-query nor rpm answers raises (nothing read is not "not installed")."""
    dpkg = tinfra.run("dpkg-query -W -f '${Version}' -- %s", package)
    if dpkg.rc == 0:
        return str(dpkg.stdout).strip() or "(not installed)"
    rpm = tinfra.run("rpm -q --qf '%%{VERSION}-%%{RELEASE}' -- %s", package)
    if rpm.rc == 0:
        return str(rpm.stdout).strip()
    said = " ".join([dpkg.stdout, dpkg.stderr, rpm.stdout, rpm.stderr])
    if any(answer in said for answer in _NOT_INSTALLED):
        return "(not installed)"
    raise commands.HostCommandFailed(
        f"package {package}: neither dpkg-query nor rpm answered "
        f"({commands.first_complaint(dpkg)}; {commands.first_complaint(rpm)})")


def _checksum(tinfra: Any, path: str) -> str:
    out = tinfra.run("sha256sum -- %s", path)
    if out.rc == 0 and out.stdout.split():
        return str(out.stdout.split()[0][:16])
    said = commands.complaints(out.stderr)
    if said or out.rc == 0:
        raise commands.HostCommandFailed(f"sha256sum {path}: " + "; ".join(said[:2]))
    return "(missing)"


def invalid_packages(fleet: FleetConfig) -> list[str]:
    """Why entries of ``fleet.packages`` are not package names (they are never run)."""
    return [problem for p in fleet.packages if (problem := commands.package_name_problem(p))]


@functools.cache
def gather(host: Host, fleet: FleetConfig) -> HostFacts:
    """Facts of one host (cached per process: every fleet check reads the same)."""
    facts = HostFacts(host.name)
    try:
        tinfra = connect(host)
        if "kernel" in fleet.facts:
            facts.kernel = commands.output_of(tinfra.run("uname -r"), "uname -r").strip()
        if "packages" in fleet.facts:
            facts.packages = {p: _package_version(tinfra, p) for p in fleet.packages
                              if commands.package_name_problem(p) is None}
        if "files" in fleet.facts:
            facts.files = {f: _checksum(tinfra, f) for f in fleet.files}
        if "ntp_offset" in fleet.facts:
            drift = clock.host_drift(tinfra)
            # Only drift beyond the measurement's own uncertainty (half the round trip) counts.
            beyond = max(abs(drift.drift_s) - drift.uncertainty_s, 0.0)
            facts.ntp_offset_ms = round(beyond * 1000 * (1 if drift.drift_s >= 0 else -1), 1)
    except Exception as exc:  # an unreachable host is reported, the others compared
        facts.error = str(exc)
    return facts


def gather_all(members: list[Host], fleet: FleetConfig) -> list[HostFacts]:
    with ThreadPoolExecutor(min(MAX_PARALLEL_HOSTS, max(len(members), 1))) as pool:
        return list(pool.map(lambda h: gather(h, fleet), members))


@dataclass(frozen=True)
class ClockOutliers:
    outliers: dict[str, float]  # host -> its offset from the auditing machine's clock (ms)
    basis: str  # what they were compared with


ROLE_MEDIAN = "the role's median"
OUR_CLOCK = "the auditing machine's clock (no majority of the role agrees)"


def offset_outliers(offsets: Mapping[str, float], tolerance_ms: float) -> ClockOutliers:
    """Hosts whose clock is further than ``tolerance_ms`` from the rest of their role.

    When more than half of the role agrees (within the tolerance of the median), the
    others are outliers. Without such a majority (two hosts that disagree, a role split
    down the middle) the role cannot say which clock is right, so each host is compared
    with the auditing machine's clock instead: its offset is measured against it anyway.
    """
    if not offsets:
        return ClockOutliers({}, ROLE_MEDIAN)
    ordered = sorted(offsets.values())
    median = ordered[len(ordered) // 2]
    agreeing = [h for h, v in offsets.items() if abs(v - median) <= tolerance_ms]
    if len(agreeing) * 2 > len(offsets):
        return ClockOutliers({h: v for h, v in sorted(offsets.items())
                              if abs(v - median) > tolerance_ms}, ROLE_MEDIAN)
    return ClockOutliers({h: v for h, v in sorted(offsets.items()) if abs(v) > tolerance_ms},
                         OUR_CLOCK)
