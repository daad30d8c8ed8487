"""CI dependency locks: each lock file beside its manifest, workspace roots' locks for their
members (npm / yarn / pnpm / bun, uv / poetry, Cargo, go.work), manifests with nothing to
lock, exact pins without a lock, requirement pins."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.plumbing import tree
from pytest_readiness.probes.deployment import ci
from pytest_readiness.probes.deployment.ci.locks import glob_match
from tests.deploy.conftest import write_tree


def test_lock_files_and_requirement_pins(tmp_path: Path) -> None:
    inventory = tree.inventory(write_tree(tmp_path, {
        "api/pyproject.toml": "[project]\nname='api'\ndependencies = ['httpx']\n",
        "api/uv.lock": "",
        "worker/requirements.txt": "# pinned\nrequests==2.32.3\nflask>=3\n-r base.txt\n"
                                   "pydantic[email]==2.8.0  # ok\nuvicorn\n",
        "worker/pyproject.toml": "[project]\nname='w'\n",
        "web/package.json": '{"dependencies": {"react": "^18.3.1"}}',
        "docs/package.json": "{}",
        "tool/go.mod": "module x\n\ngo 1.22\n",
        "svc/go.mod": "module y\n\nrequire github.com/a/b v1.0.0\n",
        "hashed/requirements.txt": "flask>=3 --hash=sha256:abc\n",
    }))
    located, locks = ci.dependency_findings(inventory)
    assert locks == ["api/uv.lock"]
    assert sorted((f.file, f.line, f.message) for f in located) == [
        ("svc/go.mod", None, "go dependencies in svc/go.mod have no lock file (go.sum)"),
        ("web/package.json", None, "node dependencies in web/package.json have no lock file "
                                   "(package-lock.json / yarn.lock / pnpm-lock.yaml)"),
        ("worker/requirements.txt", 3, "flask>=3 is not pinned with =="),
        ("worker/requirements.txt", 6, "uvicorn is not pinned with =="),
    ]


@given(st.text(alphabet="abcxyz-_", min_size=1, max_size=12),
       st.sampled_from(["==1.0", "===2", ">=1", "~=1.2", "", "<3"]))
def test_requirement_pin_rule(name: str, spec: str) -> None:
    found = ci.unpinned_requirements(f"{name}{spec}\n", "requirements.txt")
    if name.startswith("-"):
        assert found == []
    else:
        assert (found == []) == spec.startswith("==")


@pytest.mark.parametrize(("manifest", "text", "lock"), [
    ("package.json", '{"dependencies": {"a": "^1"}}', "package-lock.json"),
    ("package.json", '{"dependencies": {"a": "^1"}}', "yarn.lock"),
    ("package.json", '{"dependencies": {"a": "^1"}}', "pnpm-lock.yaml"),
    ("package.json", '{"dependencies": {"a": "^1"}}', "bun.lock"),
    ("package.json", '{"dependencies": {"a": "^1"}}', "bun.lockb"),
    ("pyproject.toml", "[project]\ndependencies = ['a>=1']\n", "uv.lock"),
    ("pyproject.toml", "[tool.poetry.dependencies]\npython = '^3.12'\na = '^1'\n",
     "poetry.lock"),
    ("pyproject.toml", "[project]\ndependencies = ['a>=1']\n", "pdm.lock"),
    ("Pipfile", "[packages]\na = '*'\n", "Pipfile.lock"),
    ("Cargo.toml", "[package]\nname = 'a'\n[dependencies]\nserde = '1'\n", "Cargo.lock"),
    ("go.mod", "module a\nrequire b v1.0.0\n", "go.sum"),
    ("Gemfile", "gem 'rails'\n", "Gemfile.lock"),
    ("composer.json", '{"require": {"slim/slim": "^4.0"}}', "composer.lock"),
])
def test_each_lock_file_locks_its_manifest(tmp_path: Path, manifest: str, text: str,
                                           lock: str) -> None:
    found, locks = ci.dependency_findings(tree.inventory(write_tree(tmp_path, {
        f"app/{manifest}": text, f"app/{lock}": "x"})))
    assert (found, locks) == ([], [f"app/{lock}"])
    [missing], _ = ci.dependency_findings(tree.inventory(write_tree(tmp_path / "bare", {
        f"app/{manifest}": text})))
    assert (missing.rule, missing.file, missing.level) == ("no-lockfile", f"app/{manifest}",
                                                           "error")


@pytest.mark.parametrize(("files", "members"), [
    ({"package.json": '{"workspaces": ["frontend", "packages/*"]}', "bun.lock": "{}"},
     {"frontend/package.json": ("bun.lock", "package.json"),
      "packages/mail/package.json": ("bun.lock", "package.json")}),
    ({"package.json": '{"private": true, "workspaces": {"packages": ["packages/**"]}}',
      "yarn.lock": ""},
     {"frontend/package.json": (None, ""),
      "packages/mail/package.json": ("yarn.lock", "package.json")}),
    ({"pnpm-workspace.yaml": "packages:\n  - 'frontend'\n  - 'packages/*'\n  - '!packages/mail'"
                             "\n", "pnpm-lock.yaml": ""},
     {"frontend/package.json": ("pnpm-lock.yaml", "pnpm-workspace.yaml"),
      "packages/mail/package.json": (None, "")}),
])
def test_node_workspace_members_are_locked_by_the_root(
        tmp_path: Path, files: dict[str, str], members: dict[str, tuple[str | None, str]]
) -> None:
    dependency = '{"dependencies": {"react": "^18.3.1"}}'
    inventory = tree.inventory(write_tree(tmp_path, {
        **files, "frontend/package.json": dependency, "packages/mail/package.json": dependency,
        "docs/package.json": dependency}))
    locked = {e.manifest: (e.lock, e.member_of) for e in ci.manifest_locks(inventory)}
    assert locked == {**members, "docs/package.json": (None, "")}
    found, _ = ci.dependency_findings(inventory)
    assert sorted(str(f.file) for f in found) == sorted(m for m, (lock, _) in locked.items()
                                                   if lock is None)


def test_python_rust_and_go_workspaces(tmp_path: Path) -> None:
    inventory = tree.inventory(write_tree(tmp_path, {
        "pyproject.toml": "[dependency-groups]\ndev = ['ruff']\n[tool.uv.workspace]\n"
                          "members = ['backend', 'libs/*']\nexclude = ['libs/legacy']\n",
        "uv.lock": "version = 1\n",
        "backend/pyproject.toml": "[project]\nname = 'b'\ndependencies = ['fastapi']\n",
        "libs/core/pyproject.toml": "[project]\nname = 'c'\ndependencies = ['httpx']\n",
        "libs/legacy/pyproject.toml": "[project]\nname = 'l'\ndependencies = ['six']\n",
        "tools/pyproject.toml": "[tool.ruff]\nline-length = 100\n",
        "app/pyproject.toml": "[tool.poetry.dependencies]\npython = '^3.12'\n"
                              "shared = {path = '../shared', develop = true}\n",
        "app/poetry.lock": "",
        "Cargo.toml": "[workspace]\nmembers = ['crates/*']\n",
        "Cargo.lock": "",
        "crates/api/Cargo.toml": "[package]\nname = 'api'\n[dependencies]\ntokio = '1'\n",
        "go.work": "go 1.22\n\nuse (\n\t./svc\n)\n",
        "go.work.sum": "",
        "svc/go.mod": "module svc\nrequire x v1.0.0\n",
    }))
    locked = {e.manifest: (e.lock, e.member_of) for e in ci.manifest_locks(inventory)}
    assert locked == {
        "pyproject.toml": ("uv.lock", ""),
        "backend/pyproject.toml": ("uv.lock", "pyproject.toml"),
        "libs/core/pyproject.toml": ("uv.lock", "pyproject.toml"),
        "libs/legacy/pyproject.toml": (None, ""),
        "app/pyproject.toml": ("app/poetry.lock", ""),
        "crates/api/Cargo.toml": ("Cargo.lock", "Cargo.toml"),
        "svc/go.mod": ("go.work.sum", "go.work"),
    }, "tools/pyproject.toml declares no dependencies: nothing to lock"
    found, _ = ci.dependency_findings(inventory)
    assert [(f.file, f.level) for f in found] == [("libs/legacy/pyproject.toml", "error")]


def test_poetry_path_dependency_is_locked_by_the_root(tmp_path: Path) -> None:
    inventory = tree.inventory(write_tree(tmp_path, {
        "pyproject.toml": "[tool.poetry.dependencies]\npython = '^3.12'\n"
                          "shared = {path = 'shared', develop = true}\n",
        "poetry.lock": "",
        "shared/pyproject.toml": "[tool.poetry.dependencies]\nrequests = '^2'\n"}))
    assert [(e.manifest, e.lock) for e in ci.manifest_locks(inventory)] == [
        ("pyproject.toml", "poetry.lock"), ("shared/pyproject.toml", "poetry.lock")]


def test_exact_pins_without_lock_and_unreadable_workspace(tmp_path: Path) -> None:
    inventory = tree.inventory(write_tree(tmp_path, {
        "quote/composer.json": '{"require": {"php": ">= 8.3", "ext-json": "*", '
                               '"slim/slim": "4.15.2", "react/http": "v1.11.0"}}',
        "web/package.json": '{"dependencies": {"react": "18.3.1", "ui": "workspace:*"}}',
        "loose/composer.json": '{"require": {"slim/slim": "^4.0"}}',
        "pyproject.toml": "[tool.uv.workspace\nmembers = ['api']\n",
        "uv.lock": "",
        "api/pyproject.toml": "[project]\ndependencies = ['httpx']\n"}))
    found, _ = ci.dependency_findings(inventory)
    assert sorted((f.file, f.level) for f in found) == [
        ("api/pyproject.toml", "warning"), ("loose/composer.json", "error"),
        ("quote/composer.json", "note"), ("web/package.json", "note")]
    [unreadable] = [f for f in found if f.level == "warning"]
    assert "whether uv.lock covers it cannot be told" in unreadable.message


@given(st.sampled_from(["", "packages/", "a/b/"]), st.text(alphabet="abc-", min_size=1,
                                                              max_size=6))
def test_workspace_glob(prefix: str, name: str) -> None:
    path = prefix + name
    assert glob_match(path, path) and glob_match(path, "./" + path + "/")
    assert glob_match(path, prefix + "*") and glob_match(path, "**")
    assert glob_match(path + "/x", prefix + "*") is False
    assert glob_match("z/" + path, "*/" + prefix + "*") is (prefix.count("/") == 0 or
                                                              glob_match("z/" + path, "**"))
