"""CI as a whole: every workflow and job of GitHub Actions and GitLab CI, what each step
runs down into the tree, and the dependency locks of the codebase.

- :mod:`.pipelines`: workflows parsed into steps; local actions, reusable workflows and
  GitLab local includes followed.
- :mod:`.commands` and :mod:`.entries`: a step's command lines resolved into scripts,
  Makefile / justfile targets, tox envs, nox sessions, package.json scripts, pre-commit.
- :mod:`.rules`: tests run, scanners can fail the build, protos are checked for drift,
  actions are pinned.
- :mod:`.locks`: manifests locked (workspace roots included) and requirements pinned.

No pytest here.
"""

from .commands import Command, Sources, resolve
from .locks import (
    DEPENDENCY_RULES,
    MANIFESTS,
    Locked,
    declares_dependencies,
    dependency_findings,
    manifest_locks,
    unpinned_requirements,
)
from .pipelines import Pipeline, Step, load_pipeline, load_pipelines, parse_github, parse_gitlab
from .rules import (
    SECURITY_SCAN_RULES,
    Use,
    action_pin_findings,
    cannot_fail_reason,
    home,
    proto_sync_findings,
    proto_sync_steps,
    proto_sync_uses,
    scanner_name,
    scanner_steps,
    scanner_uses,
    security_scan_findings,
    test_steps,
    test_uses,
    tests_run_findings,
    update_bots,
)

__all__ = [
    "DEPENDENCY_RULES", "MANIFESTS", "SECURITY_SCAN_RULES", "Command", "Locked", "Pipeline",
    "Sources", "Step", "Use", "action_pin_findings", "cannot_fail_reason",
    "declares_dependencies", "dependency_findings", "home", "load_pipeline", "load_pipelines",
    "manifest_locks", "parse_github", "parse_gitlab", "proto_sync_findings",
    "proto_sync_steps", "proto_sync_uses", "resolve", "scanner_name", "scanner_steps",
    "scanner_uses", "security_scan_findings", "test_steps", "test_uses", "tests_run_findings",
    "unpinned_requirements", "update_bots",
]
