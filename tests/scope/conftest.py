"""The scope model: small trees, each pinning one reason a file is (or is not) production."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_readiness.plumbing import tree
from pytest_readiness.plumbing.scope import Scope, ScopeSpec
from tests.deploy.conftest import planted_password, run_suite, write_tree

__all__ = ["planted_password", "run_suite", "scope_of", "write_tree"]


def scope_of(root: Path, files: dict[str, str], spec: ScopeSpec | None = None) -> Scope:
    """Write the tree and model its roles."""
    write_tree(root, files)
    return Scope(root, tree.inventory(root).files, spec)


@pytest.fixture
def scoped(tmp_path: Path):
    def build(files: dict[str, str], spec: ScopeSpec | None = None) -> Scope:
        return scope_of(tmp_path, files, spec)
    return build
