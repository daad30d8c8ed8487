"""Docker Compose: the project as Compose builds it (base files, overlays, ``-f``
variants, ``extends``, ``include``, ``.env``), judged service by service.

Each check is one rule of probes/deployment/compose.py, named like the check. A
project that does not load is reported once, by compose.valid; the other checks skip
it. A project whose files are not production (a test project, the default project
with a development override) is judged in notes only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pytest

from pytest_readiness import ComposeTarget, Context, Finding, Recorder
from pytest_readiness.probes.deployment import compose
from pytest_readiness.probes.deployment.compose import ComposeProject
from pytest_readiness.vocabulary import Level

pytestmark = pytest.mark.readiness(section="Docker Compose", category="deployment")


def _describe(target: ComposeTarget, readiness: Recorder) -> None:
    role, _, reason = (target.role or "production").partition(": ")
    readiness.evidence(found_by=list(target.variant.sources)[:5], role=role,
                       **({"role_reason": reason} if reason else {}),
                       **({"stands_for": list(target.variant.also)} if target.variant.also
                          else {}),
                       **({"addons": list(target.variant.addons)} if target.variant.addons
                          else {}))


@pytest.fixture
def compose_project(compose_target: ComposeTarget, readiness: Recorder,
                    readiness_context: Context) -> ComposeProject:
    """The project, loaded; one Compose would refuse is skipped here (compose.valid
    reports it once)."""
    project = readiness_context.compose_project(compose_target)
    _describe(compose_target, readiness)
    readiness.evidence(**compose.summary(project))
    if project.model.invalid:
        first = project.model.invalid[0]
        pytest.skip(f"not applicable: the project does not load ({first.file}:{first.line or '-'}"
                    f" {first.message}); compose.valid reports it")
    return project


def _conclude(readiness: Recorder, project: ComposeProject, findings: Iterable[Finding],
              what: str) -> None:
    """Conclude, with every finding a note when the project is not production."""
    target = readiness.target
    role = target.role if isinstance(target, ComposeTarget) else None
    found = list(findings)
    if role is not None:
        found = [replace(f, level=Level.NOTE) for f in found]
    readiness.conclude(found, what, lines=project.lines)


@pytest.mark.readiness(id="compose.valid", levels=compose.LEVELS["valid"], severity="high",
                       fix="Make every file of the project load: fix the YAML, the keys the "
                           "Compose specification does not know, and the values of the wrong "
                           "type")
def test_project_loads(compose_target: ComposeTarget, readiness: Recorder,
                       readiness_context: Context) -> None:
    """The project loads as Compose loads it: valid YAML, valid against the Compose
    specification schema; required variables it leaves to the deployment are noted."""
    project = readiness_context.compose_project(compose_target)
    _describe(compose_target, readiness)
    readiness.evidence(files=list(project.model.files),
                       env_files=list(project.model.env_files))
    _conclude(readiness, project, compose.validity(project), "problem(s) loading the project")


@pytest.mark.readiness(id="compose.healthcheck", levels=compose.LEVELS["healthcheck"],
                       severity="high",
                       fix="Add a healthcheck to the service (or a HEALTHCHECK to its Dockerfile)")
def test_every_service_has_healthcheck(compose_project: ComposeProject,
                                       readiness: Recorder) -> None:
    """Every service has a healthcheck (its own, or its Dockerfile's HEALTHCHECK)."""
    _conclude(readiness, compose_project, compose.healthcheck(compose_project),
              "service(s) without a healthcheck")


@pytest.mark.readiness(id="compose.depends-on-healthy", rules=("", "stated"),
                       levels=compose.LEVELS["depends-on-healthy"],
                       severity="medium",
                       fix="Use depends_on: {db: {condition: service_healthy}} for dependencies "
                           "that have a healthcheck")
def test_depends_on_waits_for_healthy(compose_project: ComposeProject,
                                      readiness: Recorder) -> None:
    """depends_on waits for service_healthy where the dependency has a healthcheck."""
    _conclude(readiness, compose_project, compose.depends_on_healthy(compose_project),
              "dependency(ies) started without waiting for health")


@pytest.mark.readiness(id="compose.restart-policy", levels=compose.LEVELS["restart-policy"],
                       severity="medium",
                       fix="Set restart: unless-stopped (or deploy.restart_policy)")
def test_restart_policy(compose_project: ComposeProject, readiness: Recorder) -> None:
    """Every service restarts on failure (restart or deploy.restart_policy)."""
    _conclude(readiness, compose_project, compose.restart_policy(compose_project),
              "service(s) without a restart policy")


@pytest.mark.readiness(id="compose.resource-limits", levels=compose.LEVELS["resource-limits"],
                       rules=("cpu",), severity="medium",
                       fix="Set deploy.resources.limits.memory and cpus (or mem_limit / cpus)")
def test_resource_limits(compose_project: ComposeProject, readiness: Recorder) -> None:
    """Every service has a memory limit (and, as hardening, a CPU limit)."""
    _conclude(readiness, compose_project, compose.resource_limits(compose_project),
              "service(s) without resource limits")


@pytest.mark.readiness(id="compose.non-root", levels=compose.LEVELS["non-root"],
                       severity="high", category="security",
                       fix="Set user: to a non-root uid, or USER in the service's Dockerfile")
def test_containers_run_as_non_root(compose_project: ComposeProject,
                                    readiness: Recorder) -> None:
    """Containers run as a non-root user (user:, the Dockerfile's USER, or the image's)."""
    _conclude(readiness, compose_project, compose.non_root(compose_project),
              "service(s) running as root")


@pytest.mark.readiness(id="compose.read-only-rootfs", levels=compose.LEVELS["read-only-rootfs"],
                       severity="medium", category="security",
                       fix="Set read_only: true and mount tmpfs for the paths the app writes")
def test_read_only_root_filesystem(compose_project: ComposeProject,
                                   readiness: Recorder) -> None:
    """Containers have a read-only root filesystem."""
    _conclude(readiness, compose_project, compose.read_only_rootfs(compose_project),
              "service(s) with a writable root filesystem")


@pytest.mark.readiness(id="compose.capabilities", rules=compose.CAPABILITY_RULES,
                       levels=compose.LEVELS["capabilities"],
                       severity="medium", category="security",
                       fix="Set cap_drop: [ALL]; add back only what is needed, each cap_add with "
                           "a comment saying why")
def test_capabilities_dropped(compose_project: ComposeProject, readiness: Recorder) -> None:
    """All capabilities are dropped; every cap_add carries a justification comment."""
    _conclude(readiness, compose_project, compose.capabilities(compose_project),
              "capability problem(s)")


@pytest.mark.readiness(id="compose.no-new-privileges", levels=compose.LEVELS["no-new-privileges"],
                       severity="medium", category="security",
                       fix="Add security_opt: [\"no-new-privileges:true\"]")
def test_no_new_privileges(compose_project: ComposeProject, readiness: Recorder) -> None:
    """Containers cannot gain privileges (no-new-privileges)."""
    _conclude(readiness, compose_project, compose.no_new_privileges(compose_project),
              "service(s) without no-new-privileges")


@pytest.mark.readiness(id="compose.host-access", levels=compose.LEVELS["host-access"],
                       severity="high", category="security",
                       fix="Do not give containers the host: no Docker socket (use a socket "
                           "proxy with a read-only API allowlist), no host /, /proc, /sys, no "
                           "privileged, no host namespaces, no SYS_ADMIN-class capabilities")
def test_no_host_access(compose_project: ComposeProject, readiness: Recorder) -> None:
    """No container is given the host: runtime socket, host filesystem trees, privileged
    mode, host namespaces or dangerous capabilities."""
    _conclude(readiness, compose_project, compose.host_access(compose_project),
              "way(s) into the host")


@pytest.mark.readiness(id="compose.literal-secrets", severity="critical", category="security",
                       fix="Pass secrets as ${VAR} (no default) from the deployment's "
                           "environment, or as compose secrets; rotate the exposed value")
def test_no_literal_secrets(compose_project: ComposeProject, readiness: Recorder) -> None:
    """Secrets come from ${VAR} substitution or compose secrets, never literals in the
    compose files or the env_files they load."""
    _conclude(readiness, compose_project, compose.literal_secrets(compose_project),
              "literal credential(s)")


@pytest.mark.readiness(id="compose.exposed-datastores", levels=compose.LEVELS["exposed-datastores"],
                       severity="high", category="security", rules=["admin-ui"],
                       fix="Publish databases, caches and admin UIs on 127.0.0.1 only (or not "
                           "at all), turn authentication on with a real password, and keep "
                           "admin UIs off public reverse-proxy routes")
def test_datastores_not_exposed(compose_project: ComposeProject, readiness: Recorder) -> None:
    """Databases, caches and admin UIs are not reachable from outside without real
    authentication (ports on all interfaces, or a public reverse-proxy route)."""
    _conclude(readiness, compose_project, compose.exposed_datastores(compose_project),
              "exposed datastore(s) or admin UI(s)")


@pytest.mark.readiness(id="compose.bind-mounts", severity="high",
                       fix="Commit the mounted file, or fix the path")
def test_bind_mount_sources_exist(compose_project: ComposeProject, readiness: Recorder) -> None:
    """Bind-mounted files, env_files and file secrets that are repository paths exist."""
    _conclude(readiness, compose_project, compose.bind_mounts(compose_project),
              "missing bind-mount source(s)")


@pytest.mark.readiness(id="compose.images-pinned", rules=compose.IMAGE_PIN_RULES,
                       levels=compose.LEVELS["images-pinned"],
                       severity="medium",
                       fix="Pin every image to a version tag or a digest (never latest)")
def test_images_pinned(compose_project: ComposeProject, readiness: Recorder) -> None:
    """Images are pinned to a tag or digest, not latest."""
    _conclude(readiness, compose_project, compose.images_pinned(compose_project),
              "unpinned image(s)")
