"""Flask apps: the WSGI test client (``https`` base URL plus the ingress header)."""

from __future__ import annotations

import importlib
from typing import Any

from tests.frameworks.harness.fakes import MemoryDatabase
from tests.frameworks.harness.observe import HttpShape, Reply, observe_http
from tests.frameworks.harness.session import Session

PREIMPORT = ("flask", "flask_cors", "werkzeug.middleware.proxy_fix", "jwt", "redis",
             "psycopg", "prometheus_client", "requests")


class FlaskClient:
    def __init__(self, client: Any) -> None:
        self.client = client

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                json_body: Any = None, secure: bool = True) -> Reply:
        sent = {**(headers or {}), **({"X-Forwarded-Proto": "https"} if secure else {})}
        response = self.client.open(path, method=method, headers=sent, json=json_body,
                                    base_url="https://localhost" if secure else "http://localhost")
        return Reply(response.status_code,
                     {k.lower(): v for k, v in response.headers.items()},
                     response.headers.getlist("Set-Cookie"), response.get_data())

    def websocket(self, path: str, headers: dict[str, str]) -> int:
        raise NotImplementedError("the Flask app streams with server-sent events")


def exercise(session: Session, package: str) -> dict[str, Any]:
    create_app = importlib.import_module(f"{package}.app").create_app
    rows = session.seed_users(MemoryDatabase(), importlib.import_module(f"{package}.passwords"))
    app = create_app(db=rows)
    session.install_tripwires()
    client = FlaskClient(app.test_client(use_cookies=False))
    return observe_http(client, session.keys, HttpShape(events=("sse", "/api/events")),
                        break_dependencies=lambda: setattr(rows, "healthy", False),
                        webhook_hits=lambda: session.upstreams.hits)
