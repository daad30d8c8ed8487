"""systemd unit syntax, and the rules that judge a unit, wherever it was read.

Shared by the host checks (probes/hosts/services.py: ``systemctl show`` where systemd
runs, else the unit file and its drop-ins as the host has them) and the checks of
unit files in a codebase (probes/deployment/units.py, read statically). Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

NETWORK_ONLINE = "network-online.target"
GOOD_RESTART = ("always", "on-failure", "on-abnormal", "on-abort", "on-watchdog")
RESTART_SEC_MIN = 1.0  # below this a crashing service restarts in a tight loop
RESTART_SEC_MAX = 300.0  # above this an outage lasts minutes for nothing
DEFAULT_RESTART_SEC = 0.1  # systemd's default RestartSec=100ms
# How to fix what the rules find (the fix text of the host and the unit-file checks).
FIX_NETWORK_ONLINE = ("Add both `Wants=network-online.target` and `After=network-online.target` "
                      "to the [Unit] section")
FIX_ORDERING = "Add `After=` for every unit listed in `Requires=`/`Wants=` (and those configured)"
FIX_RESTART = "Set `Restart=on-failure` (or always) and `RestartSec=5s` in the [Service] section"

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
            raise UnitSyntaxError(f"line {number}: {where}")  # never the line: it may be a secret
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
    user: str | None = None  # User= (None: not read; "": unset, the service runs as root)
    dynamic_user: bool = False
    exec_start: tuple[str, ...] = ()  # ExecStart= command lines, as written

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
        service_type=(s.get("Type") or ["simple"])[-1], user=(s.get("User") or [""])[-1],
        dynamic_user=(s.get("DynamicUser") or ["no"])[-1].lower() in TRUE_WORDS,
        exec_start=tuple(v for v in s.get("ExecStart", []) if v.strip()))


# systemd.syntax(7): booleans.
TRUE_WORDS = ("1", "yes", "true", "on")


def runs_as_root(facts: UnitFacts) -> bool | None:
    """Whether a service runs as root: no User= (or root, 0) and no DynamicUser=; None for
    a unit that is not a service or whose user was not read."""
    if not facts.is_service or facts.user is None:
        return None
    return not facts.dynamic_user and facts.user in ("", "root", "0")


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
