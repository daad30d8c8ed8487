"""Bounded time through the whole plugin: peers that stall after saying hello.

An SSH server that sends its banner and then never continues the key exchange,
and a DNS server that reads every query and never answers: each check against
them ends in ``error`` naming the target, within its timeout (plus the fixed
grace of the host command deadline), and the rest of the audit goes on. The
measured durations are printed (``-s`` shows them); they are not asserted
tightly, only bounded so a hang would fail the test instead of the CI job.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from tests.servers.silent import MisbehavingPeer

pytestmark = pytest.mark.slow  # the fast tier (-m 'not slow') leaves it out


def _banner_then_stall(conn: socket.socket, stopped: threading.Event) -> None:
    try:
        conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
        conn.recv(65536)  # the client's banner and KEXINIT, never answered
    except OSError:
        return
    stopped.wait()


def _audit(pytester: pytest.Pytester, config: str, *checks: str) -> tuple[dict, float]:
    pytester.makefile(".yaml", readiness=config)
    args = ["--readiness", "--readiness-json", "out.json", "-p", "no:cacheprovider"]
    for check in checks:
        args += ["--readiness-check", check]
    start = time.monotonic()
    pytester.runpytest_subprocess(*args, timeout=120)
    elapsed = time.monotonic() - start
    return json.loads((pytester.path / "out.json").read_text()), elapsed


def test_ssh_server_that_stalls_after_its_banner(pytester: pytest.Pytester) -> None:
    peer = MisbehavingPeer(_banner_then_stall)
    try:
        record, elapsed = _audit(
            pytester,
            "system: s\nhosts:\n"
            f"  - {{name: stall, connection: 'ssh://root@127.0.0.1:{peer.port}', timeout: 2}}\n"
            "  - {name: here, connection: 'local://'}\n",
            "clock.host-drift", "files.host-sensitive-paths")
    finally:
        peer.stop()
    results = {(c["id"], c["target"]): c for c in record["checks"]}
    stalled = [c for (_, target), c in results.items() if target == "stall"]
    assert stalled and all(c["outcome"] == "error" for c in stalled), stalled
    # ssh gives up on its own (ServerAliveInterval) or our command deadline (timeout
    # + 2 s) fires first on a loaded machine: either way the host and phase are named.
    assert all("host stall" in c["message"] for c in stalled), stalled
    assert all("handshake" in c["message"] or "command timed out" in c["message"]
               for c in stalled), stalled
    assert results[("clock.host-drift", "here")]["outcome"] == "pass"  # the audit went on
    durations = [c["duration_s"] for c in stalled]
    print(f"\nSSH banner-then-stall, timeout 2s: checks took {durations} s, run {elapsed:.1f} s")
    assert max(durations) < 2 * 3 + 10 and peer.accepted >= 1


def test_dns_server_that_never_answers(pytester: pytest.Pytester) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as mute:
        mute.bind(("127.0.0.1", 0))
        resolver = f"127.0.0.1:{mute.getsockname()[1]}"
        record, elapsed = _audit(
            pytester,
            f"system: s\ndns:\n  - {{name: api.readiness.test, resolver: '{resolver}', "
            "timeout: 1.5}\n", "dns.resolves")
    (check,) = record["checks"]
    assert check["outcome"] == "error"
    assert resolver in check["message"] and "api.readiness.test" in check["message"]
    print(f"\nDNS never answers, timeout 1.5s: check took {check['duration_s']} s, "
          f"run {elapsed:.1f} s")
    assert check["duration_s"] < 1.5 * 3 + 10
