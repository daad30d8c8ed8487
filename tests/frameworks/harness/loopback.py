"""A plain HTTP client for apps served on 127.0.0.1 (no redirects followed, no cookies kept).

``secure=True`` sends what the TLS-terminating ingress adds: ``X-Forwarded-Proto: https``.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
from typing import Any

from tests.frameworks.harness.observe import Reply

TIMEOUT = 10.0


class LoopbackClient:
    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                json_body: Any = None, secure: bool = True) -> Reply:
        sent = dict(headers or {})
        if secure:
            sent["X-Forwarded-Proto"] = "https"
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
            return Reply(
                status=response.status,
                headers={k.lower(): v for k, v in response.getheaders()},
                cookies=response.headers.get_all("Set-Cookie") or [],
                body=data,
            )
        finally:
            conn.close()

    def websocket(self, path: str, headers: dict[str, str]) -> int:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            conn.request("GET", path, headers={
                **headers,
                "X-Forwarded-Proto": "https",
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
            })
            return conn.getresponse().status
        finally:
            conn.close()
