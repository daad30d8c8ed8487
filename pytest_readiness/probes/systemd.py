"""systemd units: parse unit files and ``systemctl show``, and judge them.

The same rule functions judge a unit read from a host (``systemctl show`` where
systemd runs, else the unit file and its drop-ins as the host has them) and a
unit file found in a codebase, read statically. Parsing is pure.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

NETWORK_ONLINE = "network-online.target"
GOOD_RESTART = ("always", "on-failure", "on-abnormal", "on-abort", "on-watchdog")
RESTART_SEC_MIN = 1.0  # below this a crashing service restarts in a tight loop
RESTART_SEC_MAX = 300.0  # above this an outage lasts minutes for nothing
DEFAULT_RESTART_SEC = 0.1  # systemd's default RestartSec=100ms
UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system",
             "/usr/lib/systemd/system")
LIST_KEYS = ("After", "Before", "Wants", "Requires", "BindsTo", "Requisite", "PartOf")
RUNNING_STATES = ("running", "degraded", "starting", "initializing", "maintenance", "stopping")

Unit = dict[str, dict[str, list[str]]]  # section -> key -> values, in file order


class UnitSyntaxError(ValueError):
    """A line that is neither a section, an assignment, a comment nor blank."""


def parse_unit(text: str, unit: Unit | None = None) -> Unit:
    """Parse systemd INI syntax into ``unit`` (a copy); later files override earlier ones.

    Comments start with ``#`` or ``;``; a trailing backslash continues a line;
    repeated keys accumulate; an empty assignment (``After=``) resets the list,
    as systemd does for drop-ins.
    """
    parsed: Unit = {s: {k: list(v) for k, v in keys.items()} for s, keys in (unit or {}).items()}
    section: str | None = None
    for number, line in _logical_lines(text):
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            parsed.setdefault(section, {})
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip() or section is None:
            where = "before any [section]" if section is None and sep else "not key=value"
            raise UnitSyntaxError(f"line {number}: {where}: {line[:80]!r}")
        values = parsed[section].setdefault(key.strip(), [])
        if value.strip():
            values.append(value.strip())
        else:
            values.clear()
    return parsed


def _logical_lines(text: str) -> list[tuple[int, str]]:
    lines: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped[0] in "#;"):
            continue
        if pending and stripped[:1] in ("#", ";"):
            continue  # comments inside a continued line are skipped, as systemd does
        start = start if pending else number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        lines.append((start, " ".join(p for p in pending if p)))
        pending = []
    if pending:
        lines.append((start, " ".join(p for p in pending if p)))
    return lines


def parse_timespan(text: str) -> float:
    """Seconds of a systemd time span: ``5``, ``500ms``, ``1min 30s``, ``2h``, ``100000us``."""
    units = {"us": 1e-6, "usec": 1e-6, "ms": 1e-3, "msec": 1e-3, "s": 1.0, "sec": 1.0,
             "second": 1.0, "seconds": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0,
             "minutes": 60.0, "h": 3600.0, "hr": 3600.0, "hour": 3600.0, "hours": 3600.0,
             "d": 86400.0, "day": 86400.0, "days": 86400.0}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", text.strip().lower())
    if not parts or re.sub(r"[\d.\sa-z]", "", text.strip().lower()):
        raise ValueError(f"not a systemd time span: {text!r}")
    total = 0.0
    for number, unit in parts:
        if unit not in units and unit != "":
            raise ValueError(f"unknown time unit {unit!r} in {text!r}")
        total += float(number) * units.get(unit, 1.0)
    return total


@dataclass(frozen=True)
class UnitFacts:
    """What the rules need of a unit, wherever it was read."""

    name: str
    source: str  # "systemctl show", a host path, or a codebase file
    after: tuple[str, ...] = ()
    wants: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    restart: str = "no"
    restart_sec: float = DEFAULT_RESTART_SEC
    unit_file_state: str | None = None
    active_state: str | None = None
    is_service: bool = True
    service_type: str = "simple"

    def evidence(self) -> dict[str, Any]:
        return {"unit": self.name, "source": self.source, "after": list(self.after),
                "wants": list(self.wants), "requires": list(self.requires),
                "restart": self.restart, "restart_sec": self.restart_sec}


def _words(values: list[str]) -> tuple[str, ...]:
    return tuple(word for value in values for word in value.split())


def facts_from_unit(name: str, unit: Unit, source: str) -> UnitFacts:
    u, s = unit.get("Unit", {}), unit.get("Service", {})
    restart_sec = DEFAULT_RESTART_SEC
    if s.get("RestartSec"):
        restart_sec = parse_timespan(s["RestartSec"][-1])
    return UnitFacts(
        name=name, source=source, after=_words(u.get("After", [])),
        wants=_words(u.get("Wants", [])),
        requires=_words(u.get("Requires", []) + u.get("BindsTo", [])),
        restart=(s.get("Restart") or ["no"])[-1], restart_sec=restart_sec,
        is_service=name.endswith(".service") or "Service" in unit,
        service_type=(s.get("Type") or ["simple"])[-1])


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
        service_type=show.get("Type") or "simple")


# --- rules (pure) ------------------------------------------------------------

def network_online_problems(facts: UnitFacts) -> list[str]:
    """``After=`` and ``Wants=`` of network-online.target must come together."""
    ordered = NETWORK_ONLINE in facts.after
    pulled = NETWORK_ONLINE in facts.wants or NETWORK_ONLINE in facts.requires
    if ordered and not pulled:
        return [f"After={NETWORK_ONLINE} without Wants={NETWORK_ONLINE}: the target is never "
                "pulled in, so the unit may start before the network is up"]
    if pulled and not ordered:
        return [f"Wants={NETWORK_ONLINE} without After={NETWORK_ONLINE}: the unit starts in "
                "parallel with it, not after it"]
    return []


def ordering_problems(facts: UnitFacts, expected_after: list[str] = ()) -> list[str]:  # type: ignore[assignment]
    """Units it depends on (Requires/Wants, and configured ``after``) must be in After=."""
    needed = [u for u in (*facts.requires, *facts.wants, *expected_after)
              if not u.endswith((".target", ".slice"))]
    needed += [u for u in expected_after if u.endswith((".target", ".slice"))]
    missing = [u for u in dict.fromkeys(needed) if u not in facts.after]
    return [f"depends on {u} but is not ordered after it (add After={u})" for u in missing]


def restart_problems(facts: UnitFacts) -> tuple[list[str], list[str]]:
    """(failures, warnings) of the restart policy of a service.

    A ``Type=oneshot`` unit (a job a timer starts) exits by design: staying down
    after it ran is right, so it needs no restart policy.
    """
    if facts.service_type == "oneshot" and facts.restart not in GOOD_RESTART:
        return [], []
    if facts.restart not in GOOD_RESTART:
        return [f"Restart={facts.restart}: the service stays down after a crash "
                "(use Restart=on-failure or always)"], []
    if facts.restart_sec < RESTART_SEC_MIN:
        return [], [f"RestartSec={facts.restart_sec:g}s: a crashing service restarts in a tight "
                    f"loop and hits the start limit (use {RESTART_SEC_MIN:g}s or more)"]
    if facts.restart_sec > RESTART_SEC_MAX:
        return [], [f"RestartSec={facts.restart_sec:g}s: the service stays down for minutes "
                    "after each crash"]
    return [], []


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
    """The unit as the host sees it; cached per (connection, unit) for all its checks."""
    if systemd_running(host):
        keys = ("After", "Wants", "Requires", "BindsTo", "Restart", "RestartUSec",
                "UnitFileState", "ActiveState", "LoadState", "Type")
        out = host.run("systemctl show " + " ".join(f"-p {k}" for k in keys) + " -- %s", unit)
        show = parse_show(out.stdout)
        if show.get("LoadState") == "not-found":
            return HostUnit(None, True)
        return HostUnit(facts_from_show(unit, show), True, ["systemctl show"])
    candidates = [f"{d}/{unit}" for d in UNIT_DIRS]
    found = host.run("ls -1 -d -- " + " ".join(["%s"] * len(candidates)), *candidates)
    existing = [line for line in found.stdout.splitlines() if line in candidates]
    if not existing:
        return HostUnit(None, False)
    files = [existing[0], *_host_dropins(host, unit)]
    parsed: Unit = {}
    for path in files:
        parsed = parse_unit(host.file(path).content_string, parsed)
    return HostUnit(facts_from_unit(unit, parsed, existing[0]), False, files)


def _host_dropins(host: Any, unit: str) -> list[str]:
    dirs = [f"{d}/{unit}.d" for d in reversed(UNIT_DIRS)]  # /etc last: it overrides
    out = host.run("ls -1 -q -- " + " ".join(["%s"] * len(dirs)), *dirs)
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
