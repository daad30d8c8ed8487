"""Secrets and configuration: hardcoded credentials, committed .env files, config files."""

from __future__ import annotations

import pytest

from pytest_readiness import CodebaseTarget, Recorder, Role, Scope
from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.tree import Inventory, context_of
from pytest_readiness.probes.code import secrets

pytestmark = pytest.mark.readiness(section="Secrets in Code", category="security")


@pytest.mark.readiness(id="secrets.hardcoded", severity="critical", rules=secrets.HARDCODED_RULES,
                       fix="Remove the secret from the code, rotate it, and read it from the "
                           "environment or a secret store with no default")
def test_no_hardcoded_secrets(inventory: Inventory, readiness: Recorder) -> None:
    """No hardcoded API keys, tokens, passwords, fallbacks or private keys in live code."""
    if not any(context_of(f.rel) == "code" for f in inventory.files):
        pytest.skip("not applicable: no code or configuration files (only documentation, "
                    "tests or templates)")
    found = secrets.scan(inventory)
    readiness.evidence(files_scanned=len(inventory.files),
                       python_unparseable=[f"{rel}: {err}" for rel, err in
                                           pyast.parse_errors(inventory)][:20])
    readiness.conclude(map(secrets.as_finding, found), "hardcoded secret(s)", code=True)


@pytest.mark.readiness(id="secrets.logged", severity="high",
                       fix="Log who and what, never the credential: drop the value, or log a "
                           "masked form (mask(token), len(token), token[:4])")
def test_no_secrets_in_logs(inventory: Inventory, readiness: Recorder) -> None:
    """No logging or print call writes a password, token or key whole."""
    if not inventory.python:
        pytest.skip("not applicable: no Python code in this codebase")
    modules = list(pyast.modules(inventory))
    readiness.conclude([f for m in modules for f in secrets.logged_secrets(m)],
                       "logging call(s) that write a secret", code=True)


@pytest.mark.readiness(id="secrets.env-committed", severity="high",
                       fix="git rm --cached the .env file, add it to .gitignore, rotate what it "
                           "held, and commit a .env.example with placeholders instead")
def test_no_env_files_committed(inventory: Inventory, codebase_scope: Scope,
                                readiness: Recorder) -> None:
    """Committed .env files hold no credentials (real ones fail, well-known defaults warn)."""
    tracked = codebase_scope.tracked
    files = secrets.env_files(inventory, tracked)
    if not files:
        pytest.skip("not applicable: no .env file in the tree")
    readiness.evidence(git_repository=tracked is not None,
                       env_files=[{"file": f.file, "tracked": f.tracked, "keys": f.keys,
                                   "credentials": len(f.credentials)} for f in files])
    readiness.conclude(secrets.env_file_findings(files),
                       "credential(s) in committed .env file(s)",
                       warning="placeholder or weak credential(s) in committed .env file(s)",
                       code=True)


@pytest.mark.readiness(id="secrets.template-values", severity="medium",
                       rules=secrets.TEMPLATE_RULES,
                       fix="Replace the value with a placeholder (changeme, <API_KEY>, ${API_KEY}) "
                           "and rotate the real one")
def test_config_templates_hold_placeholders(inventory: Inventory, readiness: Recorder) -> None:
    """Config templates (.env.example, *.sample) hold placeholders, not real-looking values."""
    templates = [f.rel for f in inventory.files if context_of(f.rel) == "template"]
    if not templates:
        pytest.skip("not applicable: no config templates (.env.example, *.sample) found")
    readiness.evidence(templates=templates[:50])
    # Templates are "template" context: their findings stay errors here on purpose (not code).
    readiness.conclude(secrets.template_value_findings(secrets.template_findings(inventory)),
                       lambda kept: f"{len(kept)} real-looking value(s) in templates: "
                                    + ", ".join(f"{f.file}:{f.line}" for f in kept[:10]),
                       judged_roles=(Role.EXAMPLE,))


@pytest.mark.readiness(id="secrets.config-keys", severity="high",
                       fix="Define every required key in the config file and chmod it to the "
                           "mode given in readiness.yaml")
def test_required_config_keys_present(codebase: CodebaseTarget, readiness: Recorder) -> None:
    """Configured config files exist, parse, define their required keys and are private."""
    specs = codebase.spec.config_files
    if not specs:
        pytest.skip("not applicable: no config_files configured for this codebase")
    checked, problems = [], []
    for spec in specs:
        found, facts = secrets.config_file_problems(codebase.root, spec.path, spec.required_keys,
                                                    spec.mode)
        checked.append(facts)
        problems += found
    readiness.evidence(config_files=checked)
    readiness.conclude(secrets.config_key_findings(problems),
                       lambda found: "; ".join(f.message for f in found))
