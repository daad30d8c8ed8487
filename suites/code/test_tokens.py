"""Token lifecycle: JWTs expire and their signing keys can be rotated."""

from __future__ import annotations

import pytest

from pytest_readiness import Recorder
from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.tree import Inventory
from pytest_readiness.probes.code import tokens

pytestmark = pytest.mark.readiness(section="Authentication and Transport Security",
                                   category="security")


@pytest.fixture
def jwt_modules(inventory: Inventory) -> list[pyast.Module]:
    """The codebase's Python modules when some issue JWTs; otherwise not applicable."""
    modules = list(pyast.modules(inventory)) if inventory.python else []
    if not any(c.name in tokens.ENCODE_CALLS or pyast.tail(c.name) in tokens.TOKEN_FACTORIES
               for m in modules for c in m.calls):
        pytest.skip("not applicable: no jwt.encode or create_access_token in the codebase")
    return modules


def _encodes(modules: list[pyast.Module]) -> None:
    """Skip a rule about jwt.encode where tokens come only from a library's factory."""
    if not any(c.name in tokens.ENCODE_CALLS for m in modules for c in m.calls):
        pytest.skip("not applicable: tokens are made by a library (create_access_token), "
                    "not jwt.encode")


@pytest.mark.readiness(id="tokens.jwt-expiry", severity="high",
                       levels=tokens.EXPIRY_LEVELS,
                       fix="Put an exp claim in every token (iat + a short lifetime) and "
                           "require it when decoding: options={'require': ['exp', ...]}")
def test_jwt_tokens_expire(jwt_modules: list[pyast.Module], readiness: Recorder) -> None:
    """Issued JWTs carry an exp claim and decoding requires and verifies it."""
    readiness.conclude(tokens.jwt_expiry(jwt_modules), "token(s) that never expire", code=True)


@pytest.mark.readiness(id="tokens.jwt-key-rotation", severity="medium",
                       levels=tokens.ROTATION_LEVELS,
                       fix="Sign with a key set and put the key id in the header "
                           "(headers={'kid': kid}); decode with the key the kid names, so a "
                           "new key can be added before the old one is retired")
def test_jwt_keys_can_be_rotated(jwt_modules: list[pyast.Module], readiness: Recorder) -> None:
    """JWTs name their signing key (kid), so the key can be rotated."""
    _encodes(jwt_modules)
    readiness.conclude(tokens.jwt_key_rotation(jwt_modules),
                       "JWT(s) signed without a key id", warning="JWT(s) signed without a key "
                       "id: the key cannot be rotated", code=True)


@pytest.mark.readiness(id="tokens.jwt-revocation-checked", severity="medium",
                       levels=tokens.REVOCATION_LEVELS,
                       fix="Authenticate requests through the function that checks the "
                           "deny-list (verify), never through the bare decoder")
def test_decoding_checks_revocation(jwt_modules: list[pyast.Module],
                                    readiness: Recorder) -> None:
    """Every path that accepts a token goes through the revocation check the codebase has."""
    _encodes(jwt_modules)
    readiness.conclude(tokens.jwt_revocation_bypassed(jwt_modules),
                       "token path(s) that skip revocation",
                       warning="token path(s) that skip the revocation check", code=True)
