"""DNS agreement from hosts (issue 16.2): the same name, each host's own resolver, and a
resolver asked from here; no ``expect``, so only agreement can be judged."""

from __future__ import annotations

import pytest

from tests.conftest import require_binary
from tests.hosts.conftest import LiveLab, check_of, run_live
from tests.servers.dns import Dnsmasq


def test_hosts_and_a_resolver_that_disagree_are_named(live: LiveLab, pytester: pytest.Pytester,
                                                      tmp_path) -> None:
    binary = require_binary("dnsmasq", "/usr/sbin/dnsmasq")
    records = {"api.readiness.test": "10.0.0.5", "db.readiness.test": "10.0.0.8"}
    with Dnsmasq(binary, records, tmp_path) as view:
        config = {"hosts": live.entries(), "dns": [
            {"name": name, "resolver": view.address, "from": ["m1", "m2"]}
            for name in records]}
        record = run_live(pytester, config, "dns")
    check = check_of(record, "dns.agreement", "api.readiness.test")
    assert check["outcome"] == "fail", check["message"]
    assert check["message"] == (
        f"api.readiness.test resolves differently: resolver {view.address}, host m1 -> "
        "10.0.0.5; host m2 -> 10.0.0.99")
    agreeing = check_of(record, "dns.agreement", "db.readiness.test")
    assert agreeing["outcome"] == "pass", agreeing["message"]
    assert agreeing["evidence"]["answers"] == {f"resolver {view.address}": "10.0.0.8",
                                               "host m1": "10.0.0.8", "host m2": "10.0.0.8"}
