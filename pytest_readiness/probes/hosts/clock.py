"""Host clocks: NTP sync state from ``timedatectl show`` or ``chronyc -c tracking``, and the
drift of a host's clock from the auditing machine's. Parsers of command output are pure;
the SNTP client is probes/network/ntp.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pytest_readiness.probes.network.ntp import NtpError


def parse_key_values(text: str) -> dict[str, str]:
    """``timedatectl show`` output: ``Key=value`` lines."""
    return {k.strip(): v.strip() for k, sep, v in
            (line.partition("=") for line in text.splitlines()) if sep and k.strip()}


@dataclass(frozen=True)
class Tracking:
    """``chronyc -c tracking``: the fields the audit reads."""

    reference: str
    stratum: int
    system_offset_s: float  # how far the system clock is from NTP time now
    last_offset_s: float
    leap_status: str

    @property
    def synchronised(self) -> bool:
        return self.leap_status.lower() != "not synchronised" and self.stratum > 0


def parse_chronyc_tracking(text: str) -> Tracking:
    """Parse the CSV line of ``chronyc -c tracking`` (14 fields)."""
    line = next((each for each in text.splitlines() if each.strip()), "")
    fields = line.split(",")
    if len(fields) < 14:
        raise ValueError(f"chronyc -c tracking: expected 14 CSV fields, got {len(fields)}: "
                         f"{line[:120]!r}")
    try:
        return Tracking(reference=fields[1] or fields[0], stratum=int(fields[2]),
                        system_offset_s=float(fields[4]), last_offset_s=float(fields[5]),
                        leap_status=fields[13].strip())
    except ValueError as exc:
        raise ValueError(f"chronyc -c tracking: {exc}: {line[:120]!r}") from None


@dataclass(frozen=True)
class ClockState:
    synchronised: bool | None  # None: no tool on the host could tell
    source: str
    details: dict[str, Any]


def host_clock_state(host: Any) -> ClockState:
    """Whether the host's clock is NTP-synchronised, from timedatectl, else chronyc."""
    details: dict[str, Any] = {}
    out = host.run("timedatectl show")
    if out.rc == 0 and "NTPSynchronized=" in out.stdout:
        values = parse_key_values(out.stdout)
        details = {k: values[k] for k in ("NTP", "NTPSynchronized", "Timezone") if k in values}
        if values.get("NTPSynchronized") == "yes":
            return ClockState(True, "timedatectl show", details)
    out = host.run("chronyc -c tracking")
    if out.rc == 0 and out.stdout.strip():
        tracking = parse_chronyc_tracking(out.stdout)
        details.update(reference=tracking.reference, stratum=tracking.stratum,
                       system_offset_s=tracking.system_offset_s, leap_status=tracking.leap_status)
        return ClockState(tracking.synchronised, "chronyc -c tracking", details)
    if details:
        return ClockState(False, "timedatectl show", details)
    return ClockState(None, "none", {"timedatectl": "unavailable", "chronyc": "unavailable"})


@dataclass(frozen=True)
class Drift:
    drift_s: float  # host clock minus ours
    uncertainty_s: float  # half the round trip


def host_drift(host: Any) -> Drift:
    """The host's clock against the auditing machine's, read with ``date +%s.%N``."""
    before = time.time()
    out = host.run("date +%s.%N")
    after = time.time()
    text = out.stdout.strip()
    try:
        remote = float(text)
    except ValueError:
        raise NtpError(f"date +%s.%N answered {text[:40]!r}, not a time") from None
    return Drift(remote - (before + after) / 2, (after - before) / 2)
