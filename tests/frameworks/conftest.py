"""Framework apps: run them through the harness in a subprocess (never in pytest's own)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.frameworks.catalog import App, Flaw
from tests.frameworks.variants import materialize

ROOT = Path(__file__).resolve().parents[2]
HARNESS_TIMEOUT = 300  # seconds for one subprocess (each child has its own 60 s limit)

# What each harness adapter needs installed (the test extra of pyproject.toml).
REQUIRES: dict[str, tuple[str, ...]] = {
    "aiohttp": ("aiohttp", "aiohttp_cors", "jwt", "redis", "fakeredis", "requests"),
    "fastapi": ("fastapi", "starlette", "httpx", "uvicorn", "jwt", "redis", "fakeredis",
                "boto3", "psycopg2"),
    "flask": ("flask", "flask_cors", "jwt", "redis", "fakeredis", "requests"),
    "django": ("django", "corsheaders", "jwt", "redis", "fakeredis", "urllib3"),
    "grpc": ("grpc", "grpc_tools", "grpc_health", "jwt", "redis", "fakeredis"),
    "grpc_aio": ("grpc", "grpc_tools", "grpc_health", "jwt", "redis", "fakeredis", "pymongo"),
}


def require_framework(app: App) -> None:
    missing = [name for name in REQUIRES[app.framework] if importlib.util.find_spec(name) is None]
    if missing:
        message = f"{app.framework} app needs {missing} (pip install -e '.[test]')"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def run_harness(app: App, flaws: tuple[Flaw, ...], workdir: Path) -> dict[str, dict[str, Any]]:
    """Materialise the clean app and ``flaws``, exercise them all in one subprocess."""
    jobs = [{"id": "clean", "tree": str(materialize(app, None, workdir / "clean")),
             "env": dict(app.env)}]
    for flaw in flaws:
        tree = materialize(app, flaw, workdir / flaw.id.replace("/", "__"))
        jobs.append({"id": flaw.id, "tree": str(tree), "env": dict(app.env)})
    spec, out = workdir / "spec.json", workdir / "facts.json"
    spec.write_text(json.dumps({"framework": app.framework, "package": app.package,
                                "jobs": jobs}))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.frameworks.harness.run", str(spec), str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=HARNESS_TIMEOUT,
    )
    assert done.returncode == 0, f"harness failed:\n{done.stdout}\n{done.stderr[-4000:]}"
    return json.loads(out.read_text())
