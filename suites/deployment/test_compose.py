"""Docker Compose: healthchecks, start order, restart, limits, hardening, secrets, ports, mounts."""

from __future__ import annotations

import pytest

from pytest_readiness import CheckError
from pytest_readiness.plumbing.yamlpos import ParseError, publish
from pytest_readiness.probes.deployment import compose

pytestmark = pytest.mark.readiness(section="Docker Compose", category="deployment")


def _audit(compose_file, readiness, rule: str, check_id: str, what: str) -> None:
    """Run one compose rule, record its findings, fail on errors and warn on warnings."""
    try:
        parsed = compose.load_file(compose_file.path, compose_file.rel)
    except ParseError as exc:
        raise CheckError(str(exc)) from None
    readiness.evidence(**compose.summary(parsed))
    outcome = publish(readiness, compose.RULES[rule](parsed),
                      lambda rel: parsed.lines if rel == parsed.rel else [],
                      compose_file.codebase.spec.ignore, check_id)
    assert not outcome.errors, f"{len(outcome.errors)} {what}: {outcome.summary(outcome.errors)}"
    if outcome.warnings:
        readiness.warn(f"{len(outcome.warnings)} {what} (warning): "
                       f"{outcome.summary(outcome.warnings)}")


@pytest.mark.readiness(id="compose.healthcheck", severity="high",
                       fix="Add a healthcheck to the service (or a HEALTHCHECK to its Dockerfile)")
def test_every_service_has_healthcheck(compose_file, readiness):
    """Every service has a healthcheck (its own, or its Dockerfile's HEALTHCHECK)."""
    _audit(compose_file, readiness, "healthcheck", "compose.healthcheck",
           "service(s) without a healthcheck")


@pytest.mark.readiness(id="compose.depends-on-healthy", severity="medium",
                       fix="Use depends_on: {db: {condition: service_healthy}} for dependencies "
                           "that have a healthcheck")
def test_depends_on_waits_for_healthy(compose_file, readiness):
    """depends_on waits for service_healthy where the dependency has a healthcheck."""
    _audit(compose_file, readiness, "depends-on", "compose.depends-on-healthy",
           "dependency(ies) started without waiting for health")


@pytest.mark.readiness(id="compose.restart-policy", severity="medium",
                       fix="Set restart: unless-stopped (or deploy.restart_policy)")
def test_restart_policy(compose_file, readiness):
    """Every service restarts on failure (restart or deploy.restart_policy)."""
    _audit(compose_file, readiness, "restart", "compose.restart-policy",
           "service(s) without a restart policy")


@pytest.mark.readiness(id="compose.resource-limits", severity="medium",
                       fix="Set deploy.resources.limits.memory and cpus (or mem_limit / cpus)")
def test_resource_limits(compose_file, readiness):
    """Every service has a memory limit (and a CPU limit)."""
    _audit(compose_file, readiness, "limits", "compose.resource-limits",
           "service(s) without resource limits")


@pytest.mark.readiness(id="compose.non-root", severity="high", category="security",
                       fix="Set user: to a non-root uid, or USER in the service's Dockerfile")
def test_containers_run_as_non_root(compose_file, readiness):
    """Containers run as a non-root user."""
    _audit(compose_file, readiness, "non-root", "compose.non-root", "service(s) running as root")


@pytest.mark.readiness(id="compose.read-only-rootfs", severity="medium", category="security",
                       fix="Set read_only: true and mount tmpfs for the paths the app writes")
def test_read_only_root_filesystem(compose_file, readiness):
    """Containers have a read-only root filesystem."""
    _audit(compose_file, readiness, "read-only", "compose.read-only-rootfs",
           "service(s) with a writable root filesystem")


@pytest.mark.readiness(id="compose.capabilities", severity="medium", category="security",
                       fix="Set cap_drop: [ALL]; add back only what is needed, each cap_add with "
                           "a comment saying why")
def test_capabilities_dropped(compose_file, readiness):
    """All capabilities are dropped; every cap_add carries a justification comment."""
    _audit(compose_file, readiness, "capabilities", "compose.capabilities",
           "capability problem(s)")


@pytest.mark.readiness(id="compose.no-new-privileges", severity="medium", category="security",
                       fix="Add security_opt: [\"no-new-privileges:true\"]")
def test_no_new_privileges(compose_file, readiness):
    """Containers cannot gain privileges (no-new-privileges)."""
    _audit(compose_file, readiness, "no-new-privileges", "compose.no-new-privileges",
           "service(s) without no-new-privileges")


@pytest.mark.readiness(id="compose.literal-secrets", severity="critical", category="security",
                       fix="Pass secrets as ${VAR} (no default) from the deployment's "
                           "environment, or as compose secrets; rotate the exposed value")
def test_no_literal_secrets(compose_file, readiness):
    """Secrets come from ${VAR} substitution or compose secrets, never literals."""
    _audit(compose_file, readiness, "literal-secret", "compose.literal-secrets",
           "literal credential(s)")


@pytest.mark.readiness(id="compose.exposed-datastores", severity="high", category="security",
                       fix="Publish databases and caches on 127.0.0.1 only (or not at all) and "
                           "turn authentication on")
def test_datastores_not_exposed(compose_file, readiness):
    """Databases and caches are not published on all interfaces without authentication."""
    _audit(compose_file, readiness, "exposed-datastore", "compose.exposed-datastores",
           "exposed datastore port(s)")


@pytest.mark.readiness(id="compose.bind-mounts", severity="high",
                       fix="Commit the mounted file or directory, or fix the path")
def test_bind_mount_sources_exist(compose_file, readiness):
    """Bind-mount sources, env_files and file secrets that are repository paths exist."""
    _audit(compose_file, readiness, "bind-mount", "compose.bind-mounts",
           "missing bind-mount source(s)")


@pytest.mark.readiness(id="compose.images-pinned", severity="medium",
                       fix="Pin every image to a version tag or a digest (never latest)")
def test_images_pinned(compose_file, readiness):
    """Images are pinned to a tag or digest, not latest."""
    _audit(compose_file, readiness, "image-pinned", "compose.images-pinned",
           "unpinned image(s)")
