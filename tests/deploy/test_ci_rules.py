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
    assert [(f.file, f.message) for f in ci.proto_sync_findings([nothing])] == [
        ("ci.yml", "no step in ci.yml (1 workflow, all jobs read) compiles or checks the "
                   ".proto files (protoc / buf / a proto sync script)")]


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


# --- the pipelines as a whole, and what steps run down into the tree -----------------------


def load_tree(root: Path, files: dict[str, str], only: tuple[str, ...] = ()
              ) -> list[ci.Pipeline]:
    """The tree's workflows (or only those named, as readiness.yaml ``workflows:`` would),
    loaded with what they call followed."""
    inventory = tree.inventory(write_tree(root, files))
    named = [f for f in inventory.workflows if not only or f.rel in only]
    return ci.load_pipelines([(f.path, f.rel) for f in named], inventory)


def workflow(*steps: str, job: str = "ci", extra: str = "") -> str:
    body = "".join(f"\n      - {step}" for step in steps)
    return f"on: push\njobs:\n  {job}:\n    runs-on: ubuntu-latest{extra}\n    steps:{body}\n"


def test_every_workflow_is_read_and_no_tests_is_attached_to_the_directory(
        tmp_path: Path) -> None:
    files = {".github/workflows/a-lint.yml": workflow("run: ruff check ."),
             ".github/workflows/b-docs.yml": workflow("run: mkdocs build")}
    [missing] = ci.tests_run_findings(load_tree(tmp_path / "none", files))
    assert (missing.file, missing.line, missing.level) == (".github/workflows", None, "error")
    assert missing.message.startswith("no step in .github/workflows (2 workflows, all jobs "
                                      "read) runs the tests")
    files[".github/workflows/z-test.yml"] = workflow("run: pytest -q")
    found = load_tree(tmp_path / "last", files)
    assert ci.tests_run_findings(found) == []
    assert [u.where() for u in ci.test_uses(found)] == [".github/workflows/z-test.yml:6"]


W = ".github/workflows/ci.yml"


@pytest.mark.parametrize(("step", "files", "where", "name"), [
    ("run: bash scripts/ci.sh", {"scripts/ci.sh": "#!/bin/sh\nset -e\npytest -q\n"},
     f"{W}:7 (via scripts/ci.sh:3)", "pytest"),
    ("run: ./ci", {"ci": "#!/usr/bin/env bash\n# all checks\ngo test ./...\n"},
     f"{W}:7 (via ci:3)", "go test"),
    ("run: uv run python tools/check.py", {"tools/check.py": "import subprocess\n"
                                          "subprocess.run(['pytest', '-q'], check=True)\n"},
     f"{W}:7 (via tools/check.py:2)", "pytest"),
    ("run: make ci", {"Makefile": "ci: lint unit\nlint:\n\truff check .\nunit:\n"
                                  "\t@python -m pytest\n"}, f"{W}:7 (via Makefile:5)",
     "pytest"),
    ("run: make -C backend", {"backend/Makefile": ".PHONY: all\nall: build\n\tnpm run x\n"
                                                  "build:\n\t$(MAKE) verify\nverify:\n"
                                                  "\tcargo test\n"},
     f"{W}:7 (via backend/Makefile:7)", "cargo test"),
    ("run: make", {"Makefile": "include mk/*.mk\ninclude mk/test.mk\nall: test\n",
                   "mk/test.mk": "test:\n\tgo test ./...\n"},
     f"{W}:7 (via mk/test.mk:2)", "go test"),
    ("run: just ci", {"justfile": "set shell := ['bash']\nalias c := ci\n\nci: build\n"
                                  "    @vitest run\nbuild:\n    echo\n"},
     f"{W}:7 (via justfile:5)", "vitest"),
    ("run: npm run ci", {"package.json": '{"scripts": {"ci": "npm run lint && npm run unit",'
                                         ' "lint": "eslint .", "unit": "jest --ci"}}'},
     f"{W}:7 (via package.json:1)", "jest"),
    ("run: pnpm --filter web run verify", {"web/package.json": '{"name": "web", "scripts": '
                                           '{"verify": "vitest run"}}'},
     f"{W}:7 (via web/package.json:1)", "vitest"),
    ("run: bun run --filter frontend check", {"frontend/package.json": '{"name": "frontend",'
                                              ' "scripts": {"check": "playwright test"}}'},
     f"{W}:7 (via frontend/package.json:1)", "playwright test"),
    ("run: nox -s ci", {"noxfile.py": "import nox\n\n@nox.session(name='ci')\n"
                                      "def run_all(session):\n    session.install('.')\n"
                                      "    session.run('pytest', '-q')\n"},
     f"{W}:7 (via noxfile.py:6)", "pytest"),
    ("run: python manage.py test --parallel", {}, f"{W}:7", "manage.py test"),
    ("run: make run-telemetry-tests", {}, f"{W}:7", "make run-telemetry-tests"),
    ("run: ./test.sh", {"test.sh": "#!/bin/bash\ndocker compose run app\n"}, f"{W}:7",
     "./test.sh"),
    ("uses: ./.github/actions/check", {".github/actions/check/action.yml": "runs:\n  using: "
                                       "composite\n  steps:\n    - run: ctest --output-on-"
                                       "failure\n      shell: bash\n"},
     ".github/actions/check/action.yml:4", "ctest"),
])
def test_what_a_step_runs_is_followed_into_the_tree(tmp_path: Path, step: str,
                                                     files: dict[str, str], where: str,
                                                     name: str) -> None:
    found = load_tree(tmp_path, {W: workflow("uses: actions/checkout@v4", step), **files})
    assert [(u.where(), u.name) for u in ci.test_uses(found)] == [(where, name)]
    assert ci.tests_run_findings(found) == []


TOX_INI = ("[tox]\nenvlist = py312\n\n[testenv]\ncommands =\n    stestr run {posargs}\n\n"
           "[testenv:lint]\ncommands = ruff check .\n\n[testenv:audit]\n"
           "commands = pip-audit -r requirements.txt\n")


@pytest.mark.parametrize(("step", "files", "uses"), [
    ("run: tox -e lint,py312", {"tox.ini": TOX_INI}, [(f"{W}:6", "tox")]),
    ("run: uvx tox", {"tox.ini": TOX_INI}, [(f"{W}:6", "tox")]),
    ("run: tox -e lint", {"tox.ini": TOX_INI}, []),
    ("run: uvx tox -e audit", {"tox.ini": TOX_INI}, []),
    ("run: tox -e lint", {}, [(f"{W}:6", "tox")]),  # not in the tree: the runner's name
    ("run: tox -e lint", {"pyproject.toml": "[tool.tox]\nenv_list = ['py']\n"
                                            "[tool.tox.env_run_base]\ncommands = [['pytest']]\n"
                                            "[tool.tox.env.lint]\ncommands = [['ruff']]\n"}, []),
    ("run: nox -s docs", {"noxfile.py": "import nox\n@nox.session\ndef docs(session):\n"
                                        "    session.run('sphinx-build', 'docs', 'out')\n"}, []),
])
def test_tox_and_nox_count_by_the_env_they_run(tmp_path: Path, step: str, files: dict[str, str],
                                                uses: list[tuple[str, str]]) -> None:
    found = load_tree(tmp_path, {W: workflow(step), **files})
    assert [(u.where(), u.name) for u in ci.test_uses(found)] == uses


def test_working_directory_and_cd_locate_what_a_step_calls(tmp_path: Path) -> None:
    found = load_tree(tmp_path, {
        W: workflow("run: ./scripts/ci.sh", "run: cd ../web && make check-all",
                    extra="\n    defaults: {run: {working-directory: api}}"),
        "api/scripts/ci.sh": "#!/bin/sh\npytest\n",
        "web/Makefile": "check-all:\n\tjest\n",
        "scripts/ci.sh": "#!/bin/sh\necho wrong directory\n"})
    assert [u.where() for u in ci.test_uses(found)] == [f"{W}:7 (via api/scripts/ci.sh:2)",
                                                        f"{W}:8 (via web/Makefile:2)"]


def test_what_runs_decides_before_names(tmp_path: Path) -> None:
    found = load_tree(tmp_path, {
        W: workflow("{run: uv run bash scripts/tests-start.sh, working-directory: backend}"),
        "backend/scripts/tests-start.sh": "#!/usr/bin/env bash\nset -e\n"
                                          "python app/tests_pre_start.py\nbash scripts/test.sh\n",
        "backend/app/tests_pre_start.py": "print('waiting for the database')\n",
        "backend/scripts/test.sh": "#!/usr/bin/env bash\ncoverage run -m pytest tests/\n"})
    assert [(u.where(), u.name) for u in ci.test_uses(found)] == [
        (f"{W}:6 (via backend/scripts/test.sh:2)", "pytest")]


@pytest.mark.parametrize(("files", "outside"), [
    ({W: "on: push\njobs:\n  ci:\n    uses: org/shared/.github/workflows/python.yml@v2\n"},
     f"org/shared/.github/workflows/python.yml@v2 ({W}:4)"),
    ({".gitlab-ci.yml": "include:\n  - project: group/ci\n    file: python.yml\n"
                        "build:\n  script: [docker build .]\n"},
     "project: group/ci python.yml (.gitlab-ci.yml:2)"),
    ({".gitlab-ci.yml": "include:\n  - local: ci/jobs.yml\n",
      "ci/jobs.yml": "include:\n  - component: gitlab.com/org/python/test@1.0\n"},
     "component: gitlab.com/org/python/test@1.0 (ci/jobs.yml:2)"),
])
def test_nothing_found_but_run_from_outside_the_tree_cannot_tell(
        tmp_path: Path, files: dict[str, str], outside: str) -> None:
    found = load_tree(tmp_path, files)
    for finding in (ci.tests_run_findings(found)[0], ci.security_scan_findings(found)[1][0],
                    ci.proto_sync_findings(found)[0]):
        assert finding.level == "warning"
        assert finding.message.endswith(f"what runs from outside the tree cannot be read and "
                                        f"may: {outside}")


def test_local_reusable_workflow_is_read_when_not_named(tmp_path: Path) -> None:
    files = {W: "on: push\njobs:\n  call:\n    uses: ./.github/workflows/tests.yml\n",
             ".github/workflows/tests.yml": "on: workflow_call\njobs:\n  unit:\n    steps:\n"
                                           "      - run: tox\n"}
    found = load_tree(tmp_path, files, only=(W,))
    assert [(s.file, s.job) for s in ci.test_steps(found)] == [
        (".github/workflows/tests.yml", "call/unit")]
    missing = load_tree(tmp_path / "gone", {W: files[W]}, only=(W,))
    assert missing[0].unread == [f"{W}:4 ./.github/workflows/tests.yml: not in the tree"]


def test_gitlab_local_includes_extends_and_reference(tmp_path: Path) -> None:
    found = load_tree(tmp_path, {
        ".gitlab-ci.yml": "include:\n  - local: /ci/test.yml\n  - template: "
                          "Jobs/SAST.gitlab-ci.yml\n.setup:\n  script: [pip install -e .]\n",
        "ci/test.yml": ".base:\n  image: python:3.12\nunit:\n  extends: .base\n  script:\n"
                       "    - !reference [.setup, script]\n    - python -m pytest\n"
                       "manual-audit:\n  when: manual\n  script: [pip-audit]\n"})
    [pipeline] = found
    assert [(s.file, s.job, s.line, s.run) for s in pipeline.steps] == [
        ("ci/test.yml", "unit", 6, "pip install -e ."),
        ("ci/test.yml", "unit", 7, "python -m pytest"),
        ("ci/test.yml", "manual-audit", 10, "pip-audit")]
    assert pipeline.includes == [("Jobs/SAST.gitlab-ci.yml", 3)]
    assert [u.where() for u in ci.test_uses(found)] == ["ci/test.yml:7"]
    _, scans = ci.security_scan_findings(found)
    assert sorted((f.file, f.line, f.message) for f in scans) == [
        (".gitlab-ci.yml", 3, "GitLab template Jobs/SAST.gitlab-ci.yml runs with "
                              "allow_failure by default"),
        ("ci/test.yml", 10, "pip-audit runs but cannot fail the build: continue-on-error / "
                            "allow_failure is set")]


@pytest.mark.parametrize(("steps", "files", "reason"), [
    (("run: make test || true",), {"Makefile": "test:\n\tpytest\n"},
     "its exit status is swallowed (|| true)"),
    (("run: make test",), {"Makefile": "test:\n\t-pytest\n"},
     "make ignores its failure (- prefix)"),
    (("run: npm test",), {"package.json": '{"scripts": {"test": "jest; exit 0"}}'},
     "its exit status is swallowed (; exit 0)"),
    (("{id: unit, run: pytest, continue-on-error: true}",), {},
     "continue-on-error / allow_failure is set"),
    (("{id: unit, run: pytest, continue-on-error: true}",
      "{if: \"steps.unit.outcome == 'failure'\", run: exit 1}"), {}, None),
])
def test_tests_that_cannot_fail_the_build(tmp_path: Path, steps: tuple[str, ...],
                                          files: dict[str, str], reason: str | None) -> None:
    found = ci.tests_run_findings(load_tree(tmp_path, {W: workflow(*steps), **files}))
    assert [f.message for f in found] == (
        [f"tests in job ci cannot fail the build: {reason}"] if reason else [])
    assert all(f.level == "warning" for f in found)


@pytest.mark.parametrize(("step", "name"), [
    ("run: zizmor --min-severity medium .", "zizmor"),
    ("uses: gitleaks/gitleaks-action@v2", "gitleaks/gitleaks-action"),
    ("run: trivy fs --exit-code 1 --severity HIGH,CRITICAL .", "trivy"),
    ("run: grype dir:. --fail-on high", "grype"),
    ("run: pip-audit --strict", "pip-audit"),
    ("run: safety check -r requirements.txt", "safety"),
    ("run: semgrep ci", "semgrep"),
    ("run: bandit -r src -ll", "bandit"),
    ("run: npm audit --audit-level=high", "npm audit"),
    ("run: osv-scanner scan -r .", "osv-scanner"),
    ("uses: trufflesecurity/trufflehog@v3.82.6", "trufflesecurity/trufflehog"),
    ("uses: actions/dependency-review-action@v4", "actions/dependency-review-action"),
    ("uses: anchore/scan-action@v4", "anchore/scan-action"),
    ("{uses: super-linter/super-linter@v7, env: {VALIDATE_CHECKOV: 'false'}}",
     "super-linter/super-linter"),
])
def test_scanner_families_that_can_fail(tmp_path: Path, step: str, name: str) -> None:
    found = load_tree(tmp_path, {W: workflow(step)})
    scanners, findings = ci.security_scan_findings(found)
    assert [s.removeprefix(f"{W}:6 ") for s in scanners] == [name]
    assert findings == []


@pytest.mark.parametrize("step", [
    "uses: zizmorcore/zizmor-action@v0.2.0", "uses: github/codeql-action/analyze@v3",
    "uses: ossf/scorecard-action@v2.4.0"])
def test_code_scanning_uploaders_pass_with_a_note(tmp_path: Path, step: str) -> None:
    _, findings = ci.security_scan_findings(load_tree(tmp_path, {W: workflow(step)}))
    assert [(f.rule, f.level, f.line) for f in findings] == [("code-scanning", "note", 6)]


@pytest.mark.parametrize(("step", "files", "reason"), [
    ("run: make audit", {"Makefile": "audit:\n\tbandit -r . || true\n"},
     "its exit status is swallowed (|| true)"),
    ("run: tox -e security", {"tox.ini": "[tox]\nenvlist = py\n[testenv:security]\n"
                                         "commands =\n    pip-audit --no-fail\n"},
     "its exit status is swallowed (--no-fail)"),
    ("{uses: aquasecurity/trivy-action@0.28.0, with: {scan-type: fs}}", {},
     "trivy-action exits 0 on findings unless exit-code: 1"),
    ("{uses: docker/scout-action@v1, with: {command: cves}}", {},
     "docker/scout-action exits 0 on findings unless exit-code: true"),
])
def test_scanners_found_one_level_down_or_soft(tmp_path: Path, step: str,
                                               files: dict[str, str], reason: str) -> None:
    _, findings = ci.security_scan_findings(load_tree(tmp_path, {W: workflow(step), **files}))
    assert [(f.rule, f.level, f.line) for f in findings] == [("cannot-fail", "warning", 6)]
    assert findings[0].message.endswith(f"cannot fail the build: {reason}")


def test_scanner_run_by_a_nox_session_or_pre_commit(tmp_path: Path) -> None:
    found = load_tree(tmp_path, {
        W: workflow("run: nox -s audit", "uses: pre-commit/action@v3.0.1"),
        "noxfile.py": "import nox\nnox.options.sessions = ['tests']\n@nox.session\n"
                      "def audit(session):\n    session.run('pip-audit', '--strict')\n",
        ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/gitleaks/gitleaks\n"
                                  "    rev: v8.21.2\n    hooks:\n      - id: gitleaks\n"})
    scanners, findings = ci.security_scan_findings(found)
    assert scanners == [f"{W}:6 (via noxfile.py:5) pip-audit",
                        f"{W}:7 (via .pre-commit-config.yaml:1) gitleaks"]
    assert findings == []


def test_super_linter_with_its_scanners_off_is_no_scanner(tmp_path: Path) -> None:
    step = ("{uses: github/super-linter@v7, env: {VALIDATE_GITLEAKS: 'false', "
            "VALIDATE_CHECKOV: 'false'}}")
    scanners, [finding] = ci.security_scan_findings(load_tree(tmp_path, {W: workflow(step)}))
    assert (scanners, finding.rule, finding.file) == ([], "no-scanner", ".github/workflows")


@pytest.mark.parametrize(("bot_file", "text", "bot"), [
    (".github/dependabot.yml", "version: 2\nupdates: []\n", "Dependabot"),
    ("renovate.json", '{"extends": ["config:base"]}', "Renovate"),
    ("package.json", '{"renovate": {"extends": ["config:base"]}}', "Renovate"),
])
def test_dependency_update_bots(tmp_path: Path, bot_file: str, text: str, bot: str) -> None:
    files = {W: workflow("run: pytest"), bot_file: text}
    inventory = tree.inventory(write_tree(tmp_path, files))
    pipelines = ci.load_pipelines([(f.path, f.rel) for f in inventory.workflows], inventory)
    bots = ci.update_bots(inventory)
    assert bots == [(bot_file, bot)]
    scanners, [finding] = ci.security_scan_findings(pipelines, bots)
    assert scanners == [f"{bot_file} {bot}"]
    assert (finding.rule, finding.level, finding.file) == ("updates-only", "warning", bot_file)
    with_scanner = load_tree(tmp_path / "more", {W: workflow("run: pytest", "run: gitleaks "
                                                            "detect")})
    assert ci.security_scan_findings(with_scanner, bots)[1] == []


def test_proto_drift_gates_one_level_down(tmp_path: Path) -> None:
    generate = {"Makefile": "gen-protos:\n\t./gen.sh\ncheck-clean-work-tree:\n"
                            "\t@if ! git diff --quiet; then exit 1; fi\n",
                "gen.sh": "#!/bin/sh\nbuf generate proto\n"}
    gated = load_tree(tmp_path / "a", {W: workflow("run: make clean gen-protos",
                                                   "run: make check-clean-work-tree"),
                                       **generate})
    assert [u.where() for u in ci.proto_sync_uses(gated)][:1] == [f"{W}:6 (via gen.sh:2)"]
    assert ci.proto_sync_findings(gated) == []
    porcelain = load_tree(tmp_path / "b", {W: workflow(
        "run: python -m grpc_tools.protoc -I proto --python_out=. proto/a.proto",
        'run: test -z "$(git status --porcelain)"')})
    assert ci.proto_sync_findings(porcelain) == []
    other_job = load_tree(tmp_path / "c", {W: workflow("run: make gen-protos") + (
        "  drift:\n    steps:\n      - run: git diff --exit-code\n"), **generate})
    [warning] = ci.proto_sync_findings(other_job)
    assert (warning.level, warning.line) == ("warning", 6)
    swallowed = load_tree(tmp_path / "d", {W: workflow("run: make gen-protos",
                                                       "run: git diff --exit-code || true"),
                                           **generate})
    assert [f.level for f in ci.proto_sync_findings(swallowed)] == ["warning"]


def test_unfollowed_action_is_noted_not_fatal(tmp_path: Path) -> None:
    [pipeline] = load_tree(tmp_path, {W: workflow("uses: ./.github/actions/missing",
                                                  "run: pytest"),
                                      ".github/actions/bad/action.yml": "runs: ["})
    assert pipeline.unread == [f"{W}:6 ./.github/actions/missing: no action.yml in the tree"]
    assert ci.test_steps([pipeline])


@given(st.text(alphabet="\tab:=;|&#-$()@ \\\n.%!", max_size=120))
def test_entry_parsers_never_crash(text: str) -> None:
    from pytest_readiness.probes.deployment.ci import entries
    for recipes in (entries.makefile(text), entries.justfile(text), entries.tox_ini(text)[0],
                    entries.noxfile(text)[0], entries.package_scripts(text)):
        for recipe in recipes.values():
            assert all(isinstance(line, int) for line, _ in recipe.lines)
    for simple in ci.commands.words(text):
        ci.commands.invocation(simple, "")


def test_ci_suite_follows_scripts_bots_and_workspaces(run_suite) -> None:
    run = run_suite("ci", {
        ".github/workflows/push.yml": workflow("run: ./build.sh", "run: IMAGE=app ./test.sh"),
        ".github/workflows/release.yml": workflow("run: ./build.sh --push"),
        "test.sh": "#!/bin/bash\nset -e\ndocker compose run --rm app python manage.py test\n",
        "build.sh": "#!/bin/sh\ndocker build .\n",
        "renovate.json": '{"extends": ["config:recommended"]}',
        "package.json": '{"workspaces": ["web"], "devDependencies": {"vite": "5.4.1"}}',
        "package-lock.json": "{}",
        "web/package.json": '{"dependencies": {"react": "^18.3.1"}}',
    })
    tests_run = run.check("ci.tests-run")
    assert tests_run["outcome"] == "pass"
    assert tests_run["evidence"]["test_steps"] == [
        ".github/workflows/push.yml:7 (via test.sh:3) manage.py test"]
    assert tests_run["evidence"]["workflows"] == [".github/workflows/push.yml",
                                                  ".github/workflows/release.yml"]
    assert run.outcome("ci.security-scan") == "warn"
    assert run.where("ci.security-scan", "warning") == ["renovate.json:-"]
    pinned = run.check("ci.dependencies-pinned")
    assert pinned["outcome"] == "pass"
    assert pinned["evidence"]["workspace_locked"] == {
        "web/package.json": "package-lock.json (workspace package.json)"}


def test_ci_suite_no_tests_in_gitlab_names_the_pipeline(run_suite) -> None:
    run = run_suite("ci", {".gitlab-ci.yml": "build:\n  script: [docker build .]\n",
                           "Makefile": "test:\n\tpytest\n"})
    check = run.check("ci.tests-run")
    assert check["outcome"] == "fail"
    assert run.where("ci.tests-run") == [".gitlab-ci.yml:-"]
    assert "no step in .gitlab-ci.yml (1 workflow, all jobs read) runs the tests" in \
        check["message"]
