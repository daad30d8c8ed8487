"""Dockerfiles: non-root user, multi-stage builds, healthchecks, pinned bases, secrets, ADD.

Each check is one rule of probes/deployment/dockerfile.py, named like the check.
"""

from __future__ import annotations

import pytest

from pytest_readiness import Artefact, CheckError, Context, Recorder
from pytest_readiness.plumbing.tree import is_dockerfile
from pytest_readiness.plumbing.yamlpos import ParseError
from pytest_readiness.probes.deployment import dockerfile as probe
from pytest_readiness.probes.deployment.dockerfile import Dockerfile

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


@pytest.mark.readiness(id="dockerfile.non-root-user", severity="high", category="security",
                       fix="Create an unprivileged user and end the final stage with USER app")
def test_final_stage_runs_as_non_root(parsed_dockerfile: Dockerfile, readiness: Recorder) -> None:
    """The final stage sets a non-root USER."""
    readiness.conclude(probe.non_root_user(parsed_dockerfile), "root user problem(s)")


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
def test_healthcheck_speaks_app_protocol(parsed_dockerfile: Dockerfile,
                                         readiness: Recorder) -> None:
    """A HEALTHCHECK is present and probes the protocol and port the app serves."""
    served = probe.app_protocol(parsed_dockerfile.final)
    readiness.evidence(app_protocol=served[0], app_port=served[1])
    readiness.conclude(probe.healthcheck(parsed_dockerfile), "healthcheck problem(s)")


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
