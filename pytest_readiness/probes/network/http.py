"""HTTP: one bounded request, response headers, redirects. No pytest here.

Every request has one deadline for the whole exchange (connect, TLS handshake,
reading the answer): a :class:`~pytest_readiness.probes.netpool.Watchdog` shuts the
socket down when it passes, so a server trickling one byte per second costs its
timeout and no more. HTTPS requests verify the certificate (system trust store or
the endpoint's CA bundle): the header and health checks are not certificate checks.
Redirects are never followed: the redirect check reads the ``Location`` itself.
"""

from __future__ import annotations

import http.client
import re
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from pytest_readiness.plumbing.netpool import Deadline, ProbeFailure, Watchdog

MAX_BODY = 1 << 20  # what we read of a body at most: metrics pages, health JSON
MAX_HEADER_SHOWN = 200
PROBE_ORIGIN = "https://readiness-probe.invalid"
USER_AGENT = "pytest-readiness (read-only audit)"
ONE_YEAR = 31_536_000


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes
    elapsed_ms: float

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def truncate(value: str, limit: int = MAX_HEADER_SHOWN) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _connection(url: str, deadline: Deadline, ca_bundle: str | None
                ) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    sock = deadline.connect(host, port)
    if parts.scheme == "https":
        ctx = ssl.create_default_context(cafile=ca_bundle)
        try:
            sock.settimeout(deadline.remaining("handshake"))
            sock = ctx.wrap_socket(sock, server_hostname=host)
        except TimeoutError as exc:
            sock.close()
            raise deadline.expired("handshake") from exc
        except (ssl.SSLError, OSError) as exc:
            sock.close()
            raise ProbeFailure(deadline.target, "handshake", str(exc)) from exc
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(host, port)
    else:
        conn = http.client.HTTPConnection(host, port)
    conn.sock = sock
    return conn


def fetch(url: str, timeout: float, ca_bundle: str | None = None, target: str | None = None,
          headers: dict[str, str] | None = None, method: str = "GET") -> Response:
    """One request, no redirect following, bounded by ``timeout`` for the whole exchange."""
    deadline = Deadline(target or url, timeout)
    started = time.perf_counter()
    conn = _connection(url, deadline, ca_bundle)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent = {"User-Agent": USER_AGENT, "Accept": "*/*", "Connection": "close", **(headers or {})}
    assert conn.sock is not None
    with Watchdog(deadline, conn.sock) as watchdog:
        try:
            conn.sock.settimeout(deadline.remaining("read"))
            conn.request(method, path, headers=sent)
            answer = conn.getresponse()
            body = answer.read(MAX_BODY) if method != "HEAD" else b""
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            if watchdog.fired or isinstance(exc, TimeoutError):
                raise deadline.expired("read") from exc
            raise ProbeFailure(deadline.target, "read", str(exc) or type(exc).__name__) from exc
        finally:
            conn.close()
    if watchdog.fired:
        raise deadline.expired("read")
    joined: dict[str, str] = {}
    for name, value in answer.getheaders():
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return Response(url, answer.status, joined, body, (time.perf_counter() - started) * 1000)


# --- security headers (pure) -------------------------------------------------


def hsts_max_age(value: str | None) -> int | None:
    """max-age of a Strict-Transport-Security value, None when absent or malformed."""
    if not value:
        return None
    match = re.search(r"(?:^|;)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:;|$)", value, re.IGNORECASE)
    return int(match.group(1)) if match else None


def directives(value: str | None) -> set[str]:
    return {d.strip().split("=", 1)[0].strip().lower() for d in (value or "").split(";")
            if d.strip()}


def csp_frame_ancestors(csp: str | None) -> str | None:
    for part in (csp or "").split(";"):
        words = part.strip().split(None, 1)
        if words and words[0].lower() == "frame-ancestors":
            return words[1].strip() if len(words) > 1 else ""
    return None


def framing_protected(headers: dict[str, str]) -> bool:
    xfo = (headers.get("x-frame-options") or "").strip().upper()
    ancestors = csp_frame_ancestors(headers.get("content-security-policy"))
    return xfo in ("DENY", "SAMEORIGIN") or (ancestors is not None and "*" not in ancestors
                                              and ancestors != "")


def cors_problem(headers: dict[str, str], origin: str = PROBE_ORIGIN) -> str | None:
    """A CORS policy that lets any site read credentialed responses, or None."""
    allow_origin = (headers.get("access-control-allow-origin") or "").strip()
    credentials = (headers.get("access-control-allow-credentials") or "").strip().lower()
    if credentials != "true":
        return None
    if allow_origin == "*":
        return "Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true"
    if allow_origin == origin:
        return (f"the Origin {origin} of an unknown site is reflected with "
                "Access-Control-Allow-Credentials: true")
    return None


def redirect_target(response: Response) -> str | None:
    if response.status in (301, 302, 303, 307, 308):
        location = response.header("location")
        return urljoin(response.url, location) if location else None
    return None


def plain_http_url(url: str) -> str:
    """``https://host:8443/x`` -> ``http://host/x`` (the default port of plain HTTP)."""
    parts = urlsplit(url)
    return parts._replace(scheme="http", netloc=parts.hostname or "").geturl()
