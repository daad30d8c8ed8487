"""Deployment suites through the plugin: outcomes, evidence and file:line in the record."""

from __future__ import annotations

from tests.deploy.conftest import planted_password


def test_compose_suite_outcomes_and_broken_file_is_an_error(run_suite) -> None:
    secret = planted_password()
    run = run_suite("compose", {
        "docker-compose.yml": f"""
            services:
              api:
                build: ./api
                restart: unless-stopped
                read_only: true
                cap_drop: [ALL]
                security_opt: ["no-new-privileges:true"]
                mem_limit: 256m
                cpus: 0.5
                environment:
                  API_TOKEN: {secret}
              cache:
                image: redis:7.2
                restart: always
                read_only: true
                user: "999"
                cap_drop: [ALL]
                cap_add: [SETGID]
                security_opt: ["no-new-privileges:true"]
                deploy: {{resources: {{limits: {{memory: 128M}}}}}}
                healthcheck: {{test: ["CMD", "redis-cli", "ping"]}}
            """,
        "api/Dockerfile": "FROM python:3.12-slim\nUSER app\nHEALTHCHECK CMD true\n",
        "broken/docker-compose.yml": "services:\n  a: [\n",
    })
    target = "docker-compose.yml"
    assert run.outcome("compose.healthcheck", target) == "pass"
    assert run.outcome("compose.non-root", target) == "pass"
    assert run.outcome("compose.restart-policy", target) == "pass"
    # cache has a memory limit and no CPU limit: a hardening extra, a note under baseline
    limits = run.check("compose.resource-limits", target)
    assert limits["outcome"] == "pass"
    assert [(f["level"], f["message"]) for f in limits["evidence"]["findings"]] == [
        ("note", "service cache has no CPU limit")]
    # an unexplained cap_add of a capability without power over the host: a warning
    assert run.outcome("compose.capabilities", target) == "warn"
    assert run.where("compose.capabilities", "warning", target) == ["docker-compose.yml:18"]
    check = run.check("compose.literal-secrets", target)
    assert check["outcome"] == "fail"
    assert run.where("compose.literal-secrets", target=target) == ["docker-compose.yml:11"]
    assert check["evidence"]["services"] == ["api", "cache"]
    assert secret not in run.text and secret not in run.result.stdout.str()
    broken = run.check("compose.valid", "broken/docker-compose.yml")
    assert broken["outcome"] == "fail"  # reported once, by compose.valid
    assert "broken/docker-compose.yml:3 invalid YAML" in broken["message"]
    assert run.outcome("compose.healthcheck", "broken/docker-compose.yml") == "skip"


def test_dockerfile_suite_and_inline_suppression(run_suite) -> None:
    run = run_suite("dockerfile", {
        "Dockerfile": """
            FROM python:3.12
            # readiness: ignore[dockerfile.remote-add] vendor tarball, checksum verified below
            ADD https://example.com/tool.tgz /opt/
            RUN apt-get update && apt-get install -y gcc
            HEALTHCHECK CMD curl -f https://localhost:8000/health
            CMD ["uvicorn", "a:app", "--port", "8000"]
            """,
        "junk/Dockerfile": "FROM a:1\nplease build me\n",
    })
    assert run.outcome("dockerfile.no-remote-add", "Dockerfile") == "pass"
    suppressed = run.check("dockerfile.no-remote-add", "Dockerfile")["evidence"]["suppressed"]
    assert suppressed == [{"rule": "dockerfile.no-remote-add", "file": "Dockerfile", "line": 3,
                           "reason": "vendor tarball, checksum verified below", "by": "inline"}]
    assert run.outcome("dockerfile.non-root-user", "Dockerfile") == "fail"
    assert run.where("dockerfile.multi-stage", target="Dockerfile") == ["Dockerfile:4"]
    health = run.check("dockerfile.healthcheck", "Dockerfile")
    assert health["outcome"] == "fail"
    assert "HEALTHCHECK probes https but the app serves http" in health["message"]
    assert health["evidence"]["app_protocol"] == "http"
    assert run.outcome("dockerfile.base-pinned", "Dockerfile") == "pass"
    junk = run.check("dockerfile.base-pinned", "junk/Dockerfile")
    assert junk["outcome"] == "error"
    assert junk["message"].endswith("junk/Dockerfile:2: unknown instruction")


PROTO = ('syntax = "proto3";\npackage shop;\n'
         'message Order {\n  string id = 1;\n  int64 cents = 2;\n}\n')


def test_contracts_suite_groups_history_and_env(run_suite, pytester) -> None:
    import subprocess

    code = pytester.path / "code"
    code.mkdir()
    (code / "api.proto").write_text(PROTO)
    git = ["git", "-C", str(code), "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True, timeout=30)
    subprocess.run([*git, "add", "."], check=True, timeout=30)
    subprocess.run([*git, "commit", "-qm", "v1"], check=True, timeout=30)
    run = run_suite("contracts", {
        "api.proto": PROTO.replace("int64 cents = 2;", "int64 cents = 3;"),
        "agent/api.proto": PROTO.replace("int64 cents", "int32 cents"),
        "broken/api.proto": "syntax = 'proto3';\nmessage {\n",
        "app.py": 'import os\nDB = os.environ["DATABASE_URL"]\nKEY = os.getenv("API_KEY")\n',
        "docker-compose.yml": """
            services:
              app:
                build: .
                environment: {DATABASE_URL: "${DATABASE_URL}", FEATURE_X: "1"}
            """,
        "Dockerfile": "FROM python:3.12-slim\n",
    }, """
        protos: [[code/api.proto, code/agent/api.proto], [code/api.proto, code/broken/api.proto]]
        contracts: {base_ref: HEAD}
        """)
    outcomes = sorted(c["outcome"] for c in run.checks if c["id"] == "contracts.proto-copies")
    assert outcomes == ["error", "fail"]
    failed = next(c for c in run.checks if c["id"] == "contracts.proto-copies"
                  and c["outcome"] == "fail")
    assert sorted(f"{f['file']}:{f['line']}" for f in failed["evidence"]["findings"]) == [
        "code/agent/api.proto:3", "code/agent/api.proto:5"]
    errored = next(c for c in run.checks if c["id"] == "contracts.proto-copies"
                   and c["outcome"] == "error")
    assert "code/broken/api.proto:2: does not compile" in errored["message"]
    assert run.outcome("contracts.proto-copies-found") == "skip"
    breaking = run.check("contracts.breaking-changes")
    assert breaking["outcome"] == "fail"
    assert run.where("contracts.breaking-changes") == ["api.proto:5"]
    assert "field shop.Order.cents was renumbered 2 -> 3" in breaking["message"]
    assert breaking["evidence"]["new_files"] == ["agent/api.proto", "broken/api.proto"]
    assert run.where("contracts.env-provided") == ["app.py:3"]
    assert run.check("contracts.env-provided")["evidence"]["missing"] == ["API_KEY"]
    assert run.outcome("contracts.env-unused") == "warn"
    assert run.where("contracts.env-unused", "warning") == ["docker-compose.yml:4"]


def test_ci_suite_scanner_that_cannot_fail_and_broken_workflow(run_suite) -> None:
    run = run_suite("ci", {
        ".github/workflows/ci.yml": """
            on: push
            jobs:
              test:
                steps:
                  - uses: actions/checkout@v4
                  - run: pytest
                  - run: semgrep scan --config auto
                  - uses: github/codeql-action/analyze@v3
                    continue-on-error: true
            """,
        "requirements.txt": "flask==3.0.3\n",
        "api.proto": 'syntax = "proto3";\nmessage A { string a = 1; }\n',
    })
    assert run.outcome("ci.tests-run") == "pass"
    scan = run.check("ci.security-scan")
    assert scan["outcome"] == "warn"
    assert run.where("ci.security-scan", "warning") == [".github/workflows/ci.yml:7",
                                                          ".github/workflows/ci.yml:8"]
    assert run.outcome("ci.proto-sync") == "fail"
    assert run.outcome("ci.dependencies-pinned") == "pass"


def test_ci_suite_malformed_workflow_is_an_error(run_suite) -> None:
    run = run_suite("ci", {".gitlab-ci.yml": "test:\n  script: [pytest\n"})
    check = run.check("ci.tests-run")
    assert check["outcome"] == "error"
    assert ".gitlab-ci.yml:3: invalid YAML" in check["message"]
    assert run.outcome("ci.dependencies-pinned") == "error"


def test_monitoring_and_operations_on_a_bare_service(run_suite) -> None:
    run = run_suite("monitoring,ops", {
        "app.py": "import logging\nfrom fastapi import FastAPI\napp = FastAPI()\n"
                  "@app.get('/')\nasync def root(): return {}\n",
        "alerts/rules.yml": "groups:\n  - name: a\n    rules:\n      - alert: Down\n"
                            "        expr: up == 0\n",
        "alertmanager.yml": "route: [\n",
        "docs/runbook.md": "# Runbook\n\nTBD\n",
        "docker-compose.yml": "services:\n  app:\n    build: .\n",
        "Dockerfile": "FROM python:3.12-slim\n",
    }, "monitoring: {alertmanager: [code/alertmanager.yml]}\n")
    assert run.outcome("monitoring.health-endpoint") == "fail"
    assert run.outcome("monitoring.metrics-endpoint") == "fail"
    assert run.outcome("monitoring.structured-logging") == "warn"
    assert run.where("monitoring.alert-rules") == ["alerts/rules.yml:4", "alerts/rules.yml:4"]
    broken = run.check("monitoring.alertmanager-routes")
    assert broken["outcome"] == "error" and "alertmanager.yml:2: invalid YAML" in broken["message"]
    assert run.outcome("monitoring.mounted-configs") == "skip"
    # system.kind is not declared: missing or stub documents warn (test_ops_kinds.py)
    runbook = run.check("ops.runbooks")
    assert runbook["outcome"] == "warn"
    assert runbook["evidence"]["document"] == "docs/runbook.md:1"
    assert run.outcome("ops.backup-restore") == "warn"
    assert run.outcome("ops.restore-tested") == "skip"
    assert run.outcome("ops.backups-scheduled") == "warn"
    assert run.where("ops.high-availability", "warning") == ["docker-compose.yml:2"]
    assert run.outcome("ops.load-balancer-config") == "skip"


def test_invalid_compose_is_reported_once_and_consumers_skip_it(run_suite) -> None:
    run = run_suite("compose,ops,contracts,monitoring", {
        "docker-compose.yml": "services:\n  api:\n    build: .\n    restart_policy: always\n",
        "Dockerfile": "FROM python:3.12-slim\n",
        "app.py": 'import os\nKEY = os.environ["API_KEY"]\n',
    })
    valid = run.check("compose.valid", "docker-compose.yml")
    assert valid["outcome"] == "fail"
    assert "docker-compose.yml:4" in valid["message"] and "restart_policy" in valid["message"]
    # every other check of the project, and the codebase-level consumers, do not repeat it
    others = [c for c in run.checks if c["outcome"] in ("fail", "error")
              and "docker-compose.yml:4" in c["message"] and c["id"] != "compose.valid"]
    assert others == []
    for check_id in ("ops.backups-scheduled", "contracts.env-provided",
                     "monitoring.mounted-configs"):
        check = run.check(check_id, "code")
        assert check["outcome"] != "error", check["message"]
        assert check["evidence"]["compose_not_read"] == [
            "docker-compose.yml not read: it does not load (docker-compose.yml:4; "
            "see compose.valid)"]


def test_dockerfile_judged_as_compose_runs_it(run_suite) -> None:
    run = run_suite("dockerfile", {
        "compose.yaml": """
            services:
              api:
                build: {context: ., dockerfile: "${API_DOCKERFILE}"}
                user: "1000:1000"
                healthcheck: {test: ["CMD", "true"]}
            """,
        ".env": "API_DOCKERFILE=api.Dockerfile\n",
        "api.Dockerfile": "FROM python:3.12-slim\nCMD [\"python\", \"-m\", \"api\"]\n",
        "docker-compose.test.yml": "services:\n  e2e:\n    build: {dockerfile: e2e.Dockerfile}\n",
        "e2e.Dockerfile": "FROM node:22\nCMD [\"npx\", \"playwright\", \"test\"]\n",
        "tools.Dockerfile": "FROM python:3.12-slim\nCMD [\"python\"]\n",
    })
    # the service (its build: interpolated from .env) sets user: and healthcheck:
    for check_id in ("dockerfile.non-root-user", "dockerfile.healthcheck"):
        check = run.check(check_id, "api.Dockerfile")
        assert check["outcome"] == "pass", check["message"]
        assert "covered_by_compose" in check["evidence"]
        assert check["evidence"]["run_by"] == ["compose.yaml: api"]
        assert [f["level"] for f in check["evidence"]["findings"]] == ["note"]
    # built only by a test project: its findings are notes
    e2e = run.check("dockerfile.non-root-user", "e2e.Dockerfile")
    assert e2e["outcome"] == "pass"
    assert e2e["evidence"]["deployed"] == "built only by non-production compose projects"
    # no compose service runs it: judged as written
    assert run.outcome("dockerfile.non-root-user", "tools.Dockerfile") == "fail"
