"""The TLS suite against real TLS servers on 127.0.0.1 with certificates made here.

One pytester run audits every case at once (the handshakes are gathered
concurrently), then each case's outcomes are asserted exactly.
"""

from __future__ import annotations

import ssl
import warnings
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.probes.network import tls
from tests.servers.tls import Pki, Sha1Unavailable, https_server, issue, resign_sha1, rsa_key

CHECKS = ("tls.cert-expiry", "tls.intermediate-expiry", "tls.chain-trusted", "tls.hostname",
          "tls.key-strength", "tls.signature", "tls.protocols", "tls.san-coverage",
          "tls.auto-renewal")
# No endpoint names the host that renews it, and no cert-manager manifest: renewal
# cannot be confirmed (tests/hosts/test_live_renewal.py confirms it).
ALL_PASS = {c: "pass" for c in CHECKS} | {"tls.san-coverage": "skip", "tls.auto-renewal": "warn"}
TLS10_ONLY = (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1)


def _tls10_possible() -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return tls.local_protocol_support()["TLSv1.0"]


@pytest.fixture(scope="session")
def tls_cases(network_dir: Path, started: list[Any]) -> dict[str, Any]:
    """name -> (server, ca bundle); sha1 is None when this OpenSSL cannot sign with SHA-1."""
    pki = Pki.create(network_dir / "pki")
    soon = Pki.create(network_dir / "pki-soon", intermediate_days=10)
    leaves = {
        "valid": pki.leaf(sans=("localhost", "www.localhost")),
        "expiring10": pki.leaf(days_left=10),
        "expiring25": pki.leaf(days_left=25),
        "expired": pki.leaf(days_left=-2),
        "wronghost": pki.leaf("other.example", sans=("other.example",)),
        "rsa1024": pki.leaf(key=rsa_key(1024)),
        "tls10": pki.leaf(),
    }
    try:
        leaves["sha1"] = resign_sha1(pki.leaf(key=rsa_key(2048)), pki.intermediate)
    except Sha1Unavailable:
        leaves["sha1"] = None
    cases: dict[str, Any] = {}
    for name, leaf in leaves.items():
        if leaf is None:
            cases[name] = None
            continue
        versions = TLS10_ONLY if name == "tls10" and _tls10_possible() else None
        cases[name] = https_server(*pki.write(name, leaf), versions=versions)
    self_signed = issue("localhost", sans=("localhost",))
    cases["selfsigned"] = https_server(*pki.write("selfsigned", self_signed, chain=()))
    cases["intermediate10"] = https_server(*soon.write("intermediate10", soon.leaf()))
    started.extend(s for s in cases.values() if s is not None)
    cases["_bundles"] = {n: str((soon if n == "intermediate10" else pki).ca_bundle)
                         for n in cases}
    return cases


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_every_certificate_flaw_gives_its_exact_outcome(tls_cases, run_network) -> None:
    bundles = tls_cases["_bundles"]
    servers = {n: s for n, s in tls_cases.items() if n != "_bundles" and s is not None}
    config = {
        "system": "tls",
        "endpoints": [{"name": n, "url": s.url(), "timeout": 5,
                       "tls": {"ca_bundle": bundles[n]}} for n, s in servers.items()]
        + [{"name": "plain", "url": "http://localhost:9/"}],
        "dns": [{"name": "localhost", "endpoint": "valid"},
                {"name": "www.localhost", "endpoint": "valid"},
                {"name": "api.localhost", "endpoint": "expiring25"}],
    }
    run = run_network(config, "tls")
    expected = {
        "valid": ALL_PASS | {"tls.san-coverage": "pass"},
        "expiring10": ALL_PASS | {"tls.cert-expiry": "fail"},
        "expiring25": ALL_PASS | {"tls.cert-expiry": "warn", "tls.san-coverage": "fail"},
        "expired": ALL_PASS | {"tls.cert-expiry": "fail", "tls.chain-trusted": "fail"},
        "wronghost": ALL_PASS | {"tls.hostname": "fail"},
        "rsa1024": ALL_PASS | {"tls.key-strength": "fail"},
        "selfsigned": ALL_PASS | {"tls.chain-trusted": "fail"},
        "intermediate10": ALL_PASS | {"tls.intermediate-expiry": "fail"},
        "tls10": ALL_PASS | ({"tls.protocols": "fail"} if _tls10_possible() else {}),
        "sha1": ALL_PASS | {"tls.signature": "fail"},
        "plain": {c: "skip" for c in CHECKS},
    }
    for name, outcomes in expected.items():
        if name == "sha1" and tls_cases["sha1"] is None:
            continue
        assert run.outcomes(name) == outcomes, name

    valid = run.check("tls.cert-expiry", "valid")["evidence"]
    assert valid["subject"] == "CN=localhost"
    assert valid["issuer"] == "CN=Readiness Test Intermediate"
    assert valid["sans"] == ["localhost", "www.localhost"]
    assert valid["chain_length"] == 2
    assert 364 <= valid["days_left"] <= 365
    assert valid["not_before"] < valid["not_after"]
    assert "expires in 25." in run.check("tls.cert-expiry", "expiring25")["message"]
    assert "fail threshold 14 days" in run.check("tls.cert-expiry", "expiring10")["message"]
    assert "certificate has expired" in run.check("tls.chain-trusted", "expired")["message"]
    assert "self-signed" in run.check("tls.chain-trusted", "selfsigned")["message"]
    assert run.check("tls.key-strength", "rsa1024")["evidence"]["key_bits"] == 1024
    assert "api.localhost" in run.check("tls.san-coverage", "expiring25")["message"]
    assert run.check("tls.cert-expiry", "selfsigned")["evidence"]["chain_length"] == 1
    soon = run.check("tls.intermediate-expiry", "intermediate10")["evidence"]["intermediates"]
    assert [i["subject"] for i in soon] == ["CN=Readiness Test Intermediate"]
    if _tls10_possible():
        protocols = run.check("tls.protocols", "tls10")["evidence"]["protocols"]
        assert protocols == {"TLSv1.0": True, "TLSv1.1": False, "TLSv1.2": False,
                             "TLSv1.3": False}
    assert run.check("tls.protocols", "valid")["evidence"]["protocols"]["TLSv1.0"] is False


def test_sha1_signature_fails(tls_cases, run_network) -> None:
    server = tls_cases["sha1"]
    if server is None:
        pytest.skip("this OpenSSL refuses to sign with SHA-1 (pyOpenSSL X509.sign)")
    run = run_network({"endpoints": [{"name": "sha1", "url": server.url(),
                                      "tls": {"ca_bundle": tls_cases["_bundles"]["sha1"]}}]},
                      "tls")
    check = run.check("tls.signature", "sha1")
    assert check["outcome"] == "fail"
    assert check["evidence"]["signature_hashes"] == ["sha1", "sha256"]


def test_system_trust_store_rejects_the_private_ca(tls_cases, run_network) -> None:
    """Without ca_bundle our own verification stays on: a private CA is not trusted."""
    run = run_network({"endpoints": [{"name": "valid", "url": tls_cases["valid"].url()}]}, "tls")
    check = run.check("tls.chain-trusted", "valid")
    assert check["outcome"] == "fail"
    assert check["evidence"]["trust_store"] == "system"
    assert "unable to get local issuer certificate" in check["message"]
