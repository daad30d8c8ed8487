"""Checks judge production: through the plugin, findings in other files are notes, the
record and every report say each file's role and why, and ``init`` writes the scope."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from pytest_readiness import cli
from pytest_readiness.config import load_config, parse_config
from tests.scope.conftest import planted_password, write_tree

ROOT_IMAGE = "FROM python:3.12-slim\nCMD [\"python\", \"-m\", \"app\"]\n"  # no USER: root
PROD_COMPOSE = """
services:
  api:
    build: .
    restart: unless-stopped
"""
DEV_OVERLAY = """
services:
  api:
    command: ["fastapi", "dev", "--host", "0.0.0.0"]
    volumes: ["./app:/app/app"]
  playwright:
    build: {context: ., dockerfile: frontend/Dockerfile.playwright}
"""
TEST_PROJECT = """
services:
  sut:
    image: registry.example.com/app:latest
  db:
    image: postgres
"""


def _audit(pytester: pytest.Pytester, files: dict[str, str], suite: str, config: str = "",
           *args: str) -> dict:
    write_tree(pytester.path / "code", files)
    pytester.makefile(".yaml", readiness="system: t\ncodebases: [{path: code}]\n" + config)
    result = pytester.runpytest("--readiness", "--readiness-suite", suite, "--readiness-json",
                                "out.json", "-p", "no:cacheprovider", *args)
    path = pytester.path / "out.json"
    assert path.exists(), result.stdout.str()[-3000:]
    record = json.loads(path.read_text(encoding="utf-8"))
    record["stdout"] = result.stdout.str()
    return record


def _check(record: dict, check_id: str, target: str) -> dict:
    found = [c for c in record["checks"] if c["id"] == check_id and c["target"] == target]
    assert len(found) == 1, [(c["id"], c["target"]) for c in record["checks"]]
    return found[0]


def test_test_and_dev_images_give_notes_production_fails(pytester: pytest.Pytester) -> None:
    record = _audit(pytester, {"compose.yml": PROD_COMPOSE, "compose.override.yml": DEV_OVERLAY,
                               "Dockerfile": ROOT_IMAGE,
                               "frontend/Dockerfile.playwright": ROOT_IMAGE}, "dockerfile")
    assert _check(record, "dockerfile.non-root-user", "Dockerfile")["outcome"] == "fail"
    harness = _check(record, "dockerfile.non-root-user", "frontend/Dockerfile.playwright")
    assert harness["outcome"] == "pass"
    assert harness["evidence"]["role"] == "test"
    assert "Dockerfile.playwright" in harness["evidence"]["role_reason"]
    notes = harness["evidence"]["findings"]
    assert notes and all(f["level"] == "note" and f["message"].endswith("[test]")
                         for f in notes)


def test_dev_overlay_and_test_project_give_notes(pytester: pytest.Pytester) -> None:
    record = _audit(pytester, {"compose.yml": PROD_COMPOSE, "compose.override.yml": DEV_OVERLAY,
                               "docker-compose.test.yml": TEST_PROJECT,
                               "Dockerfile": ROOT_IMAGE}, "compose")
    # compose.yml alone is the production project (the dev override is not deployed)
    assert _check(record, "compose.healthcheck", "compose.yml")["outcome"] == "fail"
    for target, role in (("compose.yml+compose.override.yml", "development"),
                         ("docker-compose.test.yml", "test")):
        for check in ("compose.healthcheck", "compose.resource-limits",
                      "compose.images-pinned"):
            result = _check(record, check, target)
            assert result["outcome"] == "pass", (check, target, result["message"])
            assert result["evidence"]["role"] == role
    pinned = _check(record, "compose.images-pinned", "docker-compose.test.yml")
    assert {f["level"] for f in pinned["evidence"]["findings"]} == {"note"}


def test_production_image_in_a_test_named_directory_is_judged(pytester: pytest.Pytester) -> None:
    record = _audit(pytester, {
        "compose.yml": "services:\n  api:\n    build: ./app/test_data/api\n",
        "app/test_data/api/Dockerfile": ROOT_IMAGE}, "dockerfile")
    result = _check(record, "dockerfile.non-root-user", "app/test_data/api/Dockerfile")
    assert result["outcome"] == "fail"
    assert "role" not in result["evidence"]


def test_configured_scope_pins_roles_and_leaves_files_out(pytester: pytest.Pytester) -> None:
    config = ('scope:\n  roles: {"frontend/Dockerfile.playwright": production}\n'
              '  exclude: ["legacy/"]\n')
    record = _audit(pytester, {"Dockerfile": ROOT_IMAGE,
                               "frontend/Dockerfile.playwright": ROOT_IMAGE,
                               "legacy/Dockerfile": ROOT_IMAGE}, "dockerfile", config)
    pinned = _check(record, "dockerfile.non-root-user", "frontend/Dockerfile.playwright")
    assert pinned["outcome"] == "fail"
    assert not [c for c in record["checks"] if c["target"] == "legacy/Dockerfile"]
    assert record["scope"]["counts"]["out of scope"] == 1


def test_bad_scope_config_stops_the_run(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", readiness="scope:\n  roles: {'tools/**': tooling}\n")
    result = pytester.runpytest("--readiness", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*scope.roles.tools/[*][*]: Input should be 'production'*"])


def test_the_record_and_every_report_show_roles(pytester: pytest.Pytester) -> None:
    files = {"compose.yml": PROD_COMPOSE, "Dockerfile": ROOT_IMAGE,
             "frontend/Dockerfile.playwright": ROOT_IMAGE, "tests/test_app.py": "x = 1\n"}
    record = _audit(pytester, files, "dockerfile", "", "--readiness-report", "out.md",
                    "--readiness-html", "out.html", "--readiness-sarif", "out.sarif",
                    "--readiness-prometheus", "out.prom")
    scope = record["scope"]
    assert scope["counts"]["test"] == 2 and scope["counts"]["production"] == 2
    roles = {f["file"]: (f["role"], f["reason"]) for f in scope["files"]}
    assert roles["frontend/Dockerfile.playwright"][0] == "test"
    assert roles["Dockerfile"][0] == "production"
    assert "scope: 2 production, 2 test; 1 file(s) with findings are not production" \
        in record["stdout"]
    markdown = (pytester.path / "out.md").read_text()
    assert "## Scope: what is production" in markdown
    assert "Files by role: 2 production, 2 test. Checks judge production" in markdown
    assert "| frontend/Dockerfile.playwright | test | named for tests" in markdown
    html = (pytester.path / "out.html").read_text()
    assert 'id="scope"' in html and "Files by role: 2 production, 2 test." in html
    sarif = json.loads((pytester.path / "out.sarif").read_text())
    run = sarif["runs"][0]
    assert run["invocations"][0]["properties"]["filesByRole"]["test"] == 2
    by_file = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]:
               r["properties"].get("role") for r in run["results"]}
    assert by_file["frontend/Dockerfile.playwright"] == "test"
    assert 'readiness_scope_files{role="test",system="t"} 2.0' in \
        (pytester.path / "out.prom").read_text()


def test_no_scope_section_without_a_codebase_check(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", readiness="system: t\n")
    pytester.runpytest("--readiness", "--readiness-suite", "tls", "--readiness-json",
                       "out.json", "-p", "no:cacheprovider")
    assert "scope" not in json.loads((pytester.path / "out.json").read_text())


# --- code findings in files that are not production ---------------------------------------

def test_secrets_in_generated_and_vendored_code_are_notes(pytester: pytest.Pytester) -> None:
    key = f'API_KEY = "{planted_password()}{planted_password()}"\n'
    record = _audit(pytester, {"app/settings.py": key, "api/service_pb2.py": key,
                               "static/vendor/lib.min.js": key.replace("API_KEY", "var k"),
                               ".env.example": f"DB_PASSWORD={planted_password()}\n"},
                    "secrets")
    found = {f["file"]: f["level"] for f in
             _check(record, "secrets.hardcoded", "code")["evidence"]["findings"]}
    assert found["app/settings.py"] == "error"
    assert found["api/service_pb2.py"] == "note"
    assert found.get("static/vendor/lib.min.js", "note") == "note"
    # A real value in a template is what secrets.template-values audits: still an error.
    assert _check(record, "secrets.template-values", "code")["outcome"] == "fail"


# --- git-aware facts: file modes and committed .env files ---------------------------------

def _git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)


def test_modes_of_an_unpacked_archive_are_notes(pytester: pytest.Pytester) -> None:
    files = {".gitignore": "*.pyc\n", ".env": "PORT=8000\n", "signing.key": "k\n"}
    write_tree(pytester.path / "code", files)
    for name in (".env", "signing.key"):
        os.chmod(pytester.path / "code" / name, 0o664)
    record = _audit(pytester, {}, "files")
    result = _check(record, "files.secret-file-mode", "code")
    assert result["outcome"] == "pass"
    assert result["evidence"]["files_from"] == "archive"
    assert {f["level"] for f in result["evidence"]["findings"]} == {"note"}
    assert all("umask" in f["message"] for f in result["evidence"]["findings"])


def test_tracked_mode_is_a_note_untracked_mode_fails(pytester: pytest.Pytester) -> None:
    write_tree(pytester.path / "code", {"tracked.key": "k\n", "deploy.key": "k\n"})
    root = pytester.path / "code"
    _git(root, "init", "-q")
    _git(root, "add", "tracked.key")
    for name in ("tracked.key", "deploy.key"):
        os.chmod(root / name, 0o644)
    record = _audit(pytester, {}, "files")
    result = _check(record, "files.secret-file-mode", "code")
    assert result["outcome"] == "fail"
    levels = {f["file"]: f["level"] for f in result["evidence"]["findings"]}
    assert levels == {"tracked.key": "note", "deploy.key": "error"}
    assert result["message"] == "secret files open to others: deploy.key (0644)"


@pytest.mark.parametrize(("env", "outcome", "levels"), [
    # Placeholders say they are to be replaced: notes (a value spelling its own name too).
    ("SECRET_KEY=changethis\nPOSTGRES_PASSWORD=changethis\nSMTP_PASSWORD=\nPORT=8000\n"
     "POSTGRES_ASTRONOMY_PASSWORD=astronomy_password\n", "pass", ["note", "note", "note"]),
    # A well-known default and a low-entropy value that is no placeholder: warnings.
    ("REDIS_PASSWORD=postgres\nDB_PASSWORD=abab\n", "warn", ["warning", "warning"]),
    ("FLAGD_IMAGE=ghcr.io/open-feature/flagd:v0.16.0\nFRONTEND_PORT=8080\nDEBUG=false\n",
     "pass", ["note"]),
    ("# nothing set\n", "pass", []),
    ("DB_PASSWORD={real}\nREDIS_PASSWORD=postgres\n", "fail", ["error", "warning"]),
])
def test_committed_env_file_judged_by_what_it_holds(pytester: pytest.Pytester, env: str,
                                                    outcome: str, levels: list[str]) -> None:
    record = _audit(pytester, {".env": env.format(real=planted_password())}, "secrets")
    result = _check(record, "secrets.env-committed", "code")
    assert result["outcome"] == outcome, result["message"]
    assert [f["level"] for f in result["evidence"].get("findings", [])] == levels
    assert "changethis" not in result["message"]  # values are shown redacted


def test_env_file_git_does_not_track_is_a_note(pytester: pytest.Pytester) -> None:
    root = pytester.path / "code"
    write_tree(root, {".env": f"DB_PASSWORD={planted_password()}\n", "app.py": "x = 1\n"})
    _git(root, "init", "-q")
    _git(root, "add", "app.py")
    record = _audit(pytester, {}, "secrets")
    result = _check(record, "secrets.env-committed", "code")
    assert result["outcome"] == "pass"
    assert [f["level"] for f in result["evidence"]["findings"]] == ["note"]


# --- init -----------------------------------------------------------------------------------

def test_init_writes_the_inferred_scope_and_it_loads(tmp_path: Path) -> None:
    write_tree(tmp_path, {"compose.yml": PROD_COMPOSE, "compose.override.yml": DEV_OVERLAY,
                          "Dockerfile": ROOT_IMAGE, "frontend/Dockerfile.playwright": ROOT_IMAGE,
                          "tests/test_app.py": "x = 1\n", "api/x_pb2.py": "x = 1\n"})
    assert cli.main(["init", str(tmp_path)]) == 0
    text = (tmp_path / "readiness.yaml").read_text()
    load_config(tmp_path / "readiness.yaml")
    start = text.index("# scope:")
    block = text[start:text.index("#   exclude: []", start) + len("#   exclude: []")]
    assert '"/compose.override.yml": development  # a compose overlay' in block
    assert '"frontend/Dockerfile.playwright": test' in block
    assert '"/tests/": test' in block and '"api/x_pb2.py": generated' in block
    uncommented = "\n".join(line.removeprefix("# ") for line in block.splitlines())
    config = parse_config(uncommented)
    assert str(config.scope.roles["/compose.override.yml"]) == "development"


RUNBOOK = ("# Backup and restore\n\n## Backup\n\nA timer runs `scripts/backup.sh` nightly.\n\n"
           "## Restore\n\n1. Restore a dump: `scripts/{script}.sh /var/backups/x`.\n")


def test_an_examples_runbook_is_not_the_projects(pytester: pytest.Pytester) -> None:
    """A script missing for an example's runbook is a note; for the project's own, a fail."""
    files = {"scripts/backup.sh": "#!/bin/sh\n",
             "examples/demo/docs/backup-restore.md": RUNBOOK.format(script="demo-restore")}
    example_only = _audit(pytester, files, "ops")
    result = _check(example_only, "ops.doc-scripts-exist", "code")
    assert result["outcome"] == "pass", result["message"]
    assert {f["level"] for f in result["evidence"]["findings"]} == {"note"}
    files["docs/backup-restore.md"] = RUNBOOK.format(script="restore")
    both = _audit(pytester, files, "ops")
    result = _check(both, "ops.doc-scripts-exist", "code")
    assert result["outcome"] == "fail", result["message"]
    errors = [f for f in result["evidence"]["findings"] if f["level"] != "note"]
    assert [f["file"] for f in errors] == ["docs/backup-restore.md"]
