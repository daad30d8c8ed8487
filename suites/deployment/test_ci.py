"""CI pipeline: tests run, scanners can fail the build, protos are checked, dependencies pinned."""

from __future__ import annotations

import pytest

from pytest_readiness import CheckError, CodebaseTarget, Context, Recorder
from pytest_readiness.plumbing.tree import Inventory
from pytest_readiness.plumbing.yamlpos import ParseError
from pytest_readiness.probes.deployment import ci

pytestmark = pytest.mark.readiness(section="CI Pipeline", category="deployment")


def _pipelines(codebase: CodebaseTarget, ctx: Context, inventory: Inventory,
               readiness: Recorder, required: bool = True) -> list[ci.Pipeline]:
    """The codebase's CI workflows, parsed, with what their steps call in the tree followed
    (a check that needs one is not applicable without)."""
    artefacts = [a for a in ctx.artefacts("workflows") if a.codebase.root == codebase.root]
    if not artefacts and required:
        pytest.skip("not applicable: no CI workflows (.github/workflows, .gitlab-ci.yml) found")
    try:
        pipelines = ci.load_pipelines([(a.path, a.rel) for a in artefacts], inventory)
    except ParseError as exc:
        raise CheckError(str(exc)) from None
    readiness.evidence(workflows=[p.file for p in pipelines])
    unread = [note for p in pipelines for note in p.unread]
    if unread:
        readiness.evidence(not_followed=unread[:20])
    return pipelines


@pytest.mark.readiness(id="ci.tests-run", severity="high",
                       fix="Add a CI job that runs the test suite on every push and pull request")
def test_pipeline_runs_tests(codebase: CodebaseTarget, inventory: Inventory,
                             readiness: Recorder, readiness_context: Context) -> None:
    """A CI workflow runs the tests, and a failing test fails the build."""
    pipelines = _pipelines(codebase, readiness_context, inventory, readiness)
    readiness.evidence(test_steps=[f"{u.where()} {u.name}" for u in ci.test_uses(pipelines)])
    readiness.conclude(ci.tests_run_findings(pipelines), "test run problem(s)")


@pytest.mark.readiness(id="ci.security-scan", severity="high", category="security",
                       rules=ci.SECURITY_SCAN_RULES,
                       fix="Run a scanner (gitleaks, trivy --exit-code 1, bandit, pip-audit, "
                           "CodeQL, ...) without continue-on-error or || true")
def test_security_scanner_can_fail_build(codebase: CodebaseTarget, inventory: Inventory,
                                         readiness: Recorder,
                                         readiness_context: Context) -> None:
    """A security scanner runs in CI and its findings can fail the build."""
    scanners, found = ci.security_scan_findings(
        _pipelines(codebase, readiness_context, inventory, readiness), ci.update_bots(inventory))
    readiness.evidence(scanners=scanners)
    readiness.conclude(found, "security scanning problem(s)")


@pytest.mark.readiness(id="ci.proto-sync", severity="medium",
                       fix="Regenerate stubs in CI and fail on drift (git diff --exit-code), or "
                           "run buf breaking / a proto sync check")
def test_proto_sync_checked(codebase: CodebaseTarget, inventory: Inventory, readiness: Recorder,
                            readiness_context: Context) -> None:
    """Where protos exist, CI checks that copies and generated stubs are in sync."""
    if not inventory.protos:
        pytest.skip("not applicable: no .proto files in this codebase")
    pipelines = _pipelines(codebase, readiness_context, inventory, readiness)
    readiness.evidence(protos=[f.rel for f in inventory.protos][:20],
                       proto_steps=[u.where() for u in ci.proto_sync_uses(pipelines)])
    readiness.conclude(ci.proto_sync_findings(pipelines), "proto sync problem(s)")


@pytest.mark.readiness(id="ci.dependencies-pinned", severity="medium", category="security",
                       rules=ci.DEPENDENCY_RULES,
                       fix="Commit a lock file (or pin requirements with ==) and pin actions to "
                           "a release tag or commit SHA")
def test_dependencies_pinned(codebase: CodebaseTarget, inventory: Inventory, readiness: Recorder,
                             readiness_context: Context) -> None:
    """Dependencies are locked or pinned, and CI actions are pinned to a tag or SHA."""
    pipelines = _pipelines(codebase, readiness_context, inventory, readiness, required=False)
    if not pipelines and not any(ci.declares_dependencies(f.rel) for f in inventory.files):
        pytest.skip("not applicable: no dependency manifest, requirements file or CI workflow")
    locked = ci.manifest_locks(inventory)
    found, locks = ci.dependency_findings(inventory, locked)
    found += ci.action_pin_findings(pipelines)
    readiness.evidence(lock_files=locks)
    members = {e.manifest: f"{e.lock} (workspace {e.member_of})" for e in locked if e.member_of}
    if members:
        readiness.evidence(workspace_locked=members)
    readiness.conclude(found, "unpinned dependency problem(s)")
