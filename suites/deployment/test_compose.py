"""Docker Compose: healthchecks, start order, restart, limits, hardening, secrets, ports, mounts.

Each check is one rule of probes/deployment/compose.py, named like the check.
"""

from __future__ import annotations

import pytest

from pytest_readiness import Artefact, CheckError, Context, Recorder
from pytest_readiness.plumbing.yamlpos import ParseError
from pytest_readiness.probes.deployment import compose
from pytest_readiness.probes.deployment.compose import ComposeFile

pytestmark = pytest.mark.readiness(section="Docker Compose", category="deployment")


@pytest.fixture
def compose_project(compose_file: Artefact, readiness: Recorder,
                    readiness_context: Context) -> ComposeFile:
    """The compose file, parsed; one that does not parse ends the check with an error."""
    try:
        parsed = compose.load_file(compose_file.path, compose_file.rel,
                                   readiness_context.reader_for(compose_file.path))
    except ParseError as exc:
        raise CheckError(str(exc)) from None
    readiness.evidence(**compose.summary(parsed))
    return parsed


@pytest.mark.readiness(id="compose.healthcheck", levels=compose.LEVELS["healthcheck"],
                       severity="high",
                       fix="Add a healthcheck to the service (or a HEALTHCHECK to its Dockerfile)")
def test_every_service_has_healthcheck(compose_project: ComposeFile, readiness: Recorder) -> None:
    """Every service has a healthcheck (its own, or its Dockerfile's HEALTHCHECK)."""
    readiness.conclude(compose.healthcheck(compose_project), "service(s) without a healthcheck")


@pytest.mark.readiness(id="compose.depends-on-healthy", rules=("", "stated"),
                       levels=compose.LEVELS["depends-on-healthy"],
                       severity="medium",
                       fix="Use depends_on: {db: {condition: service_healthy}} for dependencies "
                           "that have a healthcheck")
def test_depends_on_waits_for_healthy(compose_project: ComposeFile, readiness: Recorder) -> None:
    """depends_on waits for service_healthy where the dependency has a healthcheck."""
    readiness.conclude(compose.depends_on_healthy(compose_project),
                       "dependency(ies) started without waiting for health")


@pytest.mark.readiness(id="compose.restart-policy", levels=compose.LEVELS["restart-policy"],
                       severity="medium",
                       fix="Set restart: unless-stopped (or deploy.restart_policy)")
def test_restart_policy(compose_project: ComposeFile, readiness: Recorder) -> None:
    """Every service restarts on failure (restart or deploy.restart_policy)."""
    readiness.conclude(compose.restart_policy(compose_project),
                       "service(s) without a restart policy")


@pytest.mark.readiness(id="compose.resource-limits", levels=compose.LEVELS["resource-limits"],
                       severity="medium",
                       fix="Set deploy.resources.limits.memory and cpus (or mem_limit / cpus)")
def test_resource_limits(compose_project: ComposeFile, readiness: Recorder) -> None:
    """Every service has a memory limit (and a CPU limit)."""
    readiness.conclude(compose.resource_limits(compose_project),
                       "service(s) without resource limits")


@pytest.mark.readiness(id="compose.non-root", levels=compose.LEVELS["non-root"],
                       severity="high", category="security",
                       fix="Set user: to a non-root uid, or USER in the service's Dockerfile")
def test_containers_run_as_non_root(compose_project: ComposeFile, readiness: Recorder) -> None:
    """Containers run as a non-root user."""
    readiness.conclude(compose.non_root(compose_project), "service(s) running as root")


@pytest.mark.readiness(id="compose.read-only-rootfs", levels=compose.LEVELS["read-only-rootfs"],
                       severity="medium", category="security",
                       fix="Set read_only: true and mount tmpfs for the paths the app writes")
def test_read_only_root_filesystem(compose_project: ComposeFile, readiness: Recorder) -> None:
    """Containers have a read-only root filesystem."""
    readiness.conclude(compose.read_only_rootfs(compose_project),
                       "service(s) with a writable root filesystem")


@pytest.mark.readiness(id="compose.capabilities", rules=compose.CAPABILITY_RULES,
                       levels=compose.LEVELS["capabilities"],
                       severity="medium", category="security",
                       fix="Set cap_drop: [ALL]; add back only what is needed, each cap_add with "
                           "a comment saying why")
def test_capabilities_dropped(compose_project: ComposeFile, readiness: Recorder) -> None:
    """All capabilities are dropped; every cap_add carries a justification comment."""
    readiness.conclude(compose.capabilities(compose_project), "capability problem(s)")


@pytest.mark.readiness(id="compose.no-new-privileges", levels=compose.LEVELS["no-new-privileges"],
                       severity="medium", category="security",
                       fix="Add security_opt: [\"no-new-privileges:true\"]")
def test_no_new_privileges(compose_project: ComposeFile, readiness: Recorder) -> None:
    """Containers cannot gain privileges (no-new-privileges)."""
    readiness.conclude(compose.no_new_privileges(compose_project),
                       "service(s) without no-new-privileges")


@pytest.mark.readiness(id="compose.literal-secrets", severity="critical", category="security",
                       fix="Pass secrets as ${VAR} (no default) from the deployment's "
                           "environment, or as compose secrets; rotate the exposed value")
def test_no_literal_secrets(compose_project: ComposeFile, readiness: Recorder) -> None:
    """Secrets come from ${VAR} substitution or compose secrets, never literals."""
    readiness.conclude(compose.literal_secrets(compose_project), "literal credential(s)")


@pytest.mark.readiness(id="compose.exposed-datastores", levels=compose.LEVELS["exposed-datastores"],
                       severity="high", category="security",
                       fix="Publish databases and caches on 127.0.0.1 only (or not at all) and "
                           "turn authentication on")
def test_datastores_not_exposed(compose_project: ComposeFile, readiness: Recorder) -> None:
    """Databases and caches are not published on all interfaces without authentication."""
    readiness.conclude(compose.exposed_datastores(compose_project), "exposed datastore port(s)")


@pytest.mark.readiness(id="compose.bind-mounts", severity="high",
                       fix="Commit the mounted file or directory, or fix the path")
def test_bind_mount_sources_exist(compose_project: ComposeFile, readiness: Recorder) -> None:
    """Bind-mount sources, env_files and file secrets that are repository paths exist."""
    readiness.conclude(compose.bind_mounts(compose_project), "missing bind-mount source(s)")


@pytest.mark.readiness(id="compose.images-pinned", rules=compose.IMAGE_PIN_RULES,
                       levels=compose.LEVELS["images-pinned"],
                       severity="medium",
                       fix="Pin every image to a version tag or a digest (never latest)")
def test_images_pinned(compose_project: ComposeFile, readiness: Recorder) -> None:
    """Images are pinned to a tag or digest, not latest."""
    readiness.conclude(compose.images_pinned(compose_project), "unpinned image(s)")
