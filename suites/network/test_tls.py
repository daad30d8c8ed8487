"""TLS certificate: expiry, trust, hostname, key, signature, protocols, SAN coverage.

The handshakes of every HTTPS endpoint are gathered once per session, concurrently
(plumbing/netpool.py), and read here by each check through the ``tls_report`` fixture.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from pytest_readiness import CheckError, Context, Outcome, Recorder
from pytest_readiness.config import Endpoint
from pytest_readiness.plumbing import netpool
from pytest_readiness.plumbing.netpool import ProbeFailure, ProbeTimeout
from pytest_readiness.probes.deployment import certmanager
from pytest_readiness.probes.hosts import renewal
from pytest_readiness.probes.hosts.connect import connect
from pytest_readiness.probes.network import tls
from pytest_readiness.probes.network.tls import TlsReport

pytestmark = pytest.mark.readiness(section="TLS Certificate", category="security")


def _gatherer(pool: netpool.NetPool) -> netpool.Probe:
    def gather(endpoint: Endpoint) -> TlsReport:
        return pool.call(endpoint.url, endpoint.name, lambda: tls.probe_endpoint(
            endpoint.url, endpoint.timeout, endpoint.tls.ca_bundle, endpoint.name))
    return gather


@pytest.fixture
def tls_report(endpoint: Endpoint, readiness_context: Context, readiness: Recorder) -> TlsReport:
    """The endpoint's TLS facts (shared by every check), or an error naming the phase; a plain
    HTTP endpoint is not applicable."""
    if not endpoint.url.startswith("https://"):
        pytest.skip(f"not applicable: {endpoint.name} is plain HTTP ({endpoint.url})")
    pool = netpool.pool_for(readiness_context)
    https = [e for e in readiness_context.config.endpoints if e.url.startswith("https://")]
    pool.register("tls", _gatherer(pool), https)
    try:
        report: TlsReport = pool.get("tls", endpoint, wait=endpoint.timeout * 8 + 5)
    except (ProbeTimeout, ProbeFailure) as exc:
        raise CheckError(str(exc)) from None
    readiness.evidence(**report.chain.evidence())
    return report


@pytest.mark.readiness(id="tls.cert-expiry", severity="high",
                       fix="Renew the certificate and make sure renewal is automatic "
                           "(certbot/ACME timer, cert-manager) and monitored")
def test_certificate_not_near_expiry(endpoint: Endpoint, tls_report: TlsReport,
                                     readiness: Recorder) -> None:
    """The certificate is valid for longer than the warning window."""
    leaf = tls_report.chain.leaf
    policy = endpoint.tls
    verdict = tls.expiry_verdict(leaf.days_left, policy.warn_days, policy.fail_days)
    readiness.evidence(warn_days=policy.warn_days, fail_days=policy.fail_days)
    left = f"expires in {leaf.days_left:.1f} days" if leaf.days_left >= 0 else \
        f"expired {-leaf.days_left:.1f} days ago"
    assert verdict != Outcome.FAIL, (f"certificate of {endpoint.name} {left} (notAfter "
                               f"{leaf.not_after}); fail threshold {policy.fail_days} days")
    if verdict == Outcome.WARN:
        readiness.warn(f"certificate of {endpoint.name} {left} "
                       f"(warn threshold {policy.warn_days} days)")


@pytest.mark.readiness(id="tls.intermediate-expiry", severity="high",
                       fix="Serve the current intermediate certificate from your CA "
                           "(rebuild the full chain file)")
def test_intermediates_not_near_expiry(endpoint: Endpoint, tls_report: TlsReport,
                                       readiness: Recorder) -> None:
    """Intermediate certificates in the served chain are not inside the expiry window."""
    chain = tls_report.chain
    intermediates = [c for c in chain.certs[1:] if not c.self_signed]
    readiness.evidence(intermediates=[c.summary() for c in intermediates])
    policy = endpoint.tls
    verdicts = [(c, tls.expiry_verdict(c.days_left, policy.warn_days, policy.fail_days))
                for c in intermediates]
    failing = [f"{c.subject} ({c.days_left:.1f} days)" for c, v in verdicts if v == Outcome.FAIL]
    assert not failing, f"intermediate certificate(s) expiring: {'; '.join(failing)}"
    warning = [f"{c.subject} ({c.days_left:.1f} days)" for c, v in verdicts if v == Outcome.WARN]
    if warning:
        readiness.warn(f"intermediate certificate(s) expire within {policy.warn_days} days: "
                       + "; ".join(warning))


@pytest.mark.readiness(id="tls.chain-trusted", severity="critical",
                       fix="Serve the full chain (leaf + intermediates) signed by a trusted CA; "
                           "for a private CA set endpoints[].tls.ca_bundle")
def test_chain_verifies(endpoint: Endpoint, tls_report: TlsReport, readiness: Recorder) -> None:
    """The chain verifies against the system trust store or the configured CA bundle."""
    verification = tls_report.verification
    readiness.evidence(verified=verification.verified,
                       trust_store=verification.ca_bundle or "system")
    assert verification.verified, f"chain of {endpoint.name} does not verify: {verification.error}"


@pytest.mark.readiness(id="tls.hostname", severity="critical",
                       fix="Reissue the certificate with the endpoint's hostname in its "
                           "subjectAltName")
def test_hostname_matches(endpoint: Endpoint, tls_report: TlsReport, readiness: Recorder) -> None:
    """The endpoint's hostname is one of the certificate's subjectAltNames."""
    chain = tls_report.chain
    assert tls.hostname_matches(chain.server_name, chain.leaf.sans), (
        f"{chain.server_name} is not in the certificate's SANs {chain.leaf.sans[:20]}")


@pytest.mark.readiness(id="tls.key-strength", severity="high",
                       fix="Reissue the certificate with an RSA 2048+ or ECDSA P-256+ key")
def test_key_is_strong(endpoint: Endpoint, tls_report: TlsReport, readiness: Recorder) -> None:
    """The certificate key is RSA >= 2048 bits or EC >= 256 bits."""
    leaf = tls_report.chain.leaf
    policy = endpoint.tls
    readiness.evidence(key_type=leaf.key_type, key_bits=leaf.key_bits)
    assert tls.key_is_strong(leaf, policy.min_rsa_bits, policy.min_ec_bits), (
        f"{leaf.key_type} {leaf.key_bits}-bit key (minimum RSA {policy.min_rsa_bits}, "
        f"EC {policy.min_ec_bits})")


@pytest.mark.readiness(id="tls.signature", severity="high",
                       fix="Reissue the certificate signed with SHA-256 or stronger")
def test_signature_not_weak(endpoint: Endpoint, tls_report: TlsReport, readiness: Recorder) -> None:
    """No certificate in the chain (but the root) is signed with SHA-1 or MD5."""
    chain = tls_report.chain
    readiness.evidence(signature_hashes=[c.signature_hash for c in chain.certs])
    weak = [f"{c.subject}: {c.signature_hash}" for c in chain.certs
            if not c.self_signed and tls.signature_is_weak(c)]
    if chain.leaf.self_signed and tls.signature_is_weak(chain.leaf):
        weak.insert(0, f"{chain.leaf.subject}: {chain.leaf.signature_hash}")
    assert not weak, f"weak signature: {'; '.join(weak)}"


@pytest.mark.readiness(id="tls.protocols", severity="high",
                       fix="Disable TLS 1.0 and 1.1 (ssl_protocols TLSv1.2 TLSv1.3; in nginx) "
                           "and offer TLS 1.2 or newer")
def test_only_modern_protocols(endpoint: Endpoint, tls_report: TlsReport,
                               readiness: Recorder) -> None:
    """TLS 1.0 and 1.1 are refused; TLS 1.2 or 1.3 is offered."""
    protocols = tls_report.protocols
    readiness.evidence(protocols=protocols, probe_can_offer=tls.local_protocol_support())
    legacy = [v for v in ("TLSv1.0", "TLSv1.1") if protocols[v]]
    assert not legacy, f"{endpoint.name} accepts {', '.join(legacy)}"
    assert protocols["TLSv1.2"] or protocols["TLSv1.3"], f"{endpoint.name} offers neither " \
                                                         "TLS 1.2 nor TLS 1.3"


@pytest.mark.readiness(id="tls.san-coverage", severity="high",
                       fix="Add every DNS name that points at the endpoint to the certificate's "
                           "subjectAltName")
def test_sans_cover_dns_names(endpoint: Endpoint, readiness_context: Context, readiness: Recorder,
                              request: pytest.FixtureRequest) -> None:
    """Every configured DNS name pointing at the endpoint is covered by the SANs."""
    names = [d.name for d in readiness_context.config.dns if d.endpoint == endpoint.name]
    if not names:
        pytest.skip(f"not applicable: no dns entry names endpoint {endpoint.name}")
    leaf = request.getfixturevalue("tls_report").chain.leaf  # after the check's own skip
    readiness.evidence(dns_names=names)
    uncovered = [n for n in names if not tls.hostname_matches(n, leaf.sans)]
    assert not uncovered, f"not in the certificate's SANs: {', '.join(uncovered)}"


def _manifests(context: Context) -> list[tuple[str, str]]:
    """(file, text) of the codebases' YAML files: where cert-manager resources live."""
    found = []
    for codebase in context.codebases:
        if not codebase.root.is_dir():
            continue
        index = context.inventory(codebase)
        for f in index.files:
            if f.rel.endswith((".yaml", ".yml")) and f.size <= certmanager.MAX_MANIFEST_BYTES:
                text = index.text(f)  # through the bounded reader; None when not read
                if text is not None:
                    found.append((f.rel, text))
    return found


@pytest.mark.readiness(id="tls.auto-renewal", severity="medium",
                       fix="Schedule renewal (the certbot/ACME client timer or cron job, Caddy's "
                           "automatic HTTPS, a cert-manager Certificate) and set endpoints[].host "
                           "to the host that renews, so the audit can confirm it")
def test_certificate_renews_automatically(endpoint: Endpoint, readiness_context: Context,
                                          readiness: Recorder) -> None:
    """Renewal of the certificate is automatic and can be confirmed (a running ACME timer or
    cron job or Caddy on the endpoint's host, or a cert-manager Certificate for its name)."""
    if not endpoint.url.startswith("https://"):
        pytest.skip(f"not applicable: {endpoint.name} is plain HTTP ({endpoint.url})")
    hostname = urlsplit(endpoint.url).hostname or ""
    managed = certmanager.renewing(_manifests(readiness_context), hostname)
    readiness.evidence(hostname=hostname, cert_manager=managed[:10], host=endpoint.host)
    if managed:
        return
    if endpoint.host is None:
        readiness.warn(f"cannot confirm automatic renewal of {hostname}'s certificate: no "
                       "cert-manager Certificate for it in the codebase, and endpoints[].host "
                       "does not name the host that renews it")
    model = next(h for h in readiness_context.hosts if h.name == endpoint.host)
    evidence = renewal.gather(connect(model))
    verdict = renewal.judge(evidence)
    readiness.evidence(**evidence.as_dict(), verdict=verdict.reason)
    assert verdict.outcome != Outcome.FAIL, f"{endpoint.name} on {model.name}: {verdict.reason}"
    if verdict.outcome == Outcome.WARN:
        readiness.warn(f"{endpoint.name} on {model.name}: {verdict.reason}")
