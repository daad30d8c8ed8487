"""Authentication and transport security: TLS verification, CORS, JWT secrets, credentials."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from pytest_readiness import CodebaseTarget, Context, Recorder
from pytest_readiness.plumbing import envreads, pyast
from pytest_readiness.plumbing.findings import Finding
from pytest_readiness.plumbing.tree import Inventory, context_of
from pytest_readiness.plumbing.yamlpos import ParseError
from pytest_readiness.probes.code import auth
from pytest_readiness.probes.code.auth import bootstrap, cors, tls
from pytest_readiness.probes.deployment import compose, dockerfile

pytestmark = pytest.mark.readiness(section="Authentication and Transport Security",
                                   category="security")


@pytest.fixture
def python_modules(inventory: Inventory) -> list[pyast.Module]:
    """The codebase's Python modules, parsed; a codebase without Python is not applicable."""
    if not inventory.python:  # nothing read is not a pass
        pytest.skip("not applicable: no Python code in this codebase")
    return list(pyast.modules(inventory))


@pytest.mark.readiness(id="auth.tls-verification", severity="critical", rules=auth.TLS_RULES,
                       levels=tls.LEVELS,
                       fix="Remove verify=False / CERT_NONE; trust a private CA with "
                           "verify='/path/ca.pem' (or SSL_CERT_FILE) and make any VERIFY_SSL "
                           "setting default to true")
def test_tls_verification_not_disabled(inventory: Inventory, python_modules: list[pyast.Module],
                                       readiness: Recorder) -> None:
    """TLS certificate and hostname verification is never switched off."""
    readiness.conclude([*auth.tls_verification_off(python_modules,
                                                   envreads.index_helpers(inventory)),
                        *pyast.not_analysed(inventory)],
                       "place(s) where TLS verification is off",
                       warning=pyast.said("place(s) where TLS verification may be off"),
                       code=True)


@pytest.mark.readiness(id="auth.cors-credentials", severity="high", rules=cors.RULES,
                       levels=cors.LEVELS,
                       fix="List the allowed origins explicitly (or a regex anchored on your "
                           "own domain); never * or a reflecting regex with credentials")
def test_cors_no_wildcard_with_credentials(inventory: Inventory,
                                           python_modules: list[pyast.Module],
                                           readiness: Recorder, codebase: CodebaseTarget,
                                           readiness_context: Context) -> None:
    """CORS never allows any origin (* or a reflecting regex), least of all with credentials."""
    projects, skipped = readiness_context.production_compose(codebase)
    if skipped:
        readiness.evidence(compose_not_read=skipped)
    deployed = {key: source for cp in projects for s in cp.services
                for key, source in s.env_sources().items()}
    readiness.conclude([*auth.cors_wildcard_with_credentials(
                            python_modules, deployed, envreads.index_helpers(inventory)),
                        *pyast.not_analysed(inventory)],
                       "CORS configuration(s) allowing any origin with credentials",
                       warning=pyast.said("CORS configuration(s) allowing any origin (warning)"),
                       code=True)


@pytest.mark.readiness(id="auth.jwt-secret-strength", levels=auth.JWT_LEVELS,
                       severity="high",
                       fix="Read the signing key from the environment and refuse to start when "
                           "it is shorter than 32 bytes (if len(key) < 32: raise ...); never "
                           "accept alg 'none' or decode without verifying the signature")
def test_jwt_signing_secret_checked(inventory: Inventory, python_modules: list[pyast.Module],
                                    readiness: Recorder) -> None:
    """JWT signing keys are not hardcoded and are checked for strength before use."""
    uses = [u for u in auth.jwt_uses(python_modules) if context_of(u.file) == "code"]
    if not uses:
        pytest.skip("not applicable: no jwt.encode / jwt.decode in live code")
    readiness.evidence(jwt_calls=[{k: v for k, v in u.__dict__.items() if k != "snippet"}
                                  for u in uses[:20]])
    readiness.conclude([*auth.jwt_findings(uses), *pyast.not_analysed(inventory)],
                       "JWT key problem(s)", warning=pyast.said("JWT key problem(s) (warning)"),
                       code=True)


def _compose_settings(projects: Sequence[compose.ComposeProject]) -> list[bootstrap.Setting]:
    """What each service of the production projects writes for its environment, as
    written (before interpolation): ``environment:`` entries and ``env_file:`` lines."""
    where = {"environment": "compose service", "env_file": "env_file of compose service"}
    return [bootstrap.Setting(e.key, e.written, e.file, e.line, f"{where[e.origin]} {s.name}",
                              e.interpolated)
            for cp in projects for s in cp.services for e in s.env_settings()]


def _dockerfile_settings(inventory: Inventory) -> list[bootstrap.Setting]:
    out = []
    for f in inventory.dockerfiles:
        try:
            df = dockerfile.parse("\n".join(inventory.lines(f.rel)) + "\n", f.rel)
        except ParseError:
            continue  # docker.* checks report a Dockerfile that does not parse
        out += bootstrap.dockerfile_settings(f.rel, [(i.name, i.value, i.line) for st in
                                                     df.stages for i in st.instructions])
    return out


def _shell_scripts(inventory: Inventory) -> list[tuple[str, list[str]]]:
    out = []
    for f in inventory.files:  # *.sh, *.bash, or a name without a suffix and a #! line
        name = f.rel.rsplit("/", 1)[-1]
        if not name.endswith((".sh", ".bash")) and "." in name:
            continue
        lines = inventory.lines(f.rel)
        if lines and bootstrap.is_shell_script(f.rel, lines[0]):
            out.append((f.rel, lines))
    return out


@pytest.mark.readiness(id="auth.default-admin", severity="critical", levels=bootstrap.LEVELS,
                       fix="Create the first admin from a one-time secret given at deploy time "
                           "(DJANGO_SUPERUSER_PASSWORD: ${VAR} or a secrets file); never ship "
                           "a default admin password")
def test_no_default_admin_credentials(inventory: Inventory, python_modules: list[pyast.Module],
                                      readiness: Recorder, codebase: CodebaseTarget,
                                      readiness_context: Context) -> None:
    """No default admin credentials (admin/admin, ADMIN_PASSWORD fallbacks) in live code,
    nor bootstrap admin passwords written into the deployment (Compose, Dockerfiles,
    shell scripts)."""
    projects, skipped = readiness_context.production_compose(codebase)
    if skipped:
        readiness.evidence(compose_not_read=skipped)
    deployed = bootstrap.judge([*_compose_settings(projects), *_dockerfile_settings(inventory)])
    readiness.conclude([*auth.default_admin_credentials(python_modules), *deployed,
                        *bootstrap.shell_findings(_shell_scripts(inventory)),
                        *pyast.not_analysed(inventory)], "default admin credential(s)",
                       warning=pyast.said("default admin credential(s) (warning)"), code=True)


@pytest.mark.readiness(id="auth.password-hashing", severity="high",
                       rules=auth.PASSWORD_HASHING_RULES,
                       fix="Hash passwords with argon2, bcrypt or scrypt (passlib/pwdlib) and "
                           "compare with the library's verify()")
def test_passwords_hashed_with_a_slow_hash(inventory: Inventory,
                                           python_modules: list[pyast.Module],
                                           readiness: Recorder) -> None:
    """Passwords are hashed with bcrypt/argon2/scrypt/pbkdf2, never md5/sha or plain text."""
    hashing = auth.password_hashing(python_modules)
    if not hashing.strong and not hashing.weak:
        pytest.skip("not applicable: no password hashing or comparison found")
    readiness.evidence(strong_hashing=hashing.strong[:10])
    readiness.conclude([*hashing.weak, *pyast.not_analysed(inventory)], "weak password hash(es)",
                       warning=pyast.said("weak password hash(es) (warning)"), code=True)


@pytest.mark.readiness(id="auth.token-revocation", levels=auth.REVOCATION_LEVELS,
                       severity="medium",
                       fix="Add a revocation path (deny-list by jti, or a token version per "
                           "user) and call it from logout and password change")
def test_token_revocation_path_is_called(inventory: Inventory,
                                         python_modules: list[pyast.Module],
                                         readiness: Recorder) -> None:
    """Issued tokens can be revoked, and the revocation path is actually called."""
    found = auth.revocation(python_modules)
    if not found.issues_tokens:
        pytest.skip("not applicable: the codebase issues no tokens (jwt.encode, "
                    "create_access_token)")
    issued = [f"{rel}:{line} {call}" for rel, line, call in found.issued]
    readiness.evidence(token_issued_at=issued[:10],
                       revocation_defined=found.defined[:10], revocation_called=found.called[:10])
    what = ("revocation is defined but never called: " + ", ".join(found.defined[:5])
            if found.defined else "tokens are issued but there is no revocation path "
                                  "(revoke, logout, deny-list)")

    def said(errors: Sequence[Finding]) -> str:
        return f"{what}; tokens issued at " + ", ".join(f"{f.file}:{f.line}" for f in errors[:5])

    readiness.conclude([*auth.revocation_findings(found, pyast.lines_of(inventory)),
                        *pyast.not_analysed(inventory)], said,
                       warning=lambda warnings: pyast.said(what)(warnings), code=True)


@pytest.mark.readiness(id="auth.events-logged", levels=auth.EVENTS_LEVELS,
                       severity="medium", category="monitoring",
                       fix="Log login success and failure, token issue and revocation "
                           "(user id, source address; never the password or token)")
def test_auth_events_logged(inventory: Inventory, python_modules: list[pyast.Module],
                            readiness: Recorder) -> None:
    """Authentication events (login, logout, token issue and revoke) are logged."""
    seen, findings = auth.unlogged_auth_events(python_modules)
    if not seen:
        pytest.skip("not applicable: no login/logout/token functions found")
    readiness.evidence(auth_functions=seen)
    readiness.conclude([*findings, *pyast.not_analysed(inventory)],
                       "auth function(s) without logging",
                       warning=pyast.said("auth function(s) without logging"), code=True)
