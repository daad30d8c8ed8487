"""Network suites: real servers on 127.0.0.1, run through the plugin with pytester."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

# Imported here, once, so pytester's in-process runs (which drop modules first imported
# during a run) all share one copy: exception classes then match across runs.
from pytest_readiness.plumbing import netpool  # noqa: F401
from pytest_readiness.probes.network import db, grpc, health, http, tls  # noqa: F401


@dataclass
class NetworkRun:
    result: pytest.RunResult
    checks: list[dict[str, Any]]
    record: dict[str, Any]
    text: str

    def check(self, check_id: str, target: str) -> dict[str, Any]:
        found = [c for c in self.checks if c["id"] == check_id and c["target"] == target]
        assert len(found) == 1, f"{check_id}[{target}]: " + str(
            sorted((c["id"], c["target"]) for c in self.checks))
        return found[0]

    def outcome(self, check_id: str, target: str) -> str:
        return self.check(check_id, target)["outcome"]

    def outcomes(self, target: str) -> dict[str, str]:
        return {c["id"]: c["outcome"] for c in self.checks if c["target"] == target}


@pytest.fixture
def run_network(pytester: pytest.Pytester):
    """Write readiness.yaml from a dict, run the given suites, read the JSON record."""

    def run(config: dict[str, Any], *suites: str, extra: tuple[str, ...] = ()) -> NetworkRun:
        (pytester.path / "readiness.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        args = ["--readiness", "--readiness-json", "out.json", "-p", "no:cacheprovider", *extra]
        for suite in suites:
            args += ["--readiness-suite", suite]
        result = pytester.runpytest(*args)
        text = (pytester.path / "out.json").read_text(encoding="utf-8")
        record = json.loads(text)
        return NetworkRun(result, record["checks"], record, text)

    return run


@pytest.fixture(scope="session")
def network_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("network")


@pytest.fixture(scope="session")
def started() -> Iterator[list[Any]]:
    """Servers started by session fixtures register here to be stopped at the end."""
    servers: list[Any] = []
    yield servers
    for server in servers:
        server.stop()
