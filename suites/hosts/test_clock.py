"""Clock synchronisation: NTP sync state on hosts, offset of NTP servers, drift of hosts."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness import Recorder
from pytest_readiness.config import Host, NtpConfig, ReadinessConfig
from pytest_readiness.probes.hosts import clock
from pytest_readiness.probes.network import ntp

pytestmark = pytest.mark.readiness(section="Clock Synchronisation", category="operations")


def _judge(readiness: Recorder, what: str, offset_ms: float, policy: NtpConfig) -> None:
    size = abs(offset_ms)
    assert size <= policy.fail_ms, (
        f"{what} is {offset_ms:+.1f} ms off, beyond the fail threshold of {policy.fail_ms:g} ms")
    if size > policy.warn_ms:
        readiness.warn(f"{what} is {offset_ms:+.1f} ms off, beyond the warn threshold of "
                       f"{policy.warn_ms:g} ms")


@pytest.mark.readiness(id="clock.ntp-synchronised", severity="high",
                       fix="Run an NTP client (chrony or systemd-timesyncd) with reachable "
                           "servers: `timedatectl set-ntp true`, then check `chronyc sources`")
def test_host_clock_ntp_synchronised(host: Any, host_config: Host, readiness: Recorder) -> None:
    """The host's clock is synchronised by NTP (timedatectl / chronyc)."""
    state = clock.host_clock_state(host)
    readiness.evidence(host=host_config.name, source=state.source, **state.details)
    if state.synchronised is None:
        readiness.warn(f"{host_config.name}: cannot tell whether the clock is synchronised "
                       "(neither timedatectl nor chronyc answers)")
    assert state.synchronised, (
        f"{host_config.name}: clock not NTP-synchronised according to {state.source}")


@pytest.mark.readiness(id="clock.ntp-server-offset", severity="high",
                       fix="Synchronise this machine and the fleet to the configured NTP servers; "
                           "replace a server whose time is wrong")
def test_ntp_servers_agree_with_our_clock(readiness_config: ReadinessConfig,
                                          readiness: Recorder) -> None:
    """Enough NTP servers answer, they agree with each other, and with our clock."""
    policy = readiness_config.ntp
    if not policy.servers:
        pytest.skip("not applicable: no ntp.servers configured")
    readiness.target = "ntp"
    samples, unreachable = [], []
    for server in policy.servers:
        try:
            samples.append(ntp.sntp_query(server, policy.timeout))
        except ntp.NtpError as exc:
            unreachable.append(str(exc))
    readiness.evidence(servers={s.server: {"offset_ms": round(s.offset_s * 1000, 3),
                                           "delay_ms": round(s.delay_s * 1000, 3),
                                           "stratum": s.stratum} for s in samples},
                       unreachable=unreachable)
    if not samples:
        readiness.error("; ".join(unreachable))
    spread = ntp.spread_ms(samples)
    readiness.evidence(answering=len(samples), min_servers=policy.min_servers,
                       spread_ms=round(spread, 3), max_skew_ms=policy.skew_limit_ms)
    assert len(samples) >= policy.min_servers, (
        f"{len(samples)} of {len(policy.servers)} NTP servers answer, the policy needs at "
        f"least {policy.min_servers} (ntp.min_servers)"
        + (": " + "; ".join(unreachable) if unreachable else ""))
    assert spread <= policy.skew_limit_ms, (
        f"the NTP servers disagree by {spread:.1f} ms, beyond ntp.max_skew_ms "
        f"({policy.skew_limit_ms:g} ms): " + ", ".join(
            f"{s.server} {s.offset_s * 1000:+.1f} ms" for s in samples))
    worst = max(samples, key=lambda s: abs(s.offset_s))
    _judge(readiness, f"NTP server {worst.server}", worst.offset_s * 1000, policy)
    if unreachable:
        readiness.warn("; ".join(unreachable))


@pytest.mark.readiness(id="clock.host-drift", severity="high",
                       fix="Fix time synchronisation on the host (see clock.ntp-synchronised)")
def test_host_clock_close_to_ours(host: Any, host_config: Host, readiness_config: ReadinessConfig,
                                  readiness: Recorder) -> None:
    """The host's clock agrees with the auditing machine's within the NTP thresholds."""
    drift = clock.host_drift(host)
    readiness.evidence(host=host_config.name, drift_ms=round(drift.drift_s * 1000, 3),
                       uncertainty_ms=round(drift.uncertainty_s * 1000, 3))
    # The round trip bounds what can be measured: only drift beyond it counts.
    measurable = max(abs(drift.drift_s) - drift.uncertainty_s, 0.0) * 1000
    signed = measurable if drift.drift_s >= 0 else -measurable
    _judge(readiness, f"{host_config.name} clock", signed, readiness_config.ntp)
