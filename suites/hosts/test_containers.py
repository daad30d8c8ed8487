"""Containers: running containers on hosts do not run as root."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness import Recorder
from pytest_readiness.config import Host
from pytest_readiness.probes.hosts import containers

pytestmark = pytest.mark.readiness(section="Containers", category="security")


@pytest.mark.readiness(id="containers.runtime-user", severity="medium",
                       fix="Run the container as an unprivileged user: USER in the Dockerfile, "
                           "`user:` in compose, or `docker run --user`")
def test_containers_do_not_run_as_root(host: Any, host_config: Host,
                                       readiness: Recorder) -> None:
    """Running containers run as a non-root user (docker ps + docker inspect, read-only)."""
    if not containers.docker_installed(host):
        pytest.skip(f"not applicable: no docker CLI on {host_config.name}")
    running = containers.running_containers(host)
    if not running:
        pytest.skip(f"not applicable: no running container on {host_config.name}")
    readiness.evidence(host=host_config.name,
                       users={c.name: c.user if c.user is not None else "(not inspected)"
                              for c in running})
    unread = [c.name for c in running if c.user is None]
    root = [f"{c.name} ({c.image})" for c in running if c.user is not None and c.runs_as_root]
    if root:
        readiness.warn(f"{host_config.name}: container(s) running as root: " + ", ".join(root))
    if unread:
        readiness.error(f"{host_config.name}: docker inspect did not answer for "
                        + ", ".join(unread))
