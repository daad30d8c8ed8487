"""Token lifecycle: expiry, key rotation, revocation bypass, and where a JWT key comes from."""

from __future__ import annotations

import textwrap

import pytest

from pytest_readiness.plumbing import pyast
from pytest_readiness.probes.code import auth, tokens


def modules(**files: str) -> list[pyast.Module]:
    return [pyast.parse(textwrap.dedent(text).lstrip("\n"), rel.replace("__", "/") + ".py")
            for rel, text in files.items()]


ISSUE = '''
import jwt, time
def issue(sub):
    claims = {{"sub": sub, "iat": 1{exp}}}
    return jwt.encode(claims, KEY, algorithm="HS256", headers={{"kid": "k1"}})
def decode(token):
    return jwt.decode(token, KEY, algorithms=["HS256"],
                      options={{"require": [{require}]}})
'''


@pytest.mark.parametrize("exp,require,line", [
    (', "exp": time.time() + 60', '"exp", "sub"', None),  # issued with exp: fine
    ("", '"exp", "sub"', None),  # decoders require exp: a token without one is refused
    ("", '"sub"', 7),  # neither: at the require list that lets it through
])
def test_jwt_expiry(exp: str, require: str, line: int | None) -> None:
    found = tokens.jwt_expiry(modules(app__tokens=ISSUE.format(exp=exp, require=require)))
    assert [f.line for f in found] == ([line] if line else [])


def test_expiry_at_the_encode_without_require_and_claims_added_later() -> None:
    source = '''
        import jwt
        def a(sub):
            return jwt.encode({"sub": sub}, KEY)
        def b(sub):
            claims = {"sub": sub}
            claims["exp"] = later()
            return jwt.encode(claims, KEY)
        def c(payload):
            return jwt.encode(payload, KEY)  # built elsewhere: cannot tell
        def d(t):
            return jwt.decode(t, KEY, algorithms=["HS256"], options={"verify_exp": False})
    '''
    assert [f.line for f in tokens.jwt_expiry(modules(app=source))] == [11, 3]


def test_key_rotation() -> None:
    source = '''
        import jwt
        def a(c):
            return jwt.encode(c, KEY, algorithm="HS256")
        def b(c, kid):
            return jwt.encode(c, KEYS[kid], algorithm="HS256", headers={"kid": kid})
        def c(c):
            key = jwks.get_signing_key("k")
            return jwt.encode(c, key, algorithm="RS256")
        def d(c):
            return jwt.encode(c, KEY, headers=make_headers())
    '''
    found = tokens.jwt_key_rotation(modules(app=source))
    assert [(f.line, f.level) for f in found] == [(3, "warning")]


def test_revocation_bypass() -> None:
    found = tokens.jwt_revocation_bypassed(modules(
        app__tokens='''
            import jwt
            def decode(token):
                return jwt.decode(token, KEY, algorithms=["HS256"])
            def verify(cache, token):
                claims = decode(token)
                if cache.is_revoked(claims["jti"]):
                    raise ValueError("revoked")
                return claims
            def logout(cache, token):
                cache.revoke(decode(token)["jti"])
        ''',
        app__auth='''
            from app import tokens
            def middleware(request):
                request.user = tokens.decode(request.token)
            def fine(request):
                request.user = tokens.verify(request.cache, request.token)
                return request.body.decode()
        '''))
    assert [(f.file, f.line) for f in found] == [("app/auth.py", 3)]


def test_no_revocation_check_means_no_bypass() -> None:
    source = '''
        import jwt
        def decode(token):
            return jwt.decode(token, KEY, algorithms=["HS256"])
        def handler(request):
            return decode(request.token)
    '''
    assert tokens.jwt_revocation_bypassed(modules(app=source)) == []


SETTINGS_GUARDED = '''
import os
def signing_keys(raw):
    keys = dict(p.split(":", 1) for p in raw.split(","))
    if any(len(k) < 32 for k in keys.values()):
        raise RuntimeError("short")
    return keys
JWT_SIGNING_KEYS = signing_keys(os.environ["JWT_SIGNING_KEYS"])
'''
USE = '''
import jwt
from app import settings
def issue(c, kid):
    return jwt.encode(c, settings.JWT_SIGNING_KEYS[kid], algorithm="HS256")
def decode(t, kid):
    key = settings.JWT_SIGNING_KEYS[kid]
    return jwt.decode(t, key, algorithms=["HS256"])
'''


def test_a_key_from_a_length_checking_helper_is_guarded() -> None:
    uses = auth.jwt_uses(modules(app__settings=SETTINGS_GUARDED, app__tokens=USE))
    assert [u.guarded for u in uses] == [True, True]
    assert auth.jwt_findings(uses) == []


@pytest.mark.parametrize("assignment", [
    'JWT_SIGNING_KEYS = {"k1": "short-key"}',
    'JWT_SIGNING_KEYS = signing_keys(os.environ.get("JWT_SIGNING_KEYS", "k1:local-dev-key"))',
])
def test_a_literal_key_in_settings_is_reported_where_it_is_written(assignment: str) -> None:
    settings = SETTINGS_GUARDED.replace(
        'JWT_SIGNING_KEYS = signing_keys(os.environ["JWT_SIGNING_KEYS"])', assignment)
    found = auth.jwt_findings(auth.jwt_uses(modules(app__settings=settings, app__tokens=USE)))
    assert [(f.file, f.line, f.level) for f in found] == [("app/settings.py", 7, "error")]
    assert "short-key" not in found[0].message and "local-dev-key" not in found[0].message


def test_expiry_switched_off_by_flask_jwt_extended() -> None:
    source = '''
        from flask_jwt_extended import create_access_token
        JWT_ACCESS_TOKEN_EXPIRES = False
        app.config["JWT_REFRESH_TOKEN_EXPIRES"] = False
        app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(minutes=15)
        def login(user):
            return create_access_token(identity=user.id, expires_delta=False)
        def fine(user):
            return create_access_token(identity=user.id, expires_delta=timedelta(minutes=5))
    '''
    assert sorted(f.line for f in tokens.jwt_expiry(modules(app=source))) == [2, 3, 6]
