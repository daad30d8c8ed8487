"""CI pipeline: tests run, scanners can fail the build, protos are checked, dependencies pinned."""

from __future__ import annotations

import pytest

from pytest_readiness import CheckError
from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.yamlpos import Located, ParseError, publish
from pytest_readiness.probes.deployment import ci

pytestmark = pytest.mark.readiness(section="CI Pipeline", category="deployment")


def _pipelines(codebase, readiness_context, readiness, required: bool = True) -> list[ci.Pipeline]:
    artefacts = [a for a in readiness_context.artefacts("workflows")
                 if a.codebase.root == codebase.root]
    if not artefacts and required:
        pytest.skip("not applicable: no CI workflows (.github/workflows, .gitlab-ci.yml) found")
    pipelines = []
    for artefact in artefacts:
        try:
            pipelines.append(ci.load_pipeline(artefact.path, artefact.rel))
        except ParseError as exc:
            raise CheckError(str(exc)) from None
    readiness.evidence(workflows=[p.file for p in pipelines])
    return pipelines


def _conclude(readiness, codebase, inventory, located: list[Located], check_id: str,
              what: str) -> None:
    outcome = publish(readiness, located, pyast.lines_of(inventory), codebase.spec.ignore,
                      check_id)
    assert not outcome.errors, f"{len(outcome.errors)} {what}: {outcome.summary(outcome.errors)}"
    if outcome.warnings:
        readiness.warn(f"{len(outcome.warnings)} {what} (warning): "
                       f"{outcome.summary(outcome.warnings)}")


def _where(step: ci.Step) -> str:
    return f"{step.file}:{step.line}"


@pytest.mark.readiness(id="ci.tests-run", severity="high",
                       fix="Add a CI job that runs the test suite on every push and pull request")
def test_pipeline_runs_tests(codebase, inventory, readiness, readiness_context):
    """A CI workflow runs the tests, and a failing test fails the build."""
    pipelines = _pipelines(codebase, readiness_context, readiness)
    steps = ci.test_steps(pipelines)
    readiness.evidence(test_steps=[f"{_where(s)} {s.run.strip()[:80]}" for s in steps])
    if not steps:
        located = [Located("ci.tests-run", "no step runs the tests (pytest, tox, go test, npm "
                           "test, make test, ...)", p.file) for p in pipelines[:1]]
    else:
        soft = [(s, ci.cannot_fail_reason(s)) for s in steps]
        located = [Located("ci.tests-run", f"tests in job {s.job} cannot fail the build: "
                           f"{why}", s.file, s.line, "warning") for s, why in soft if why]
        if len(located) < len(steps):
            located = []  # at least one test run gates the build
    _conclude(readiness, codebase, inventory, located, "ci.tests-run", "test run problem(s)")


@pytest.mark.readiness(id="ci.security-scan", severity="high", category="security",
                       fix="Run a scanner (gitleaks, trivy --exit-code 1, bandit, pip-audit, "
                           "CodeQL, ...) without continue-on-error or || true")
def test_security_scanner_can_fail_build(codebase, inventory, readiness, readiness_context):
    """A security scanner runs in CI and its findings can fail the build."""
    pipelines = _pipelines(codebase, readiness_context, readiness)
    steps = ci.scanner_steps(pipelines)
    templates = [(p.file, t, line) for p in pipelines for t, line in p.includes
                 if ci.GITLAB_SCANNER_TEMPLATE.search(t)]
    readiness.evidence(scanners=[f"{_where(s)} {ci.scanner_name(s)}" for s in steps]
                       + [f"{f}:{line} {t}" for f, t, line in templates])
    located = [Located("ci.scanner-cannot-fail", f"{ci.scanner_name(s)} runs but cannot fail "
                       f"the build: {why}", s.file, s.line, "warning")
               for s in steps if (why := ci.cannot_fail_reason(s))]
    located += [Located("ci.scanner-cannot-fail", f"GitLab template {t} runs with "
                        "allow_failure by default", f, line, "warning") for f, t, line in templates]
    if not steps and not templates:
        located = [Located("ci.no-scanner", "no security scanner runs in CI", p.file)
                   for p in pipelines[:1]]
    _conclude(readiness, codebase, inventory, located, "ci.security-scan",
              "security scanning problem(s)")


@pytest.mark.readiness(id="ci.proto-sync", severity="medium",
                       fix="Regenerate stubs in CI and fail on drift (git diff --exit-code), or "
                           "run buf breaking / a proto sync check")
def test_proto_sync_checked(codebase, inventory, readiness, readiness_context):
    """Where protos exist, CI checks that copies and generated stubs are in sync."""
    if not inventory.protos:
        pytest.skip("not applicable: no .proto files in this codebase")
    pipelines = _pipelines(codebase, readiness_context, readiness)
    readiness.evidence(protos=[f.rel for f in inventory.protos][:20],
                       proto_steps=[_where(s) for s in ci.proto_sync_steps(pipelines)])
    _conclude(readiness, codebase, inventory, ci.proto_sync_findings(pipelines), "ci.proto-sync",
              "proto sync problem(s)")


@pytest.mark.readiness(id="ci.dependencies-pinned", severity="medium", category="security",
                       fix="Commit a lock file (or pin requirements with ==) and pin actions to "
                           "a release tag or commit SHA")
def test_dependencies_pinned(codebase, inventory, readiness, readiness_context):
    """Dependencies are locked or pinned, and CI actions are pinned to a tag or SHA."""
    pipelines = _pipelines(codebase, readiness_context, readiness, required=False)
    if not pipelines and not any(ci.declares_dependencies(f.rel) for f in inventory.files):
        pytest.skip("not applicable: no dependency manifest, requirements file or CI workflow")
    located, locks = ci.dependency_findings(inventory)
    located += ci.action_pin_findings(pipelines)
    readiness.evidence(lock_files=locks)
    _conclude(readiness, codebase, inventory, located, "ci.dependencies-pinned",
              "unpinned dependency problem(s)")
