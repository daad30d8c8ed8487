"""Dockerfiles: non-root user, multi-stage builds, healthchecks, pinned bases, secrets, ADD.

Each check is one rule of probes/deployment/dockerfile.py, named like the check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pytest

from pytest_readiness import Artefact, CheckError, Context, Finding, Recorder
from pytest_readiness.plumbing.tree import is_dockerfile
from pytest_readiness.plumbing.yamlpos import ParseError
from pytest_readiness.probes.deployment import dockerfile as probe
from pytest_readiness.probes.deployment.dockerfile import Dockerfile
from pytest_readiness.vocabulary import Level

pytestmark = pytest.mark.readiness(section="Dockerfiles", category="deployment")


@pytest.fixture
def parsed_dockerfile(dockerfile: Artefact, readiness: Recorder,
                      readiness_context: Context) -> Dockerfile:
    """The Dockerfile, parsed; one that cannot be read or parsed ends the check with an error."""
    try:
        parsed = probe.load(dockerfile.path, dockerfile.rel,
                            readiness_context.reader_for(dockerfile.path))
    except ParseError as exc:
        raise CheckError(str(exc)) from None
    readiness.evidence(**probe.summary(parsed))
    return parsed


def _as_deployed(findings: Iterable[Finding], dockerfile: Artefact, ctx: Context,
                 readiness: Recorder, covered: str | None = None) -> list[Finding]:
    """The image judged as compose runs it: notes when only non-production projects
    build it, or when every production service running it sets what the image lacks
    (``covered``: "user" or "healthcheck")."""
    found = list(findings)
    uses = ctx.image_uses(dockerfile.codebase, dockerfile.rel)
    if not uses:
        return found
    production = [u for u in uses if u.production]
    readiness.evidence(run_by=sorted({f"{u.project}: {u.service}" for u in uses})[:10])
    if not production:
        readiness.evidence(deployed="built only by non-production compose projects")
        if not ctx.scope(dockerfile.codebase).judge(dockerfile.rel).production:
            return found  # the scope model caps the file's findings (its role in brackets)
        return [replace(f, level=Level.NOTE) for f in found]
    satisfied = {"user": all(u.non_root_user for u in production),
                 "healthcheck": all(u.healthcheck for u in production)}.get(covered or "")
    if satisfied:
        readiness.evidence(covered_by_compose=f"every production service running it sets "
                                              f"its own {covered}")
        return [replace(f, level=Level.NOTE) for f in found]
    return found


@pytest.mark.readiness(id="dockerfile.non-root-user", severity="high", category="security",
                       fix="Create an unprivileged user and end the final stage with USER app")
def test_final_stage_runs_as_non_root(dockerfile: Artefact, parsed_dockerfile: Dockerfile,
                                      readiness: Recorder, readiness_context: Context) -> None:
    """The image runs as a non-root user: the final stage's USER, or its base image's
    (distroless nonroot, official images whose entrypoint drops root, ...)."""
    user, why = probe.runtime_user(parsed_dockerfile)
    readiness.evidence(runs_as=user.kind, why=why)
    readiness.conclude(_as_deployed(probe.non_root_user(parsed_dockerfile), dockerfile,
                                    readiness_context, readiness, "user"),
                       "root user problem(s)")


@pytest.mark.readiness(id="dockerfile.multi-stage", severity="medium",
                       fix="Install compilers in a builder stage and COPY --from=builder only "
                           "the built artefacts into a slim final stage")
def test_build_tools_not_in_final_image(parsed_dockerfile: Dockerfile,
                                        readiness: Recorder) -> None:
    """Build tools are installed in a builder stage, not in the image that ships."""
    readiness.conclude(probe.multi_stage(parsed_dockerfile),
                       "build tool install(s) in the final image")


@pytest.mark.readiness(id="dockerfile.healthcheck", levels=probe.HEALTHCHECK_LEVELS,
                       severity="medium",
                       fix="Add a HEALTHCHECK that probes the app's own protocol and port")
def test_healthcheck_speaks_app_protocol(dockerfile: Artefact, parsed_dockerfile: Dockerfile,
                                         readiness: Recorder,
                                         readiness_context: Context) -> None:
    """A HEALTHCHECK is present and probes the protocol and port the app serves (a
    missing one is a note when every compose service running the image has its own)."""
    served = probe.app_protocol(parsed_dockerfile.final)
    readiness.evidence(app_protocol=served[0], app_port=served[1])
    found = probe.healthcheck(parsed_dockerfile)
    missing = [f for f in found if "no HEALTHCHECK" in f.message]
    kept = [f for f in found if f not in missing]
    readiness.conclude(kept + _as_deployed(missing, dockerfile, readiness_context, readiness,
                                           "healthcheck"), "healthcheck problem(s)")


@pytest.mark.readiness(id="dockerfile.base-pinned", rules=probe.BASE_PIN_RULES,
                       levels=probe.BASE_PIN_LEVELS,
                       severity="medium",
                       fix="Pin FROM images to a version tag or a digest (never latest)")
def test_base_images_pinned(parsed_dockerfile: Dockerfile, readiness: Recorder) -> None:
    """Base images are pinned to a tag or digest."""
    readiness.conclude(probe.base_pinned(parsed_dockerfile), "unpinned base image(s)")


@pytest.mark.readiness(id="dockerfile.no-secrets", levels=probe.NO_SECRETS_LEVELS,
                       severity="critical", category="security",
                       fix="Remove the value, rotate it, and pass secrets at run time or with "
                           "RUN --mount=type=secret")
def test_no_secrets_in_env_or_arg(parsed_dockerfile: Dockerfile, readiness: Recorder) -> None:
    """No secrets in ENV or ARG (they stay in the image history)."""
    readiness.conclude(probe.no_secrets(parsed_dockerfile), "secret(s) in ENV/ARG")


@pytest.mark.readiness(id="dockerfile.no-remote-add", severity="medium", category="security",
                       fix="Download with curl and verify a checksum, or use ADD --checksum=")
def test_no_remote_add(parsed_dockerfile: Dockerfile, readiness: Recorder) -> None:
    """No ADD of remote URLs without a checksum."""
    readiness.conclude(probe.no_remote_add(parsed_dockerfile), "remote ADD(s)")


@pytest.mark.readiness(id="dockerfile.production-target", severity="medium",
                       fix="Add a production stage (FROM base AS production) without dev tools, "
                           "or a separate Dockerfile.prod, and deploy that")
def test_production_target_without_dev_tools(dockerfile: Artefact, parsed_dockerfile: Dockerfile,
                                              readiness: Recorder) -> None:
    """An image carrying dev tools has a separate production stage or file."""
    siblings = {p.name for p in dockerfile.path.parent.iterdir()
                if p.name != dockerfile.path.name and is_dockerfile(p.name)}
    dev_tools = [what for _, what in probe.dev_tool_lines(parsed_dockerfile.final)]
    readiness.evidence(dev_tools=dev_tools, sibling_dockerfiles=sorted(siblings))
    readiness.conclude(probe.production_target(parsed_dockerfile, siblings),
                       "dev image(s) without a production target")
