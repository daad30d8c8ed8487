"""The same requests against every HTTP app, reduced to stable facts (no tokens, no times).

A flaw variant must give the clean app's facts except the ones its catalogue entry
names, which must take the values it names: one flaw at a time, seen at runtime.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tests.frameworks.harness.context import CONSOLE_ORIGIN, EVIL_ORIGIN, Secrets, token_facts


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    cookies: list[str] = field(default_factory=list)  # raw Set-Cookie values
    body: bytes = b""

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()


class HttpClient(Protocol):
    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                json_body: Any = None, secure: bool = True) -> Reply: ...

    def websocket(self, path: str, headers: dict[str, str]) -> int:
        """Status of a WebSocket handshake: 101 when upgraded."""
        ...


@dataclass(frozen=True)
class HttpShape:
    """Where an app keeps what the exercise asks for."""

    events: tuple[str, str] = ("sse", "/api/events")  # or ("ws", "/api/stream")
    item_path: str = "/api/items/1"
    check_host: bool = False  # the framework validates Host (Django's ALLOWED_HOSTS)


def _bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _cookie_secure(reply: Reply) -> bool | None:
    session = [c for c in reply.cookies if c.lower().startswith("session=")]
    if not session:
        return None
    return all("secure" in [p.strip().lower() for p in c.split(";")] for c in session)


def observe_http(client: HttpClient, keys: Secrets, shape: HttpShape,
                 break_dependencies: Callable[[], None], webhook_hits: Callable[[], int],
                 ) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    get = client.request

    def login(username: str, password: str) -> tuple[Reply, str | None]:
        reply = get("POST", "/auth/token", json_body={"username": username, "password": password})
        token = (reply.json() or {}).get("access_token") if reply.status == 200 else None
        if token:
            keys.issued.append(token)
        return reply, token

    facts["health"] = get("GET", "/health").status
    facts["hsts"] = "strict-transport-security" in get("GET", "/health").headers
    reply, token = login("ada", keys.user_password)
    facts["login"] = reply.status
    facts["cookie_secure"] = _cookie_secure(reply)
    facts.update(token_facts(token, keys.jwt_keys))
    _, admin_token = login("grace", keys.admin_password)
    facts["default_admin_login"] = login("admin", "admin")[0].status

    facts["api_auth"] = get("GET", "/api/items", headers=_bearer(token)).status
    facts["api_anon"] = get("GET", "/api/items").status
    facts["http_redirect"] = get("GET", "/api/items", secure=False).status
    facts["item"] = get("GET", shape.item_path, headers=_bearer(token)).status
    created = get("POST", "/api/items", headers=_bearer(token),
                  json_body={"sku": "SKU-9", "name": "washer", "quantity": 3})
    facts["create"] = created.status
    facts["untrusted_upstream_reached"] = webhook_hits() > 0

    facts["admin_anon"] = get("GET", "/admin/users").status
    facts["admin_user"] = get("GET", "/admin/users", headers=_bearer(token)).status
    facts["admin_admin"] = get("GET", "/admin/users", headers=_bearer(admin_token)).status

    facts["metrics_anon"] = get("GET", "/metrics").status
    scraped = get("GET", "/metrics", headers=_bearer(keys.metrics_token))
    facts["metrics"] = scraped.status
    facts["metrics_type"] = scraped.media_type
    facts["health_details_anon"] = get("GET", "/health/details").status
    facts["health_details"] = get("GET", "/health/details", headers=_bearer(token)).status
    kind, path = shape.events
    facts["events_anon"] = (client.websocket(path, {}) if kind == "ws"
                            else get("GET", path).status)
    facts["docs_anon"] = [get("GET", "/docs").status, get("GET", "/openapi.json").status]
    facts["debug_anon"] = get("GET", "/debug/config").status
    missing = get("GET", "/no-such-page", headers=_bearer(token))
    facts["verbose_errors"] = b"URLconf" in missing.body or b"Traceback" in missing.body
    facts["foreign_host"] = (get("GET", "/health", headers={"Host": "attacker.example"}).status
                             if shape.check_host else None)

    # A page on another origin, sending the browser's cookie along (credentials: include).
    evil = get("GET", "/api/items", headers={**_bearer(token), "Origin": EVIL_ORIGIN,
                                            "Cookie": "session=from-the-browser"})
    facts["cors_evil_origin"] = evil.headers.get("access-control-allow-origin")
    facts["cors_evil_credentials"] = evil.headers.get("access-control-allow-credentials")
    console = get("GET", "/api/items", headers={**_bearer(token), "Origin": CONSOLE_ORIGIN})
    facts["cors_console_origin"] = console.headers.get("access-control-allow-origin")

    facts["logout"] = get("POST", "/auth/logout", headers=_bearer(token)).status
    facts["revoked_token_reuse"] = get("GET", "/api/items", headers=_bearer(token)).status
    break_dependencies()
    facts["health_failing"] = get("GET", "/health").status
    return facts
