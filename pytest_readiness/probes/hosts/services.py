"""systemd units on hosts: ``systemctl show`` where systemd runs, else the unit file and
its drop-ins as the host has them. The rules that judge a unit are in
plumbing/unitfile.py, shared with the unit files of a codebase (deployment/units.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from pytest_readiness.plumbing.unitfile import (
    DEFAULT_RESTART_SEC,
    TRUE_WORDS,
    Unit,
    UnitFacts,
    facts_from_unit,
    parse_timespan,
    parse_unit,
)
from pytest_readiness.probes.hosts import commands

UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system",
             "/usr/lib/systemd/system")
RUNNING_STATES = ("running", "degraded", "starting", "initializing", "maintenance", "stopping")


def parse_show(text: str) -> dict[str, str]:
    """``systemctl show`` output (``Key=value`` lines) as a dict; the last value wins."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            values[key.strip()] = value.strip()
    return values


def facts_from_show(name: str, show: dict[str, str]) -> UnitFacts:
    usec = show.get("RestartUSec", "")
    restart_sec = parse_timespan(usec) if usec and usec != "infinity" else DEFAULT_RESTART_SEC
    return UnitFacts(
        name=name, source="systemctl show", after=tuple(show.get("After", "").split()),
        wants=tuple(show.get("Wants", "").split()),
        requires=tuple((show.get("Requires", "") + " " + show.get("BindsTo", "")).split()),
        restart=show.get("Restart", "no") or "no", restart_sec=restart_sec,
        unit_file_state=show.get("UnitFileState") or None,
        active_state=show.get("ActiveState") or None,
        service_type=show.get("Type") or "simple",
        user=show.get("User") if "User" in show else None,
        dynamic_user=show.get("DynamicUser", "no").lower() in TRUE_WORDS)



# --- reading units on a host -------------------------------------------------

@dataclass
class HostUnit:
    facts: UnitFacts | None
    systemd_running: bool
    files: list[str] = field(default_factory=list)


def systemd_running(host: Any) -> bool:
    return host.run("systemctl is-system-running").stdout.strip() in RUNNING_STATES


@functools.lru_cache(maxsize=512)
def read_host_unit(host: Any, unit: str) -> HostUnit:
    """The unit as the host sees it; cached per (connection, unit) for all its checks.

    ``unit`` must be a systemd unit name (it becomes part of paths on the host); a
    command that fails, or a directory the host cannot list, ends the check in error
    rather than passing (or failing) on what was not read.
    """
    problem = commands.unit_name_problem(unit)
    if problem:
        raise commands.CommandRefused(f"services[].unit: {problem}")
    if systemd_running(host):
        keys = ("After", "Wants", "Requires", "BindsTo", "Restart", "RestartUSec",
                "UnitFileState", "ActiveState", "LoadState", "Type", "User", "DynamicUser")
        out = host.run("systemctl show " + " ".join(f"-p {k}" for k in keys) + " -- %s", unit)
        show = parse_show(commands.output_of(out, f"systemctl show {unit}"))
        if show.get("LoadState") == "not-found":
            return HostUnit(None, True)
        if "LoadState" not in show:
            raise commands.HostCommandFailed(f"systemctl show {unit} answered no LoadState")
        return HostUnit(facts_from_show(unit, show), True, ["systemctl show"])
    candidates = [f"{d}/{unit}" for d in UNIT_DIRS]
    found = host.run("ls -1 -d -- " + " ".join(["%s"] * len(candidates)), *candidates)
    _believe(found, f"looking for {unit}")
    existing = [line for line in found.stdout.splitlines() if line in candidates]
    if not existing:
        return HostUnit(None, False)
    files = [existing[0], *_host_dropins(host, unit)]
    parsed: Unit = {}
    for path in files:
        text = commands.output_of(host.run("cat -- %s", path), f"reading {path}")
        parsed = parse_unit(text, parsed)
    return HostUnit(facts_from_unit(unit, parsed, existing[0]), False, files)


def _believe(result: Any, what: str) -> None:
    """A listing with complaints other than "no such file" cannot be believed."""
    said = commands.complaints(result.stderr) if result.rc != 0 else []
    if said:
        raise commands.HostCommandFailed(f"{what}: " + "; ".join(said[:3]))


def _host_dropins(host: Any, unit: str) -> list[str]:
    dirs = [f"{d}/{unit}.d" for d in reversed(UNIT_DIRS)]  # /etc last: it overrides
    out = host.run("ls -1 -q -- " + " ".join(["%s"] * len(dirs)), *dirs)
    _believe(out, f"looking for drop-ins of {unit}")
    return dropins_from_listing(out.stdout, dirs)


def dropins_from_listing(listing: str, dirs: list[str]) -> list[str]:
    """``ls -1 dir...`` output -> drop-in paths, ordered by file name as systemd applies them."""
    by_name: dict[str, str] = {}
    current: str | None = dirs[0] if len(dirs) == 1 else None
    for line in listing.splitlines():
        if line.endswith(":") and line[:-1] in dirs:
            current = line[:-1]
        elif line and current and line.endswith(".conf"):
            by_name[line] = f"{current}/{line}"  # a later (higher priority) dir wins
    return [by_name[name] for name in sorted(by_name)]
