"""An HTTP(S) server on 127.0.0.1 whose answers the test controls, per path.

A :class:`Route` is a status, headers and a body (plus an optional delay to model a
slow backend). TLS handshakes happen in the per-connection thread, so a client that
stalls mid-handshake never blocks the accept loop.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay_s: float = 0.0


GOOD_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
}


class _Handler(BaseHTTPRequestHandler):
    server: TestHttpServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.hits.append(self.path)
        route = self.server.routes.get(self.path.split("?")[0]) or self.server.routes.get("*")
        if route is None:
            route = Route(404, body=b"not found")
        if route.delay_s:
            time.sleep(route.delay_s)
        self.send_response(route.status)
        for name, value in route.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(route.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(route.body)

    def log_message(self, *args: Any) -> None:
        pass


class TestHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # a short backlog drops SYNs under concurrent sampling
    __test__ = False  # not a pytest test class

    def __init__(self, routes: dict[str, Route], tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes = routes
        self.tls = tls
        self.hits: list[str] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.tls is not None:
            # Handshake lazily, in the connection's thread (first read).
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        sock.settimeout(30)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that refuse our certificate or protocol are expected here

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str = "/", host: str = "localhost") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def start(self) -> TestHttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def http_server(routes: dict[str, Route]) -> TestHttpServer:
    return TestHttpServer(routes).start()
