"""A hostile ``.git`` in the audited tree: its config never makes the audit run a program.

An unpacked archive or a checkout may carry a ``.git/config`` of its own. Before
plumbing/git.py, ``git ls-files`` (the scope of every codebase audit) ran the program
``core.fsmonitor`` names; these tests plant such a config (and hooks) and show that
nothing of it runs, that the index is left as it was, and that ``contracts.base_ref``
cannot become an option of ``git show``.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from pytest_readiness import isolation
from pytest_readiness.config import ConfigError, load_config
from pytest_readiness.plumbing import scope
from pytest_readiness.probes.deployment.contracts import proto
from tests.safety.hostile import audit

MARK = "RAN"


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.email=a@b", "-c", "user.name=a",
                    *args], check=True, capture_output=True, timeout=60)


@pytest.fixture
def hostile_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "api").mkdir(parents=True)
    (root / "api" / "orders.proto").write_text('syntax = "proto3";\nmessage O { string id = 1; }\n')
    (root / "app.py").write_text('API_KEY = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"\n')
    _git(root, "init", "-q", ".")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "one")
    _git(root, "tag", "v1")
    program = tmp_path / "program.sh"
    program.write_text(f"#!/bin/sh\nps -o args= -p $PPID >> {tmp_path / MARK}\n")
    program.chmod(0o755)
    hooks = root / ".git" / "evil-hooks"
    hooks.mkdir()
    for hook in ("post-index-change", "reference-transaction", "post-checkout"):
        (hooks / hook).write_text(program.read_text())
        (hooks / hook).chmod(0o755)
    _git(root, "config", "core.fsmonitor", str(program))
    _git(root, "config", "core.hooksPath", str(hooks))
    return root


def _index(root: Path) -> str:
    return hashlib.sha256((root / ".git" / "index").read_bytes()).hexdigest()


def test_the_planted_program_would_run_with_plain_git(hostile_repo: Path) -> None:
    """The plant works: plain ``git ls-files`` runs it (what the audit did before)."""
    subprocess.run(["git", "-C", str(hostile_repo), "ls-files"], capture_output=True,
                   timeout=60, check=False)
    assert (hostile_repo.parent / MARK).exists()


def test_git_calls_of_the_audit_run_nothing_of_the_tree(hostile_repo: Path) -> None:
    before = _index(hostile_repo)
    assert scope.git_tracked(hostile_repo) == {"api/orders.proto", "app.py"}
    text = proto.file_at_ref(hostile_repo, "api/orders.proto", "v1", 30)
    assert text is not None and "message O" in text
    assert not (hostile_repo.parent / MARK).exists()
    assert _index(hostile_repo) == before  # read-only: no index refresh written


def test_the_audit_of_a_hostile_repository_runs_nothing_of_it(hostile_repo: Path) -> None:
    (hostile_repo / "readiness.yaml").write_text(
        "system: shop\ncontracts:\n  base_ref: v1\n")
    # Plugins of this test environment that an audit's install lacks are blocked: they
    # load before any plugin can act (pytest-benchmark runs `git describe` as it starts).
    blocked = isolation.block_args(isolation.foreign_plugins())
    done = audit(hostile_repo, "--readiness-suite", "secrets", "--readiness-suite", "contracts",
                 *blocked, seconds=120)
    assert done.rc == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "secrets.hardcoded" in done.stdout
    assert not (hostile_repo.parent / MARK).exists()


@pytest.mark.parametrize("ref", ["--output=/tmp/x", "-p", "v1:other", "v1 x", "v1\x1b", ""])
def test_a_base_ref_that_is_no_ref_is_refused(tmp_path: Path, ref: str) -> None:
    path = tmp_path / "readiness.yaml"
    path.write_text(f"system: s\ncontracts:\n  base_ref: {ref!r}\n".replace("'", '"')
                    if "\x1b" not in ref else "system: s\ncontracts:\n  base_ref: \"v1\\e\"\n")
    with pytest.raises(ConfigError, match="contracts.base_ref.*is not a git ref"):
        load_config(path)
