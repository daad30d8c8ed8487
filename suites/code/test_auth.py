"""Authentication and transport security: TLS verification, CORS, JWT secrets, credentials."""

from __future__ import annotations

import pytest

from pytest_readiness.plumbing import pyast, suppress
from pytest_readiness.plumbing.tree import context_of
from pytest_readiness.probes.code import auth

pytestmark = pytest.mark.readiness(section="Authentication and Transport Security",
                                   category="security")


def _modules(inventory):
    if not inventory.python:  # nothing read is not a pass
        pytest.skip("not applicable: no Python code in this codebase")
    return list(pyast.modules(inventory))


def _fail_on(readiness, codebase, inventory, findings, check_id, what):
    published = suppress.publish_codebase(readiness, codebase, inventory, findings, check_id)
    assert not published.errors, (f"{len(published.errors)} {what}: "
                                  + published.summary(published.errors))


@pytest.mark.readiness(id="auth.tls-verification", severity="critical",
                       fix="Remove verify=False / CERT_NONE; trust a private CA with "
                           "verify='/path/ca.pem' (or SSL_CERT_FILE) and make any VERIFY_SSL "
                           "setting default to true")
def test_tls_verification_not_disabled(codebase, inventory, readiness):
    """TLS certificate and hostname verification is never switched off."""
    findings = auth.tls_verification_off(_modules(inventory))
    _fail_on(readiness, codebase, inventory, findings, "auth.tls-verification",
             "place(s) where TLS verification is off")


@pytest.mark.readiness(id="auth.cors-credentials", severity="high",
                       fix="List the allowed origins explicitly when credentials are allowed")
def test_cors_no_wildcard_with_credentials(codebase, inventory, readiness):
    """CORS never allows any origin (*) together with credentials."""
    findings = auth.cors_wildcard_with_credentials(_modules(inventory))
    _fail_on(readiness, codebase, inventory, findings, "auth.cors-credentials",
             "CORS configuration(s) with * and credentials")


@pytest.mark.readiness(id="auth.jwt-secret-strength", severity="high",
                       fix="Read the signing key from the environment and refuse to start when "
                           "it is shorter than 32 bytes (if len(key) < 32: raise ...); never "
                           "accept alg 'none' or decode without verifying the signature")
def test_jwt_signing_secret_checked(codebase, inventory, readiness):
    """JWT signing keys are not hardcoded and are checked for strength before use."""
    uses = [u for u in auth.jwt_uses(_modules(inventory)) if context_of(u.file) == "code"]
    if not uses:
        pytest.skip("not applicable: no jwt.encode / jwt.decode in live code")
    readiness.evidence(jwt_calls=[{k: v for k, v in u.__dict__.items() if k != "snippet"}
                                  for u in uses[:20]])
    _fail_on(readiness, codebase, inventory, auth.jwt_findings(uses), "auth.jwt-secret-strength",
             "JWT key problem(s)")


@pytest.mark.readiness(id="auth.default-admin", severity="critical",
                       fix="Create the first admin from a one-time secret given at deploy time; "
                           "never ship a default admin password")
def test_no_default_admin_credentials(codebase, inventory, readiness):
    """No default admin credentials (admin/admin, ADMIN_PASSWORD fallbacks) in live code."""
    findings = auth.default_admin_credentials(_modules(inventory))
    _fail_on(readiness, codebase, inventory, findings, "auth.default-admin",
             "default admin credential(s)")


@pytest.mark.readiness(id="auth.password-hashing", severity="high",
                       fix="Hash passwords with argon2, bcrypt or scrypt (passlib/pwdlib) and "
                           "compare with the library's verify()")
def test_passwords_hashed_with_a_slow_hash(codebase, inventory, readiness):
    """Passwords are hashed with bcrypt/argon2/scrypt/pbkdf2, never md5/sha or plain text."""
    hashing = auth.password_hashing(_modules(inventory))
    if not hashing.strong and not hashing.weak:
        pytest.skip("not applicable: no password hashing or comparison found")
    readiness.evidence(strong_hashing=hashing.strong[:10])
    _fail_on(readiness, codebase, inventory, hashing.weak, "auth.password-hashing",
             "weak password hash(es)")


@pytest.mark.readiness(id="auth.token-revocation", severity="medium",
                       fix="Add a revocation path (deny-list by jti, or a token version per "
                           "user) and call it from logout and password change")
def test_token_revocation_path_is_called(codebase, inventory, readiness):
    """Issued tokens can be revoked, and the revocation path is actually called."""
    found = auth.revocation(_modules(inventory))
    if not found.issues_tokens:
        pytest.skip("not applicable: the codebase issues no tokens (jwt.encode, "
                    "create_access_token)")
    issued = [f"{rel}:{line} {call}" for rel, line, call in found.issued]
    readiness.evidence(token_issued_at=issued[:10],
                       revocation_defined=found.defined[:10], revocation_called=found.called[:10])
    findings = auth.revocation_findings(found, pyast.lines_of(inventory))
    published = suppress.publish_codebase(readiness, codebase, inventory, findings,
                                          "auth.token-revocation")
    what = ("revocation is defined but never called: " + ", ".join(found.defined[:5])
            if found.defined else "tokens are issued but there is no revocation path "
                                  "(revoke, logout, deny-list)")
    sites = ", ".join(f"{f.file}:{f.line}" for f in published.errors[:5])
    assert not published.errors, f"{what}; tokens issued at {sites}"


@pytest.mark.readiness(id="auth.events-logged", severity="medium", category="monitoring",
                       fix="Log login success and failure, token issue and revocation "
                           "(user id, source address; never the password or token)")
def test_auth_events_logged(codebase, inventory, readiness):
    """Authentication events (login, logout, token issue and revoke) are logged."""
    seen, findings = auth.unlogged_auth_events(_modules(inventory))
    if not seen:
        pytest.skip("not applicable: no login/logout/token functions found")
    readiness.evidence(auth_functions=seen)
    _fail_on(readiness, codebase, inventory, findings, "auth.events-logged",
             "auth function(s) without logging")
