"""Secrets and configuration: hardcoded credentials, committed .env files, config files."""

from __future__ import annotations

import pytest

from pytest_readiness.plumbing import pyast, suppress
from pytest_readiness.plumbing.suppress import CodeFinding
from pytest_readiness.plumbing.tree import context_of
from pytest_readiness.probes.code import secrets

pytestmark = pytest.mark.readiness(section="Secrets in Code", category="security")


def _publish(readiness, codebase, inventory, findings, check_id):
    return suppress.publish(readiness, findings, pyast.lines_of(inventory), codebase.spec.ignore,
                            check_id, codebase.spec.exclude)


def _as_code_finding(f: secrets.SecretFinding) -> CodeFinding:
    level = "error" if f.live else "note"
    where = "" if f.live else f" in {f.context}"
    return CodeFinding(f.rule, f"{f.title} ({f.redacted}){where}", f.file, f.line, f.snippet, level)


@pytest.mark.readiness(id="secrets.hardcoded", severity="critical",
                       fix="Remove the secret from the code, rotate it, and read it from the "
                           "environment or a secret store with no default")
def test_no_hardcoded_secrets(codebase, inventory, readiness):
    """No hardcoded API keys, tokens, passwords, fallbacks or private keys in live code."""
    found = secrets.scan(inventory)
    published = _publish(readiness, codebase, inventory, map(_as_code_finding, found),
                         "secrets.hardcoded")
    readiness.evidence(files_scanned=len(inventory.files),
                       python_unparseable=[f"{rel}: {err}" for rel, err in
                                           pyast.parse_errors(inventory)][:20])
    live = published.errors
    assert not live, f"{len(live)} hardcoded secret(s): {published.summary(live)}"


@pytest.mark.readiness(id="secrets.env-committed", severity="high",
                       fix="git rm --cached the .env file, add it to .gitignore, rotate what it "
                           "held, and commit a .env.example with placeholders instead")
def test_no_env_files_committed(codebase, inventory, readiness):
    """No .env file is committed (or shipped in a tree that is not a git repository)."""
    tracked = secrets.git_tracked(codebase.root)
    files = secrets.env_files(inventory, tracked)
    readiness.evidence(git_repository=tracked is not None,
                       env_files=[{"file": f.file, "tracked": f.tracked, "keys": f.keys}
                                  for f in files])
    said = {True: ".env file tracked by git", None: ".env file in the tree (not a git repository)",
            False: ".env file present but not tracked by git"}
    findings = [CodeFinding("secret.env-committed", said[f.tracked], f.file, None,
                            level="note" if f.tracked is False else "error") for f in files]
    published = _publish(readiness, codebase, inventory, findings, "secrets.env-committed")
    bad = published.errors
    assert not bad, f"{len(bad)} .env file(s) committed: {', '.join(f.file for f in bad)}"


@pytest.mark.readiness(id="secrets.template-values", severity="medium",
                       fix="Replace the value with a placeholder (changeme, <API_KEY>, ${API_KEY}) "
                           "and rotate the real one")
def test_config_templates_hold_placeholders(codebase, inventory, readiness):
    """Config templates (.env.example, *.sample) hold placeholders, not real-looking values."""
    templates = [f.rel for f in inventory.files if context_of(f.rel) == "template"]
    if not templates:
        pytest.skip("not applicable: no config templates (.env.example, *.sample) found")
    found = secrets.template_findings(inventory)
    findings = [CodeFinding(f.rule, f"{f.title} ({f.redacted}) in a template", f.file, f.line,
                            f.snippet) for f in found]
    readiness.evidence(templates=templates[:50])
    # Templates are "template" context: keep their findings at error level here on purpose.
    filtered = suppress.apply(findings, pyast.lines_of(inventory), codebase.spec.ignore,
                              "secrets.template-values")
    for f in filtered.kept:
        readiness.finding(f.rule, f.message, file=f.file, line=f.line, snippet=f.snippet)
    if filtered.suppressed:
        readiness.evidence(suppressed=[s.to_dict() for s in filtered.suppressed])
    assert not filtered.kept, (f"{len(filtered.kept)} real-looking value(s) in templates: "
                               + ", ".join(f"{f.file}:{f.line}" for f in filtered.kept[:10]))


@pytest.mark.readiness(id="secrets.config-keys", severity="high",
                       fix="Define every required key in the config file and chmod it to the "
                           "mode given in readiness.yaml")
def test_required_config_keys_present(codebase, readiness):
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
        for p in found:
            readiness.finding("secret.config-keys", p.problem, file=p.file, line=p.line)
    readiness.evidence(config_files=checked)
    assert not problems, "; ".join(p.problem for p in problems)
