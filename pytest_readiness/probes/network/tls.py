"""TLS: the certificate chain an endpoint serves, whether it verifies, and which protocols
it accepts. No pytest here.

Two kinds of handshake, on purpose:

- ``inspect_chain`` reads the chain with verification OFF (and OpenSSL security level
  0): the checks must *see* an expired, self-signed, RSA-1024 or SHA-1 certificate to
  report it; a verifying client would refuse before we could read it. Nothing is sent
  over this connection but the handshake.
- ``verify_chain`` is a second handshake with verification ON (system trust store, or
  the configured CA bundle). Its verdict is what the chain-trust check reports.
Protocol probes (TLS 1.0 .. 1.3) pin one version each and do not verify: they ask
only whether the server completes a handshake at that version.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import select
import socket
import ssl
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from OpenSSL import SSL

from pytest_readiness.plumbing.netpool import Deadline, ProbeFailure
from pytest_readiness.vocabulary import Outcome

WEAK_SIGNATURE_HASHES = ("md5", "sha1")
PROTOCOLS = {
    "TLSv1.0": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
_INSPECT_CIPHERS = b"ALL:@SECLEVEL=0"


@dataclass(frozen=True)
class CertFacts:
    """What a report needs of one certificate (all fields are plain values)."""

    subject: str
    issuer: str
    not_before: str
    not_after: str
    days_left: float
    sans: list[str]
    key_type: str
    key_bits: int
    signature_hash: str
    self_signed: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> dict[str, Any]:
        return {"subject": self.subject, "not_after": self.not_after,
                "days_left": round(self.days_left, 1)}


@dataclass(frozen=True)
class Chain:
    """The chain as served (leaf first), and the protocol negotiated."""

    host: str
    port: int
    server_name: str
    protocol: str
    certs: list[CertFacts] = field(default_factory=list)

    @property
    def leaf(self) -> CertFacts:
        return self.certs[0]

    def evidence(self) -> dict[str, Any]:
        leaf = self.leaf
        return {"subject": leaf.subject, "issuer": leaf.issuer, "not_before": leaf.not_before,
                "not_after": leaf.not_after, "days_left": round(leaf.days_left, 1),
                "sans": leaf.sans[:50], "chain_length": len(self.certs),
                "protocol": self.protocol}


@dataclass(frozen=True)
class Verification:
    verified: bool
    error: str = ""  # OpenSSL's verify message, e.g. "certificate has expired"
    ca_bundle: str | None = None


def host_port(url: str) -> tuple[str, int]:
    """``https://api.example.com:8443/x`` -> ("api.example.com", 8443)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return host, parts.port or (443 if parts.scheme == "https" else 80)


def _name(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except ValueError:  # undecodable attributes: still show something
        return repr(name)


def _key(cert: x509.Certificate) -> tuple[str, int]:
    try:
        key = cert.public_key()
    except (UnsupportedAlgorithm, ValueError):  # a key type or encoding the library lacks
        return f"unknown ({cert.public_key_algorithm_oid.dotted_string})", 0
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}", key.curve.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__, 0


def _sans(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    names = [str(n) for n in ext.get_values_for_type(x509.DNSName)]
    return names + [str(ip) for ip in ext.get_values_for_type(x509.IPAddress)]


def cert_facts(cert: x509.Certificate, now: dt.datetime | None = None) -> CertFacts:
    """Plain facts about one certificate."""
    now = now or dt.datetime.now(dt.UTC)
    key_type, key_bits = _key(cert)
    try:
        algorithm = cert.signature_hash_algorithm
        signature_hash = algorithm.name if algorithm else "none"
    except Exception:  # an algorithm cryptography does not know  # noqa: BLE001
        signature_hash = "unknown"
    not_after = cert.not_valid_after_utc
    return CertFacts(
        subject=_name(cert.subject), issuer=_name(cert.issuer),
        not_before=cert.not_valid_before_utc.isoformat(), not_after=not_after.isoformat(),
        days_left=(not_after - now).total_seconds() / 86400, sans=_sans(cert),
        key_type=key_type, key_bits=key_bits, signature_hash=signature_hash,
        self_signed=cert.issuer == cert.subject)


def _handshake(conn: SSL.Connection, sock: socket.socket, deadline: Deadline) -> None:
    """pyOpenSSL over a non-blocking socket: wait for readiness within the deadline."""
    while True:
        try:
            conn.do_handshake()
            return
        except SSL.WantReadError:
            ready = select.select([sock], [], [], deadline.remaining("handshake"))[0]
        except SSL.WantWriteError:
            ready = select.select([], [sock], [], deadline.remaining("handshake"))[1]
        except SSL.Error as exc:
            raise ProbeFailure(deadline.target, "handshake", _ssl_error(exc)) from exc
        except OSError as exc:
            raise ProbeFailure(deadline.target, "handshake", str(exc)) from exc
        if not ready:
            raise deadline.expired("handshake")


def _ssl_error(exc: SSL.Error) -> str:
    parts = [p[2] for p in exc.args[0] if isinstance(p, tuple) and len(p) > 2] \
        if exc.args and isinstance(exc.args[0], list) else []
    return "; ".join(parts) or str(exc) or type(exc).__name__


def inspect_chain(host: str, port: int, server_name: str, deadline: Deadline) -> Chain:
    """Read the served chain without verifying it (see the module docstring for why)."""
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE, lambda *args: True)
    ctx.set_cipher_list(_INSPECT_CIPHERS)
    sock = deadline.connect(host, port)
    try:
        sock.setblocking(False)
        conn = SSL.Connection(ctx, sock)
        if not _is_ip(server_name):
            conn.set_tlsext_host_name(server_name.encode("idna"))
        conn.set_connect_state()
        _handshake(conn, sock, deadline)
        try:
            chain = conn.get_peer_cert_chain(as_cryptography=True) or []
        except (ValueError, x509.InvalidVersion) as exc:  # bytes no parser accepts
            raise ProbeFailure(deadline.target, "certificate",
                               f"the server sent a certificate that cannot be parsed: {exc}"
                               ) from None
        protocol = conn.get_protocol_version_name()
    finally:
        sock.close()
    if not chain:
        raise ProbeFailure(deadline.target, "handshake", "the server sent no certificate")
    return Chain(host, port, server_name, protocol, [cert_facts(c) for c in chain])


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def verify_chain(host: str, port: int, server_name: str, deadline: Deadline,
                 ca_bundle: str | None = None) -> Verification:
    """Handshake with verification on (hostname is judged separately, from the SANs)."""
    ctx = ssl.create_default_context(cafile=ca_bundle)
    # readiness: ignore[auth.tls-verification] the chain is verified; tls.hostname judges the SANs
    ctx.check_hostname = False
    # Key size and digest have their own checks; trust is only about the chain here.
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    try:  # protocol versions are judged by their own check too
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    except (ValueError, ssl.SSLError):
        pass
    sock = deadline.connect(host, port)
    try:
        sock.settimeout(deadline.remaining("handshake"))
        with ctx.wrap_socket(sock, server_hostname=server_name, do_handshake_on_connect=False) \
                as tls:
            tls.do_handshake()
    except ssl.SSLCertVerificationError as exc:
        return Verification(False, exc.verify_message or str(exc), ca_bundle)
    except TimeoutError as exc:
        raise deadline.expired("handshake") from exc
    except (ssl.SSLError, OSError) as exc:
        raise ProbeFailure(deadline.target, "handshake", str(exc)) from exc
    finally:
        sock.close()
    return Verification(True, "", ca_bundle)


def accepts_protocol(host: str, port: int, server_name: str, version: str,
                     deadline: Deadline) -> bool:
    """Whether the server completes a handshake pinned to ``version`` (no verification)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # Handshake only, no data sent: the certificate is judged by the other tls.* checks.
    # readiness: ignore[auth.tls-verification] protocol-version probe; trust is judged elsewhere
    ctx.check_hostname = False
    # readiness: ignore[auth.tls-verification] protocol-version probe; trust is judged elsewhere
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    try:
        ctx.minimum_version = ctx.maximum_version = PROTOCOLS[version]
    except (ValueError, ssl.SSLError):
        return False  # our OpenSSL cannot even offer it: the server cannot accept it from us
    sock = deadline.connect(host, port)
    try:
        sock.settimeout(deadline.remaining("handshake"))
        with ctx.wrap_socket(sock, server_hostname=server_name) as tls:
            return tls.version() is not None
    except TimeoutError as exc:
        raise deadline.expired("handshake") from exc
    except (ssl.SSLError, ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
        return False
    except OSError as exc:
        raise ProbeFailure(deadline.target, "handshake", str(exc)) from exc
    finally:
        sock.close()


def local_protocol_support() -> dict[str, bool]:
    """Which versions this machine's OpenSSL lets a client offer at all."""
    support = {}
    for name, version in PROTOCOLS.items():
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            ctx.set_ciphers("ALL:@SECLEVEL=0")
            ctx.minimum_version = ctx.maximum_version = version
            support[name] = True
        except (ValueError, ssl.SSLError):
            support[name] = False
    return support


# --- pure rules -------------------------------------------------------------


def hostname_matches(hostname: str, sans: list[str]) -> bool:
    """RFC 6125 matching: exact (case-insensitive) or one left-most ``*`` label."""
    host = hostname.rstrip(".").lower()
    if _is_ip(host):
        return any(_is_ip(s) and ipaddress.ip_address(s) == ipaddress.ip_address(host)
                   for s in sans)
    for san in (s.rstrip(".").lower() for s in sans):
        if san == host:
            return True
        if san.startswith("*.") and "*" not in san[2:]:
            head, _, rest = host.partition(".")
            if head and rest == san[2:] and rest.count(".") >= 1:
                return True
    return False


def key_is_strong(facts: CertFacts, min_rsa_bits: int, min_ec_bits: int) -> bool:
    if facts.key_type in ("RSA", "DSA"):
        return facts.key_bits >= min_rsa_bits
    if facts.key_type.startswith("EC"):
        return facts.key_bits >= min_ec_bits
    return facts.key_type in ("Ed25519", "Ed448")


def signature_is_weak(facts: CertFacts) -> bool:
    return facts.signature_hash.lower() in WEAK_SIGNATURE_HASHES


def expiry_verdict(days_left: float, warn_days: int, fail_days: int) -> Outcome:
    """Fail at or under fail_days (or expired), warn under warn_days, else pass."""
    if days_left <= fail_days:
        return Outcome.FAIL
    if days_left <= warn_days:
        return Outcome.WARN
    return Outcome.PASS




@dataclass(frozen=True)
class TlsReport:
    """Everything the TLS checks read about one endpoint, gathered once."""

    chain: Chain
    verification: Verification
    protocols: dict[str, bool]


def probe_endpoint(url: str, timeout: float, ca_bundle: str | None = None,
                   target: str | None = None) -> TlsReport:
    """Chain, verification and protocol support of ``url``; each handshake has ``timeout``."""
    host, port = host_port(url)
    name = target or f"{host}:{port}"
    chain = inspect_chain(host, port, host, Deadline(name, timeout))
    verification = verify_chain(host, port, host, Deadline(name, timeout), ca_bundle)
    protocols = {v: accepts_protocol(host, port, host, v, Deadline(name, timeout))
                 for v in PROTOCOLS}
    return TlsReport(chain, verification, protocols)
