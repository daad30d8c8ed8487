"""Servers the apps talk to, all on 127.0.0.1 in the child process.

- Redis: fakeredis's TCP server (real protocol, real redis-py clients), so the state the
  replicas share is visible: ``shared_key_prefixes`` lists what the app put there.
- Pricing: plain HTTP; the first request for each SKU answers 503, so the clients'
  retry and back-off path runs on every exercise.
- Webhook: HTTPS with a self-signed certificate nobody trusts; ``hits`` counts the
  requests that got through, which only a client with verification off can send.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import ssl
import tempfile
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LOOPBACK = "127.0.0.1"
STATE_KINDS = frozenset({"ratelimit", "revoked", "session"})


def self_signed(directory: Path, name: str = "localhost") -> tuple[Path, Path]:
    """A certificate and key for ``name`` and 127.0.0.1, trusted by nobody."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address(LOOPBACK))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _json(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Upstreams:
    """Start with ``with Upstreams() as up:``; every server stops on exit."""

    def __init__(self) -> None:
        self.price_requests: dict[str, int] = {}
        self.hits = 0
        self._servers: list[object] = []
        self._tmp = tempfile.TemporaryDirectory(prefix="upstreams-")

    def __enter__(self) -> Upstreams:
        from fakeredis import TcpFakeServer

        redis_server = TcpFakeServer((LOOPBACK, 0), server_type="redis")
        self._serve(redis_server)
        self.redis_url = "redis://{}:{}/0".format(*redis_server.server_address)
        self.pricing_url = "http://{}:{}".format(*self._serve(self._pricing()).server_address)
        webhook = self._webhook()
        self.webhook_url = "https://{}:{}/hooks".format(*self._serve(webhook).server_address)
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self._servers:
            server.shutdown()  # type: ignore[attr-defined]
            server.server_close()  # type: ignore[attr-defined]
        self._tmp.cleanup()

    def _serve(self, server):  # type: ignore[no-untyped-def]
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()
        self._servers.append(server)
        return server

    def _pricing(self) -> http.server.ThreadingHTTPServer:
        upstreams = self

        class Pricing(_Quiet):
            def do_GET(self) -> None:  # noqa: N802
                sku = self.path.rsplit("/", 1)[-1]
                seen = upstreams.price_requests.get(sku, 0)
                upstreams.price_requests[sku] = seen + 1
                if seen == 0:
                    self._json(503, {"error": "warming up"})
                else:
                    self._json(200, {"sku": sku, "price_cents": 1299})

        return http.server.ThreadingHTTPServer((LOOPBACK, 0), Pricing)

    def _webhook(self) -> http.server.ThreadingHTTPServer:
        upstreams = self

        class Webhook(_Quiet):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                upstreams.hits += 1
                self._json(200, {"received": True})

        server = http.server.ThreadingHTTPServer((LOOPBACK, 0), Webhook)
        cert, key = self.cert, self.key = self_signed(Path(self._tmp.name))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        return server

    def shared_key_prefixes(self) -> list[str]:
        """The kinds of state found in Redis (``shipping:1:revoked:...`` counts as revoked)."""
        import redis

        client = redis.Redis.from_url(self.redis_url, socket_timeout=3)
        try:
            keys = [k.decode() if isinstance(k, bytes) else str(k) for k in client.keys("*")]
        finally:
            client.close()
        return sorted({part for key in keys for part in key.split(":") if part in STATE_KINDS})
