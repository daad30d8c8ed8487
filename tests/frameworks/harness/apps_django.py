"""Django projects: configured in the child (settings are per process), migrated into an
in-memory SQLite database, served by Django's test client."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.frameworks.harness.observe import HttpShape, Reply, observe_http
from tests.frameworks.harness.session import Session

PREIMPORT = ("django", "django.test", "django.db.backends.sqlite3.base", "corsheaders",
             "jwt", "redis", "prometheus_client", "urllib3")


class DjangoClient:
    def __init__(self, client: Any) -> None:
        self.client = client

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                json_body: Any = None, secure: bool = True) -> Reply:
        sent = {**(headers or {}), **({"X-Forwarded-Proto": "https"} if secure else {})}
        data = json.dumps(json_body) if json_body is not None else ""
        response = self.client.generic(method, path, data=data, content_type="application/json",
                                       secure=secure, headers=sent)
        body = (b"".join(response.streaming_content) if response.streaming
                else response.content)
        return Reply(response.status_code,
                     {k.lower(): v for k, v in response.headers.items()},
                     [morsel.OutputString() for morsel in response.cookies.values()], body)

    def websocket(self, path: str, headers: dict[str, str]) -> int:
        raise NotImplementedError("the Django app streams with server-sent events")


def exercise(session: Session, package: str) -> dict[str, Any]:
    os.environ["DJANGO_SETTINGS_MODULE"] = f"{package}.settings"
    import django

    django.setup()
    session.recapture_logs()
    from django.conf import settings

    # Django's own advice for test runs: a fast hasher (no fact observed depends on it).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0, interactive=False)
    User.objects.create_user("ada", password=session.keys.user_password)
    User.objects.create_user("grace", password=session.keys.admin_password, is_staff=True)
    from parcels.models import Item  # the app's model: importable once Django is set up

    Item.objects.create(sku="SKU-1", name="bolt", quantity=40)
    Item.objects.create(sku="SKU-2", name="nut", quantity=75)
    session.install_tripwires()

    def break_database() -> None:
        # Django keeps an in-memory database open on close(): drop the link underneath.
        connection.settings_dict["NAME"] = str(Path.cwd() / "gone" / "db.sqlite3")
        if connection.connection is not None:
            connection.connection.close()
            connection.connection = None

    return observe_http(DjangoClient(Client(raise_request_exception=False)), session.keys,
                        HttpShape(events=("sse", "/api/events"), check_host=True),
                        break_dependencies=break_database,
                        webhook_hits=lambda: session.upstreams.hits)
