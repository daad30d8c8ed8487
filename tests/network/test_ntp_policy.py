"""NTP policy (issue 16.1): ``ntp.min_servers`` answering, ``ntp.max_skew_ms`` between them.

Real responders on 127.0.0.1: a chronyd serving its own clock and SNTP servers whose
clocks are shifted by a chosen offset (tests/servers/ntp.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from pytest_readiness.config import ConfigError, parse_config
from tests.conftest import require_binary
from tests.servers.ntp import ChronyServer, SntpServer

CHECK = "clock.ntp-server-offset"


@pytest.fixture(scope="module")
def responders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    chronyd = require_binary("chronyd", "/usr/sbin/chronyd")
    with ChronyServer(str(tmp_path_factory.mktemp("chrony")), chronyd) as chrony, \
            SntpServer(0.3) as ahead, SntpServer(-0.3) as behind, \
            SntpServer(silent=True) as mute:
        yield {"chrony": chrony.address, "ahead": ahead.address, "behind": behind.address,
               "mute": mute.address}


def _run(run_network, responders: dict[str, str], *names: str, **policy: object):
    ntp = {"servers": [responders[n] for n in names], "warn_ms": 500, "fail_ms": 1000,
           "timeout": 1, **policy}
    run = run_network({"ntp": ntp}, "clock")
    return run.check(CHECK, "ntp")


def test_two_servers_answering_fail_a_policy_of_three(run_network, responders) -> None:
    check = _run(run_network, responders, "chrony", "ahead", min_servers=3)
    assert check["outcome"] == "fail"
    assert "2 of 2 NTP servers answer, the policy needs at least 3" in check["message"]
    assert check["evidence"]["answering"] == 2


def test_a_silent_server_below_the_minimum_fails_naming_it(run_network, responders) -> None:
    check = _run(run_network, responders, "chrony", "ahead", "mute", min_servers=3)
    assert check["outcome"] == "fail"
    assert f"NTP server {responders['mute']}: no answer within 1s" in check["message"]
    # Above the minimum, the silent one is a warning, as before.
    check = _run(run_network, responders, "chrony", "ahead", "mute", min_servers=2)
    assert check["outcome"] == "warn", check["message"]


def test_servers_that_disagree_beyond_max_skew_fail(run_network, responders) -> None:
    # Each is 300 ms from our clock (under warn_ms), but they are 600 ms apart.
    check = _run(run_network, responders, "ahead", "behind", max_skew_ms=400)
    assert check["outcome"] == "fail"
    assert re.search(r"the NTP servers disagree by (5[5-9]|6[0-4])\d\.\d ms", check["message"])
    assert "beyond ntp.max_skew_ms (400 ms)" in check["message"]
    assert 550 < check["evidence"]["spread_ms"] < 650
    # The default limit is fail_ms: the same spread passes it.
    check = _run(run_network, responders, "ahead", "behind")
    assert check["outcome"] == "pass", check["message"]
    assert check["evidence"]["max_skew_ms"] == 1000


def test_policy_keys_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"ntp.min_servers: .*greater than or equal to 1"):
        parse_config("ntp: {min_servers: 0}")
    with pytest.raises(ConfigError, match=r"ntp.max_skew_ms: .*greater than 0"):
        parse_config("ntp: {max_skew_ms: -5}")
    assert parse_config("ntp: {min_servers: 3, max_skew_ms: 50}").ntp.skew_limit_ms == 50
