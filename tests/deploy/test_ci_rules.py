"""CI rules: GitHub and GitLab pipelines parsed into steps; scanners that cannot fail; pins."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.plumbing import tree
from pytest_readiness.plumbing.yamlpos import ParseError, load
from pytest_readiness.probes.deployment import ci
from tests.deploy.conftest import write_tree


def github(text: str) -> ci.Pipeline:
    return ci.parse_github(load(textwrap.dedent(text).lstrip("\n"), "ci.yml"), "ci.yml")


def gitlab(text: str) -> ci.Pipeline:
    return ci.parse_gitlab(load(textwrap.dedent(text).lstrip("\n"), ".gitlab-ci.yml"),
                           ".gitlab-ci.yml")


WORKFLOW = """
    name: ci
    on: [push, pull_request]
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - uses: actions/setup-python@0a5c61591373683505ea898e09a3ea4f39ef2b9c
          - run: pip install -r requirements.txt
          - run: python -m pytest -q
      scan:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@main
          - name: secrets
            run: gitleaks detect --source .
          - name: image
            run: trivy image shop/api:1.0
          - name: bandit
            run: bandit -r app || true
          - uses: aquasecurity/trivy-action@0.24.0
            with: {image-ref: "shop/api:1.0", exit-code: "1"}
          - uses: github/codeql-action/analyze@v3
            continue-on-error: true
    """


def test_github_steps_and_which_can_fail() -> None:
    p = github(WORKFLOW)
    assert [(s.job, s.line) for s in ci.test_steps([p])] == [("test", 10)]
    reasons = {ci.scanner_name(s): (s.line, ci.cannot_fail_reason(s))
               for s in ci.scanner_steps([p])}
    assert reasons == {
        "gitleaks": (15, None),
        "trivy": (17, "trivy exits 0 on findings unless --exit-code 1"),
        "bandit": (19, "its exit status is swallowed (|| true)"),
        "aquasecurity/trivy-action": (21, None),
        "github/codeql-action/analyze": (23, "continue-on-error / allow_failure is set"),
    }
    assert [(f.line, f.message) for f in ci.action_pin_findings([p])] == [
        (14, "action actions/checkout@main follows a branch: pin a release tag or a commit SHA")]


@pytest.mark.parametrize(("run", "reason"), [
    ("semgrep scan --config auto", "semgrep scan exits 0 on findings unless --error"),
    ("semgrep ci", None),
    ("semgrep scan --error", None),
    ("bandit -r . --exit-zero", "its exit status is swallowed (--exit-zero)"),
    ("pip-audit -r requirements.txt; true", "its exit status is swallowed (; true)"),
    ("trivy fs --exit-code 1 .", None),
    ("grype dir:. --fail-on high", None),
    ("grype dir:.", "grype exits 0 on findings unless --fail-on"),
])
def test_scanner_exit_status_near_misses(run: str, reason: str | None) -> None:
    assert ci.cannot_fail_reason(ci.Step("f", "j", 1, run=run)) == reason


def test_gitlab_jobs_templates_extends_and_allow_failure() -> None:
    p = gitlab("""
        include:
          - template: Security/SAST.gitlab-ci.yml
        stages: [test]
        .python:
          image: python:3.12
          before_script: [pip install -r requirements.txt]
        unit:
          extends: .python
          script:
            - pytest
        audit:
          extends: .python
          allow_failure: true
          script: [pip-audit]
        """)
    assert p.includes == [("Security/SAST.gitlab-ci.yml", 2)]
    assert [(s.job, s.run, s.line) for s in p.steps] == [
        ("unit", "pip install -r requirements.txt", 6), ("unit", "pytest", 10),
        ("audit", "pip install -r requirements.txt", 6), ("audit", "pip-audit", 14)]
    [scanner] = ci.scanner_steps([p])
    assert ci.cannot_fail_reason(scanner) == "continue-on-error / allow_failure is set"


def test_proto_sync_needs_a_gate() -> None:
    generate_only = github("""
        jobs:
          protos:
            steps:
              - run: python -m grpc_tools.protoc -I proto --python_out=app proto/api.proto
        """)
    assert [(f.level, f.line) for f in ci.proto_sync_findings([generate_only])] == [
        ("warning", 4)]
    gated = github("""
        jobs:
          protos:
            steps:
              - run: python -m grpc_tools.protoc -I proto --python_out=app proto/api.proto
              - run: git diff --exit-code
        """)
    assert ci.proto_sync_findings([gated]) == []
    buf = github("jobs: {lint: {steps: [{uses: bufbuild/buf-action@v1}, {run: buf breaking "
                 "--against .git#branch=main}]}}")
    assert ci.proto_sync_findings([buf]) == []
    nothing = github("jobs: {t: {steps: [{run: pytest}]}}")
    assert [f.message for f in ci.proto_sync_findings([nothing])] == [
        "no CI step compiles or checks the .proto files (protoc / buf / a proto sync script)"]


def test_action_pins_docker_and_local() -> None:
    p = github("""
        jobs:
          a:
            steps:
              - uses: ./.github/actions/setup
              - uses: docker://alpine
              - uses: docker://alpine:3.20
              - uses: some/action
              - uses: some/action@v1.2.3
            """)
    assert [(f.line, f.message) for f in ci.action_pin_findings([p])] == [
        (5, "docker://alpine is not pinned to a tag"), (7, "action some/action has no version")]


@pytest.mark.parametrize(("text", "line", "problem"), [
    ("on: push\n", 1, "a GitHub workflow needs a 'jobs' mapping"),
    ("jobs:\n  a:\n    steps:\n      - run: [\n", 5, None),
    ("jobs:\n  a:\n    steps: [pytest]\n", 3, "step 1 of job 'a' must be a mapping"),
])
def test_malformed_workflow(tmp_path: Path, text: str, line: int, problem: str | None) -> None:
    write_tree(tmp_path, {".github/workflows/ci.yml": text})
    with pytest.raises(ParseError) as info:
        ci.load_pipeline(tmp_path / ".github/workflows/ci.yml", ".github/workflows/ci.yml")
    assert info.value.line == line
    if problem:
        assert info.value.problem == problem


def test_lock_files_and_requirement_pins(tmp_path: Path) -> None:
    inventory = tree.inventory(write_tree(tmp_path, {
        "api/pyproject.toml": "[project]\nname='api'\n",
        "api/uv.lock": "",
        "worker/requirements.txt": "# pinned\nrequests==2.32.3\nflask>=3\n-r base.txt\n"
                                   "pydantic[email]==2.8.0  # ok\nuvicorn\n",
        "worker/pyproject.toml": "[project]\nname='w'\n",
        "web/package.json": "{}",
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
