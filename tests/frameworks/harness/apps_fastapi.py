"""FastAPI apps: Starlette's TestClient (the ASGI app in a portal thread with its own loop)."""

from __future__ import annotations

import importlib
from typing import Any

from tests.frameworks.harness.fakes import AsyncMemoryDatabase, MemoryDatabase
from tests.frameworks.harness.observe import HttpShape, Reply, observe_http
from tests.frameworks.harness.session import Session

PREIMPORT = ("fastapi", "fastapi.testclient", "starlette.middleware.cors", "httpx", "jwt",
             "redis.asyncio", "psycopg", "prometheus_client", "boto3", "botocore.client",
             "requests", "uvicorn")


def warm() -> None:
    """Load botocore's S3 model into the default session once, before the fork."""
    import boto3

    boto3.client("s3", region_name="eu-west-1")


class TestClientAdapter:
    def __init__(self, client: Any) -> None:
        self.client = client

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                json_body: Any = None, secure: bool = True) -> Reply:
        scheme = "https" if secure else "http"
        sent = {**(headers or {}), **({"X-Forwarded-Proto": "https"} if secure else {})}
        response = self.client.request(method, f"{scheme}://testserver{path}", headers=sent,
                                       json=json_body, follow_redirects=False)
        return Reply(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                     response.headers.get_list("set-cookie"), response.content)

    def websocket(self, path: str, headers: dict[str, str]) -> int:
        raise NotImplementedError("the FastAPI app streams with server-sent events")


def exercise(session: Session, package: str) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    create_app = importlib.import_module(f"{package}.app").create_app
    rows = session.seed_users(MemoryDatabase(), importlib.import_module(f"{package}.passwords"))
    app = create_app(db=AsyncMemoryDatabase(rows))
    session.install_tripwires()
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:
        return observe_http(
            TestClientAdapter(client), session.keys, HttpShape(events=("sse", "/api/events")),
            break_dependencies=lambda: setattr(rows, "healthy", False),
            webhook_hits=lambda: session.upstreams.hits,
        )
