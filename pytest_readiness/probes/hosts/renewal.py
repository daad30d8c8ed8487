"""Certificate renewal on a host: is an ACME client scheduled to renew, or does Caddy
manage its certificates? Read-only: ``systemctl show`` of the known timers and units,
and the system crontabs (``ls``/``cat``). The judgement is a pure function.

A certificate's days left say when it expires, not that it will be renewed: this is
the other half (``tls.auto-renewal``). What cannot be confirmed is a warning, never a
pass; a renewal timer that is installed but disabled is a failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pytest_readiness.probes.hosts.clock import parse_key_values
from pytest_readiness.vocabulary import Outcome

# Timers and services of ACME clients as distributions and snaps install them.
RENEWAL_TIMERS = ("certbot.timer", "snap.certbot.renew.timer", "certbot-renew.timer",
                  "acme.sh.timer", "lego.timer", "dehydrated.timer")
CADDY_UNITS = ("caddy.service", "caddy-api.service")
CRON_FILES = ("/etc/crontab", "/var/spool/cron/crontabs/root", "/var/spool/cron/root")
CRON_DIR = "/etc/cron.d"
MAX_CRON_FILES = 32
CADDYFILE = "/etc/caddy/Caddyfile"
ACME_CLIENT = re.compile(r"\b(certbot|acme\.sh|lego|dehydrated|getssl|uacme)\b")


@dataclass(frozen=True)
class UnitState:
    unit: str
    load: str  # loaded / not-found / masked
    enabled: str  # UnitFileState: enabled, disabled, static, masked...
    active: str  # ActiveState: active, inactive, failed...

    @property
    def installed(self) -> bool:
        return self.load not in ("", "not-found")

    @property
    def running(self) -> bool:
        return self.installed and self.enabled in ("enabled", "static", "enabled-runtime") \
            and self.active in ("active", "activating")


def parse_units(text: str) -> list[UnitState]:
    """``systemctl show -p Id -p LoadState -p UnitFileState -p ActiveState -- U1 U2``:
    one block of ``Key=value`` lines per unit, blocks separated by a blank line."""
    units = []
    for block in re.split(r"\n\s*\n", text.strip()):
        values = parse_key_values(block)
        if values.get("Id"):
            units.append(UnitState(values["Id"], values.get("LoadState", ""),
                                   values.get("UnitFileState", ""),
                                   values.get("ActiveState", "")))
    return units


def cron_lines(text: str) -> list[str]:
    """Active crontab lines that run an ACME client (comments skipped)."""
    return [line.strip()[:200] for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#") and ACME_CLIENT.search(line)]


def caddy_automatic(caddyfile: str | None) -> bool:
    """Caddy renews its certificates unless its Caddyfile turns automatic HTTPS off."""
    if caddyfile is None:
        return True
    for line in caddyfile.splitlines():
        words = line.split("#", 1)[0].split()
        if words[:2] == ["auto_https", "off"]:
            return False
    return True


@dataclass
class RenewalEvidence:
    timers: list[UnitState] = field(default_factory=list)
    cron: dict[str, list[str]] = field(default_factory=dict)  # file -> ACME lines
    caddy: list[UnitState] = field(default_factory=list)
    caddy_automatic: bool = True
    systemd: bool = True  # systemctl answered

    def as_dict(self) -> dict[str, object]:
        return {"timers": {u.unit: f"{u.enabled or u.load}/{u.active}" for u in self.timers
                           if u.installed},
                "cron": self.cron,
                "caddy": {u.unit: f"{u.enabled or u.load}/{u.active}" for u in self.caddy
                          if u.installed},
                "caddy_automatic_https": self.caddy_automatic, "systemd": self.systemd}


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome  # pass, warn or fail
    reason: str


def judge(evidence: RenewalEvidence) -> Verdict:
    """Confirmed (a running timer, a cron line, Caddy with automatic HTTPS), broken (a
    timer installed but not running, and nothing else renewing) or cannot be confirmed."""
    running = [u.unit for u in evidence.timers if u.running]
    if running:
        return Verdict(Outcome.PASS,
                       "renewal timer " + ", ".join(running) + " is enabled and active")
    if evidence.cron:
        where = ", ".join(sorted(evidence.cron))
        return Verdict(Outcome.PASS, f"an ACME client is scheduled in {where}")
    caddy = [u.unit for u in evidence.caddy if u.running]
    if caddy and evidence.caddy_automatic:
        return Verdict(Outcome.PASS, f"{', '.join(caddy)} runs with automatic HTTPS (Caddy renews)")
    stopped = [f"{u.unit} ({u.enabled}/{u.active})" for u in evidence.timers if u.installed]
    if stopped:
        return Verdict(Outcome.FAIL,
                       "renewal timer installed but not running: " + ", ".join(stopped))
    if caddy:
        return Verdict(Outcome.FAIL, f"{', '.join(caddy)} runs with auto_https off in {CADDYFILE}")
    return Verdict(Outcome.WARN, "cannot confirm automatic renewal: no running ACME timer ("
                   + ", ".join(RENEWAL_TIMERS[:2]) + "...), no ACME client in the crontabs, "
                   "no Caddy" + ("" if evidence.systemd else " (systemctl did not answer)"))


def gather(host: Any) -> RenewalEvidence:
    """What the host shows of certificate renewal (read-only)."""
    evidence = RenewalEvidence()
    units = RENEWAL_TIMERS + CADDY_UNITS
    out = host.run("systemctl show -p Id -p LoadState -p UnitFileState -p ActiveState -- "
                   + " ".join(["%s"] * len(units)), *units)
    found = parse_units(str(out.stdout)) if out.rc == 0 else []
    evidence.systemd = out.rc == 0
    evidence.timers = [u for u in found if u.unit in RENEWAL_TIMERS]
    evidence.caddy = [u for u in found if u.unit in CADDY_UNITS]
    listing = host.run("ls -1 -- %s", CRON_DIR)
    names = [n for n in str(listing.stdout).split() if re.fullmatch(r"[\w.-]+", n)] \
        if listing.rc == 0 else []
    for path in [*CRON_FILES, *(f"{CRON_DIR}/{n}" for n in names[:MAX_CRON_FILES])]:
        text = host.run("cat -- %s", path)
        lines = cron_lines(str(text.stdout)) if text.rc == 0 else []
        if lines:
            evidence.cron[path] = lines
    if any(u.installed for u in evidence.caddy):
        caddyfile = host.run("cat -- %s", CADDYFILE)
        evidence.caddy_automatic = caddy_automatic(
            str(caddyfile.stdout) if caddyfile.rc == 0 else None)
    return evidence
