"""DNS agreement (issue 16.2): one name asked through several resolvers (and hosts)
without ``expect``; answers that differ (a split horizon gone wrong) are reported.

Two real dnsmasq views on 127.0.0.1 serve the same zone, one of them stale.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_readiness.config import ConfigError, parse_config
from pytest_readiness.probes.network import dns
from tests.conftest import require_binary
from tests.servers.dns import Dnsmasq


@pytest.fixture(scope="module")
def views(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    binary = require_binary("dnsmasq", "/usr/sbin/dnsmasq")
    inside = {"api.readiness.test": "10.0.0.5", "db.readiness.test": "10.0.0.8"}
    stale = {"api.readiness.test": "10.0.0.99", "db.readiness.test": "10.0.0.8"}
    with Dnsmasq(binary, inside, tmp_path_factory.mktemp("inside")) as one, \
            Dnsmasq(binary, stale, tmp_path_factory.mktemp("stale")) as two:
        yield {"inside": one.address, "stale": two.address}


def test_two_resolvers_that_disagree_fail_naming_both(views, run_network) -> None:
    both = [views["inside"], views["stale"]]
    run = run_network({"dns": [
        {"name": "api.readiness.test", "resolvers": both, "timeout": 2},
        {"name": "db.readiness.test", "resolvers": both, "timeout": 2},
    ]}, "dns")
    api = run.check("dns.agreement", "api.readiness.test")
    assert api["outcome"] == "fail"
    assert api["message"] == (
        f"api.readiness.test resolves differently: resolver {views['inside']} "
        f"-> 10.0.0.5; resolver {views['stale']} -> 10.0.0.99")
    assert api["evidence"]["answers"] == {f"resolver {views['inside']}": "10.0.0.5",
                                          f"resolver {views['stale']}": "10.0.0.99"}
    assert run.outcome("dns.agreement", "db.readiness.test") == "pass"
    # Without expect, each resolver's own answer is fine: only the comparison fails.
    assert run.outcome("dns.resolves", "api.readiness.test") == "pass"
    assert set(run.check("dns.resolves", "api.readiness.test")["evidence"]["resolvers"]) == \
        set(both)


def test_expect_or_agree_false_leave_it_to_dns_resolves(views, run_network) -> None:
    both = [views["inside"], views["stale"]]
    run = run_network({"dns": [
        {"name": "api.readiness.test", "resolvers": both, "expect": ["10.0.0.5"]},
        {"name": "db.readiness.test", "resolvers": both, "agree": False},
    ]}, "dns")
    assert run.outcome("dns.agreement", "api.readiness.test") == "skip"
    assert run.outcome("dns.agreement", "db.readiness.test") == "skip"
    resolves = run.check("dns.resolves", "api.readiness.test")
    assert resolves["outcome"] == "fail"
    assert f"via {views['stale']}: resolves to 10.0.0.99, expected 10.0.0.5" in \
        resolves["message"]


def test_one_resolver_is_not_a_comparison(views, run_network) -> None:
    run = run_network({"dns": [{"name": "api.readiness.test", "resolver": views["stale"]}]},
                      "dns")
    assert run.outcome("dns.agreement", "api.readiness.test") == "skip"


def test_disagreement_groups_sources_by_answer() -> None:
    assert dns.disagreement({"a": "10.0.0.1", "b": "10.0.0.1"}) == {}
    assert dns.disagreement({"a": "10.0.0.1", "b": dns.answer_key((), "NXDOMAIN"),
                             "c": "10.0.0.1"}) == {"10.0.0.1": ["a", "c"], "NXDOMAIN": ["b"]}
    assert dns.answer_key(("10.0.0.2", "10.0.0.1"), None) == "10.0.0.1, 10.0.0.2"


def test_resolvers_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"dns\[0\]: expected 'resolver' or 'resolvers'"):
        parse_config("dns: [{name: a.test, resolver: '1.1.1.1', resolvers: ['8.8.8.8']}]")
    with pytest.raises(ConfigError, match="dns\\[0\\].resolvers: a resolver is listed twice"):
        parse_config("dns: [{name: a.test, resolvers: ['8.8.8.8', '8.8.8.8']}]")
