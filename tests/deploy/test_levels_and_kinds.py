"""Levels on real suites: a hardening extra alone never fails a service under the default
profile and fails it under restricted; organisational checks by the system's kind, kept
elsewhere, or found wherever a team keeps them."""

from __future__ import annotations

import pytest

# Everything a production reviewer asks of a compose service, and none of the hardening
# extras (cap_drop ALL, read-only root filesystem, no-new-privileges, digest pins, CPU limits).
PRODUCTION = {
    "docker-compose.yml": """
        services:
          api:
            build: ./api
            ports: ["8000:8000"]
            restart: unless-stopped
            deploy: {resources: {limits: {memory: 256M, cpus: "0.5"}}}
            depends_on: {db: {condition: service_healthy}}
          db:
            image: postgres:16.3
            user: postgres
            restart: unless-stopped
            deploy: {resources: {limits: {memory: 512M}}}  # no CPU limit: hardening
            healthcheck: {test: ["CMD", "pg_isready"]}
          worker:  # root, but nothing outside reaches it: hardening (PSS restricted)
            image: python:3.12-slim
            command: ["python", "-m", "worker"]
            restart: unless-stopped
            deploy: {resources: {limits: {memory: 256M, cpus: "0.5"}}}
            healthcheck: {test: ["CMD", "python", "-c", "import worker"]}
        """,
    "api/Dockerfile": "FROM python:3.12-slim\nUSER app\n"
                      "HEALTHCHECK CMD curl -f http://localhost:8000/health\n"
                      'CMD ["uvicorn", "app:app", "--port", "8000"]\n',
}
HARDENING = ("compose.capabilities", "compose.no-new-privileges", "compose.read-only-rootfs",
             "compose.images-pinned", "compose.resource-limits", "compose.non-root")


def test_no_hardening_extra_alone_fails_a_service_under_the_default_profile(run_suite) -> None:
    run = run_suite("compose", PRODUCTION)
    for check in HARDENING:
        result = run.check(check, "docker-compose.yml")
        assert result["outcome"] == "pass", (check, result["message"])
        assert {f["level"] for f in result["evidence"]["findings"]} == {"note"}
        assert "(baseline)" in next(iter(result["evidence"]["regraded"].values()))
    assert run.outcome("compose.healthcheck", "docker-compose.yml") == "pass"


@pytest.mark.parametrize("how", ["option", "config"])
def test_restricted_fails_the_same_tree(run_suite, how: str) -> None:
    if how == "option":
        run = run_suite("compose", PRODUCTION, "", "{path: code}", "--readiness-profile",
                        "restricted")
    else:
        run = run_suite("compose", PRODUCTION, "profile: restricted\n")
    for check in HARDENING:
        assert run.outcome(check, "docker-compose.yml") == "fail", check
    pinned = run.check("compose.images-pinned", "docker-compose.yml")
    assert "postgres:16.3 is pinned by tag, not by digest" in pinned["message"]
    assert '"profile": "restricted"' in run.text


def test_levels_override_the_profile_per_check_and_per_rule(run_suite) -> None:
    run = run_suite("compose", PRODUCTION, """
        profile: restricted
        levels:
          compose.read-only-rootfs: warning
          "compose.images-pinned:digest": note
        """)
    assert run.outcome("compose.read-only-rootfs", "docker-compose.yml") == "warn"
    assert run.outcome("compose.images-pinned", "docker-compose.yml") == "pass"
    assert run.outcome("compose.no-new-privileges", "docker-compose.yml") == "fail"


NO_DOCS = {"app.py": "print('hello')\n", "README.md": "# Shop\n\nA shop.\n"}
DOCUMENTS = ("ops.runbooks", "ops.incident-response", "ops.backup-restore", "ops.rollback",
             "ops.capacity-planning", "ops.backups-scheduled")


def test_undeclared_kind_warns_and_is_no_evidence(run_suite) -> None:
    run = run_suite("ops", NO_DOCS)
    for check in DOCUMENTS:
        result = run.check(check)
        assert result["outcome"] == "warn", check
        assert result["assessed"] is False
        assert "set system.kind" in result["message"]
    assert '"status": "insufficient evidence"' in run.text


def test_a_declared_deployment_fails_without_documents(run_suite) -> None:
    run = run_suite("ops", NO_DOCS, "system: {name: shop, kind: deployment}\n")
    for check in DOCUMENTS:
        result = run.check(check)
        assert result["outcome"] == "fail", check
        assert result["assessed"] is True
        assert "system.kind" not in result["message"]


def test_a_library_is_not_audited_for_deployment_and_operations(run_suite) -> None:
    run = run_suite("ops,compose,secrets", {**NO_DOCS, **PRODUCTION},
                    "system: {name: lib, kind: library}\n")
    for check in (*DOCUMENTS, "compose.healthcheck"):
        result = run.check(check) if check.startswith("ops.") else run.check(
            check, "docker-compose.yml")
        assert result["outcome"] == "skip", check
        assert result["message"].startswith("not applicable: system.kind is library")
    assert run.outcome("secrets.hardcoded") == "pass"  # code checks still apply


def test_documents_kept_elsewhere_pass_with_the_link(run_suite) -> None:
    run = run_suite("ops", {
        **NO_DOCS,
        "README.md": "# Shop\n\nOn call: see [our incident process]"
                     "(https://wiki.example.com/ops/incident-process).\n",
    }, """
        system: {name: shop, kind: deployment}
        docs:
          elsewhere:
            runbooks: https://runbooks.example.com/shop
            backups-scheduled: https://wiki.example.com/backups
        """)
    runbooks = run.check("ops.runbooks")
    assert runbooks["outcome"] == "pass"
    assert runbooks["evidence"]["kept_elsewhere"] == {
        "link": "https://runbooks.example.com/shop", "from": "readiness.yaml "
        "docs.elsewhere.runbooks", "content": "not read"}
    incident = run.check("ops.incident-response")
    assert incident["outcome"] == "pass"
    assert incident["evidence"]["kept_elsewhere"]["from"] == "README.md:3"
    assert run.outcome("ops.backups-scheduled") == "pass"
    assert run.outcome("ops.rollback") == "fail"


STEPS = "\n".join(f"{i}. Step {i}: run the command shown and check its output before going "
                  "on to the next step of the procedure." for i in range(1, 6))


def test_documents_found_wherever_a_team_keeps_them(run_suite) -> None:
    run = run_suite("ops", {
        **NO_DOCS,
        "ops/runbooks/api.md": f"# API runbook\n\n{STEPS}\n",
        "deploy/README.md": f"# Deploying\n\nIntro.\n\n## Rolling back\n\n{STEPS}\n",
        "tests/fixtures/incident.md": f"# Incident response\n\n{STEPS}\n",
    }, "system: {name: shop, kind: deployment}\n")
    assert run.check("ops.runbooks")["evidence"]["document"] == "ops/runbooks/api.md:1"
    assert run.outcome("ops.runbooks") == "pass"
    assert run.check("ops.rollback")["evidence"]["document"] == "deploy/README.md:5"
    assert run.outcome("ops.rollback") == "pass"
    # a document under tests/ is a fixture, not the team's procedure
    assert run.outcome("ops.incident-response") == "fail"
