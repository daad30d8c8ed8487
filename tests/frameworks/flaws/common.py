"""Helpers shared by the flaw lists of every app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.frameworks.catalog import Edit, Finding, Flaw, Quiet


def flaw(flaw_id: str, item: int, title: str, family: str, kind: str, file: str,
         *edits: Edit, runtime: Mapping[str, Any] | None = None,
         unobservable: str = "") -> Flaw:
    if not runtime and not unobservable:
        raise ValueError(f"{flaw_id}: say what the harness sees, or why it cannot")
    return Flaw(flaw_id, item, title, Finding(family, kind, file), tuple(edits),
                dict(runtime or {}), unobservable)


HTTP_PROBE = ('["CMD", "python", "-c", "import urllib.request as u; u.urlopen(u.Request('
              "'http://127.0.0.1:{port}/health', headers={{'X-Forwarded-Proto': 'https'}}), "
              'timeout=2)"]')
GRPC_PROBE = ('["CMD", "grpc_health_probe", "-addr=localhost:{port}", "-tls", '
              '"-tls-ca-cert=/etc/catalog/tls/ca.crt", "-tls-server-name=localhost"]')


def compose_replicas(service: str, command: str, port: int, probe: str = HTTP_PROBE) -> Edit:
    """The deployment that makes process-local state a bug: three replicas, one ingress."""
    test = probe.format(port=port)
    return Edit("deploy/compose.yaml", None, f"""\
# Production: three replicas behind the ingress (TLS ends there).
services:
  {service}:
    image: registry.example.com/{service}:1.4.2
    command: {command}
    env_file: .env
    environment:
      HOST: 0.0.0.0
      PORT: "{port}"
    read_only: true
    user: "10001:10001"
    deploy:
      replicas: 3
      resources:
        limits:
          cpus: "1.0"
          memory: 512M
    healthcheck:
      test: {test}
      interval: 10s
      timeout: 3s
      retries: 3
    restart: unless-stopped
""")


def shared_quiet(package_dir: str, *, constants: bool = True) -> tuple[Quiet, ...]:
    """What every app has and no rule may report: names that look like secrets, and the
    JWT key, whose length settings.signing_keys checks (another module than tokens.py)."""
    quiet = [Quiet(package_dir + "tokens.py", "    return jwt.encode(",
                   "the key set is length-checked where it is read (signing_keys in settings)")]
    if constants:
        c = package_dir + "constants.py"
        quiet += [
            Quiet(c, 'REFRESH_TOKEN = "refresh_token"', "a grant-type name"),
            Quiet(c, 'GRANT_TYPE_PASSWORD = "password"', "a grant-type name"),
            Quiet(c, 'PASSWORD_FIELD = "password"', "a form field name"),
            Quiet(c, 'EXAMPLE_API_KEY = "<your-api-key>"', "a placeholder"),
            Quiet(c, 'SECRET_KEY = "SECRET_KEY"', "a value equal to its own name"),
            Quiet(c, '    REFRESH_TOKEN = "refresh_token"', "an enum member"),
            Quiet(c, '    CLIENT_CREDENTIALS = "client_credentials"', "an enum member"),
        ]
    return tuple(quiet)
