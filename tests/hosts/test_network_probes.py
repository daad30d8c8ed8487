"""The NTP and DNS probes against real servers on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

from pytest_readiness.probes.network import dns, ntp
from tests.hosts.conftest import Lab
from tests.servers.ntp import SntpServer


def test_sntp_measures_the_servers_offset(lab: Lab) -> None:
    assert ntp.sntp_query(lab.ntp_shifted.address, 2).offset_s == pytest.approx(5.0, abs=0.2)
    good = ntp.sntp_query(lab.ntp_good.address, 2)
    assert good.offset_s == pytest.approx(0.0, abs=0.2) and good.stratum == 2


def test_sntp_silent_server_is_an_error_naming_it() -> None:
    with SntpServer(silent=True) as mute:
        with pytest.raises(ntp.NtpError, match=f"{mute.address}: no answer within 0.5s"):
            ntp.sntp_query(mute.address, 0.5)


def test_dns_answers_nxdomain_and_wrong(lab: Lab) -> None:
    right = dns.resolve("api.readiness.test", "A", lab.dns.address, 2)
    assert right.answers == ("10.0.0.5",) and right.resolver == lab.dns.address
    missing = dns.resolve("nope.readiness.test", "A", lab.dns.address, 2)
    assert missing.answers == () and missing.problem.startswith("NXDOMAIN")
    wrong = dns.resolve("wrong.readiness.test", "A", lab.dns.address, 2)
    assert dns.compare(wrong.answers, ["10.0.0.7"]).unexpected == ["10.0.0.66"]


def test_dns_resolver_that_never_answers_is_an_error_naming_it() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as mute:
        mute.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{mute.getsockname()[1]}"
        with pytest.raises(dns.DnsError, match=f"resolver {address} did not answer"):
            dns.resolve("api.readiness.test", "A", address, 0.5)


def test_sntp_against_a_real_chronyd(tmp_path, pytester) -> None:
    """The offset probe and the clock suite against chrony, the server operators run."""
    import json

    from tests.conftest import require_binary
    from tests.servers.ntp import ChronyServer

    chronyd = require_binary("chronyd", "/usr/sbin/chronyd")
    with ChronyServer(str(tmp_path / "chrony"), chronyd) as chrony:
        sample = ntp.sntp_query(chrony.address, 2)
        pytester.makefile(".yaml",
                          readiness=f"system: s\nntp: {{servers: ['{chrony.address}']}}\n")
        pytester.runpytest("--readiness", "--readiness-check", "clock.ntp-server-offset",
                           "--readiness-json", "out.json", "-p", "no:cacheprovider")
    assert sample.stratum == 8  # "local stratum 8": chrony serves its own clock
    assert abs(sample.offset_s) < 0.5 and 0 <= sample.delay_s < 1
    (check,) = json.loads((pytester.path / "out.json").read_text())["checks"]
    assert check["outcome"] == "pass", check["message"]
    assert check["evidence"]["servers"][chrony.address]["stratum"] == 8
