"""The apps are real code that runs: each clean app and each flaw variant is imported,
served and called (harness/, in one subprocess per shard), and each flaw shows at runtime
exactly the facts its catalogue entry names, and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.frameworks import catalog
from tests.frameworks.catalog import App, Flaw
from tests.frameworks.conftest import require_framework, run_harness
from tests.frameworks.harness.context import CONSOLE_ORIGIN

SHARD_SIZE = 12  # flaws per subprocess: shards spread over xdist workers

CLEAN_HTTP: dict[str, Any] = {
    "health": 200, "health_failing": 503, "hsts": True, "login": 200, "cookie_secure": True,
    "token_kid": True, "token_signed_with_configured_key": True, "default_admin_login": 401,
    "api_auth": 200, "api_anon": 401, "item": 200, "create": 201,
    "untrusted_upstream_reached": False, "admin_anon": 401, "admin_user": 403,
    "admin_admin": 200, "metrics_anon": 401, "metrics": 200, "metrics_type": "text/plain",
    "health_details_anon": 401, "health_details": 200, "events_anon": 401,
    "verbose_errors": False, "cors_evil_origin": None, "cors_console_origin": CONSOLE_ORIGIN,
    "logout": 200, "revoked_token_reuse": 401, "blocking_in_event_loop": [],
    "shared_state": ["ratelimit", "revoked"], "secret_in_logs": False,
}
CLEAN_GRPC: dict[str, Any] = {
    "ports": ["secure [::]"], "health": "SERVING", "health_failing": "NOT_SERVING",
    "login": "OK", "token_kid": True, "token_signed_with_configured_key": True,
    "default_admin_login": "UNAUTHENTICATED", "api_auth": "OK", "api_anon": "UNAUTHENTICATED",
    "item": "OK", "create": "OK", "admin_anon": "UNAUTHENTICATED",
    "admin_user": "PERMISSION_DENIED", "admin_admin": "OK",
    "login_as_anon": "UNAUTHENTICATED", "metrics_anon": "refused", "metrics": 200,
    "metrics_type": "text/plain", "logout": "OK", "revoked_token_reuse": "UNAUTHENTICATED",
    "blocking_in_event_loop": [], "shared_state": ["ratelimit", "revoked"],
    "secret_in_logs": False,
}


def shards() -> list[Any]:
    params = []
    for app in catalog.apps():
        chunks = [app.flaws[i:i + SHARD_SIZE] for i in range(0, len(app.flaws), SHARD_SIZE)]
        for number, chunk in enumerate(chunks, 1):
            params.append(pytest.param(app, chunk, id=f"{app.name}-{number}of{len(chunks)}"))
    return params


def clean_problems(app: App, facts: dict[str, Any]) -> list[str]:
    """How the clean app falls short of what a production-ready service shows."""
    grpc = app.framework.startswith("grpc")
    expected = CLEAN_GRPC if grpc else CLEAN_HTTP
    problems = [f"{key}: {facts.get(key)!r}, expected {value!r}"
                for key, value in expected.items() if facts.get(key) != value]
    if "exp" not in (facts.get("token_claims") or []):
        problems.append(f"token without exp: {facts.get('token_claims')}")
    if grpc:
        problems += [f"channel {c}" for c in facts["channels"] if not c.startswith("secure ")]
    else:
        if facts["http_redirect"] not in (301, 307, 308):
            problems.append(f"plain HTTP not redirected: {facts['http_redirect']}")
        if any(status not in (401, 404) for status in (*facts["docs_anon"], facts["debug_anon"])):
            problems.append(f"docs or debug reachable: {facts['docs_anon']}, {facts['debug_anon']}")
        if facts["foreign_host"] not in (None, 400):
            problems.append(f"foreign Host accepted: {facts['foreign_host']}")
    return problems


def flaw_problem(flaw: Flaw, clean: dict[str, Any], facts: dict[str, Any]) -> str | None:
    if "error" in facts:
        return f"{flaw.id}: did not run:\n{facts['error']}"
    differs = {k: v for k, v in facts.items() if k != "_seconds" and v != clean.get(k)}
    if differs != dict(flaw.runtime):
        return f"{flaw.id}: differs from clean in {differs}, catalogue says {dict(flaw.runtime)}"
    return None


@pytest.mark.parametrize(("app", "flaws"), shards())
def test_app_and_flaws_behave_as_catalogued(app: App, flaws: tuple[Flaw, ...],
                                            tmp_path: Path) -> None:
    require_framework(app)
    results = run_harness(app, flaws, tmp_path)
    assert sorted(results) == sorted(["clean", *(f.id for f in flaws)])
    clean = results["clean"]
    assert "error" not in clean, clean["error"]
    assert clean_problems(app, clean) == []
    problems = [p for f in flaws if (p := flaw_problem(f, clean, results[f.id])) is not None]
    assert problems == [], "\n".join(problems)
