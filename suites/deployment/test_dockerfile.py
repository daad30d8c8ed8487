"""Dockerfiles: non-root user, multi-stage builds, healthchecks, pinned bases, secrets, ADD."""

from __future__ import annotations

import pytest

from pytest_readiness import CheckError
from pytest_readiness.plumbing.tree import is_dockerfile
from pytest_readiness.plumbing.yamlpos import Located, ParseError, publish
from pytest_readiness.probes.deployment import dockerfile as probe

pytestmark = pytest.mark.readiness(section="Dockerfiles", category="deployment")


def _parse(dockerfile, readiness) -> tuple[probe.Dockerfile, list[str]]:
    try:
        text = dockerfile.path.read_text(encoding="utf-8")
        parsed = probe.parse(text, dockerfile.rel)
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckError(f"{dockerfile.rel}: cannot read: {exc}") from None
    except ParseError as exc:
        raise CheckError(str(exc)) from None
    readiness.evidence(**probe.summary(parsed))
    return parsed, text.splitlines()


def _conclude(dockerfile, readiness, lines, located: list[Located], check_id: str,
              what: str) -> None:
    outcome = publish(readiness, located, lambda rel: lines if rel == dockerfile.rel else [],
                      dockerfile.codebase.spec.ignore, check_id)
    assert not outcome.errors, f"{len(outcome.errors)} {what}: {outcome.summary(outcome.errors)}"
    if outcome.warnings:
        readiness.warn(f"{len(outcome.warnings)} {what} (warning): "
                       f"{outcome.summary(outcome.warnings)}")


@pytest.mark.readiness(id="dockerfile.non-root-user", severity="high", category="security",
                       fix="Create an unprivileged user and end the final stage with USER app")
def test_final_stage_runs_as_non_root(dockerfile, readiness):
    """The final stage sets a non-root USER."""
    parsed, lines = _parse(dockerfile, readiness)
    _conclude(dockerfile, readiness, lines, probe.user_findings(parsed),
              "dockerfile.non-root-user", "root user problem(s)")


@pytest.mark.readiness(id="dockerfile.multi-stage", severity="medium",
                       fix="Install compilers in a builder stage and COPY --from=builder only "
                           "the built artefacts into a slim final stage")
def test_build_tools_not_in_final_image(dockerfile, readiness):
    """Build tools are installed in a builder stage, not in the image that ships."""
    parsed, lines = _parse(dockerfile, readiness)
    _conclude(dockerfile, readiness, lines, probe.build_tool_findings(parsed),
              "dockerfile.multi-stage", "build tool install(s) in the final image")


@pytest.mark.readiness(id="dockerfile.healthcheck", severity="medium",
                       fix="Add a HEALTHCHECK that probes the app's own protocol and port")
def test_healthcheck_speaks_app_protocol(dockerfile, readiness):
    """A HEALTHCHECK is present and probes the protocol and port the app serves."""
    parsed, lines = _parse(dockerfile, readiness)
    served = probe.app_protocol(parsed.final)
    readiness.evidence(app_protocol=served[0], app_port=served[1])
    _conclude(dockerfile, readiness, lines, probe.healthcheck_findings(parsed),
              "dockerfile.healthcheck", "healthcheck problem(s)")


@pytest.mark.readiness(id="dockerfile.base-pinned", severity="medium",
                       fix="Pin FROM images to a version tag or a digest (never latest)")
def test_base_images_pinned(dockerfile, readiness):
    """Base images are pinned to a tag or digest."""
    parsed, lines = _parse(dockerfile, readiness)
    _conclude(dockerfile, readiness, lines, probe.base_pin_findings(parsed),
              "dockerfile.base-pinned", "unpinned base image(s)")


@pytest.mark.readiness(id="dockerfile.no-secrets", severity="critical", category="security",
                       fix="Remove the value, rotate it, and pass secrets at run time or with "
                           "RUN --mount=type=secret")
def test_no_secrets_in_env_or_arg(dockerfile, readiness):
    """No secrets in ENV or ARG (they stay in the image history)."""
    parsed, lines = _parse(dockerfile, readiness)
    _conclude(dockerfile, readiness, lines, probe.secret_findings(parsed),
              "dockerfile.no-secrets", "secret(s) in ENV/ARG")


@pytest.mark.readiness(id="dockerfile.no-remote-add", severity="medium", category="security",
                       fix="Download with curl and verify a checksum, or use ADD --checksum=")
def test_no_remote_add(dockerfile, readiness):
    """No ADD of remote URLs without a checksum."""
    parsed, lines = _parse(dockerfile, readiness)
    _conclude(dockerfile, readiness, lines, probe.remote_add_findings(parsed),
              "dockerfile.no-remote-add", "remote ADD(s)")


@pytest.mark.readiness(id="dockerfile.production-target", severity="medium",
                       fix="Add a production stage (FROM base AS production) without dev tools, "
                           "or a separate Dockerfile.prod, and deploy that")
def test_production_target_without_dev_tools(dockerfile, readiness):
    """An image carrying dev tools has a separate production stage or file."""
    parsed, lines = _parse(dockerfile, readiness)
    siblings = {p.name for p in dockerfile.path.parent.iterdir()
                if p.name != dockerfile.path.name and is_dockerfile(p.name)}
    readiness.evidence(dev_tools=[what for _, what in probe.dev_tool_lines(parsed.final)],
                       sibling_dockerfiles=sorted(siblings))
    _conclude(dockerfile, readiness, lines, probe.production_target_findings(parsed, siblings),
              "dockerfile.production-target", "dev image(s) without a production target")
