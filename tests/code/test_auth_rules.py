"""Authentication and transport security rules: positives, near misses, suite outcomes."""

from __future__ import annotations

import pytest

from pytest_readiness.probes.code import auth
from pytest_readiness.probes.code.auth import cors
from tests.code.conftest import module_of, planted_password


def tls(source: str) -> list[str]:
    return [f.message for f in auth.tls_verification_off([module_of(source)])]


@pytest.mark.parametrize("source,message", [
    ("import requests\nrequests.get('u', verify=False)", "requests.get(verify=False)"),
    ("import httpx\nhttpx.Client(verify=False)", "httpx.Client(verify=False)"),
    ("import aiohttp\nsession.get('u', ssl=False)", "session.get(ssl=False)"),
    ("from elasticsearch import Elasticsearch\nElasticsearch(h, verify_certs=False)",
     "elasticsearch.Elasticsearch(verify_certs=False)"),
    ("import ssl\nctx = ssl._create_unverified_context()", "ssl._create_unverified_context()"),
    ("import ssl\nctx.verify_mode = ssl.CERT_NONE", "ctx.verify_mode = CERT_NONE"),
    ("from ssl import CERT_NONE as N\nctx.verify_mode = N", "ctx.verify_mode = CERT_NONE"),
    ("import ssl\nssl.wrap_socket(s, cert_reqs=ssl.CERT_NONE)", "ssl.wrap_socket() with CERT_NONE"),
    ("import urllib3\nurllib3.PoolManager(cert_reqs='CERT_NONE')",
     "urllib3.PoolManager() with CERT_NONE"),
    ("ctx.check_hostname = False", "ctx.check_hostname = False"),
    ("import os\nV = os.getenv('VERIFY_SSL', 'false')", "setting VERIFY_SSL defaults to false"),
    ("import os\nV = os.getenv('APP_SSL_VERIFY', '0')", "setting APP_SSL_VERIFY defaults to false"),
    ("V = settings.get('verify_tls', False)", "setting verify_tls defaults to false"),
    ("class S:\n    verify_ssl: bool = False", "verify_ssl defaults to false"),
    ("class S(BaseSettings):\n    verify_ssl: bool = Field(default=False)",
     "verify_ssl defaults to false"),
    ("session.verify = False", "session.verify defaults to false"),
])
def test_tls_verification_off(source: str, message: str) -> None:
    assert message in tls(source)


@pytest.mark.parametrize("source", [
    "import requests\nrequests.get('u', verify='/etc/ca.pem')",
    "import requests\nrequests.get('u', verify=True)",
    "import os\nV = os.getenv('VERIFY_SSL', 'true')",
    "import ssl\nctx = ssl.create_default_context()\nctx.verify_mode = ssl.CERT_REQUIRED",
    # CERT_NONE compared (a guard refusing it), not used
    "import ssl\nif ctx.verify_mode == ssl.CERT_NONE:\n    raise RuntimeError('verify!')",
    "class S:\n    verify_ssl: bool = True",
    "import os\nverify = os.getenv('VERIFY_SSL') != 'false'",
    # ssl=False on a database client turns TLS off entirely: not this rule
    "import asyncpg\nasyncpg.connect(dsn, ssl=False)",
    # a function's own verify flag that is not a TLS setting read from config
    "jwt_options = {'verify_exp': True}",
    "SSL_VERIFY_DOC = 'set VERIFY_SSL=false only in the lab'",
])
def test_tls_verification_near_misses(source: str) -> None:
    assert tls(source) == []


@pytest.mark.parametrize("source,level", [
    ("from fastapi.middleware.cors import CORSMiddleware\napp.add_middleware(CORSMiddleware, "
     "allow_origins=['*'], allow_credentials=True)", "error"),
    ("from starlette.middleware.cors import CORSMiddleware\n"
     "from starlette.middleware import Middleware\nMiddleware(CORSMiddleware, "
     "allow_origin_regex='.*', allow_credentials=True)", "error"),
    ("from fastapi.middleware.cors import CORSMiddleware\napp.add_middleware(CORSMiddleware, "
     "allow_origin_regex=r'https://.*', allow_credentials=True)", "error"),
    ("from flask_cors import CORS\nCORS(app, supports_credentials=True)", "error"),
    ("from flask_cors import CORS\nCORS(app, origins='*', supports_credentials=True)", "error"),
    ("from flask_cors import CORS\nCORS(app, resources={r'/api/*': {'origins': r'.*'}}, "
     "supports_credentials=True)", "error"),
    ("CORS_ALLOW_ALL_ORIGINS = True\nCORS_ALLOW_CREDENTIALS = True\n", "error"),
    ("CORS_ORIGIN_ALLOW_ALL = True\nCORS_ALLOW_CREDENTIALS = True\n", "error"),
    ("CORS_ALLOWED_ORIGIN_REGEXES = [r'^https://.*$']\nCORS_ALLOW_CREDENTIALS = True\n",
     "error"),
    ("import aiohttp_cors\naiohttp_cors.setup(app, defaults={'*': aiohttp_cors.ResourceOptions("
     "allow_credentials=True)})", "error"),
    # any origin without credentials: public data only, a warning
    ("from fastapi.middleware.cors import CORSMiddleware\napp.add_middleware(CORSMiddleware, "
     "allow_origins=['*'])", "warning"),
    ("from flask_cors import CORS\nCORS(app)", "warning"),
    ("CORS_ALLOW_ALL_ORIGINS = True\nCORS_ALLOW_CREDENTIALS = False\n", "warning"),
    # near misses
    ("from fastapi.middleware.cors import CORSMiddleware\napp.add_middleware(CORSMiddleware, "
     "allow_origins=['https://app.example'], allow_credentials=True)", None),
    ("from fastapi.middleware.cors import CORSMiddleware\napp.add_middleware(CORSMiddleware, "
     r"allow_origin_regex=r'https://[a-z]+\.example\.com', allow_credentials=True)", None),
    ("from flask_cors import CORS\nCORS(app, origins=['https://a'], supports_credentials=True)",
     None),
    ("from flask_cors import CORS\nCORS(app, resources={r'/api/*': {'origins': ORIGINS}}, "
     "supports_credentials=True)", None),
    ("CORS_ALLOWED_ORIGIN_REGEXES = [r'^https://\\w+\\.example\\.com$']\n"
     "CORS_ALLOW_CREDENTIALS = True\n", None),
    ("app.add_middleware(GZipMiddleware, allow_origins=['*'], allow_credentials=True)", None),
])
def test_cors(source: str, level: str | None) -> None:
    found = auth.cors_wildcard_with_credentials([module_of(source)])
    assert [str(f.level) for f in found] == ([level] if level else [])
    assert all(f.rule in cors.RULES and f.snippet for f in found)


def jwt(*sources: tuple[str, str]) -> list[tuple[int, bool, bool, bool, bool]]:
    uses = auth.jwt_uses([module_of(src, rel) for src, rel in sources])
    return [(u.line, u.guarded, u.hardcoded, u.weak_algorithm, u.verify_off) for u in uses]


def test_jwt_secret_guarded_unguarded_hardcoded() -> None:
    settings = ("import os\nJWT_SECRET = os.environ['JWT_SECRET']\n"
                "if len(JWT_SECRET) < 32:\n    raise SystemExit('weak key')\n", "app/settings.py")
    pw = planted_password()
    tokens = (f'''
        import jwt
        from app.settings import JWT_SECRET
        def issue(sub):
            return jwt.encode({{"sub": sub}}, JWT_SECRET, algorithm="HS256")
        def check(t):
            return jwt.decode(t, settings.other_key, algorithms=["HS256"])
        def bad(t):
            return jwt.decode(t, "{pw}", algorithms=["none"])
        def lax(t):
            return jwt.decode(t, options={{"verify_signature": False}}, key=JWT_SECRET)
        ''', "app/tokens.py")
    assert jwt(settings, tokens) == [(4, True, False, False, False),
                                     (6, False, False, False, False),
                                     (8, False, True, True, False), (10, True, False, False, True)]
    uses = auth.jwt_uses([module_of(*settings), module_of(*tokens)])
    findings = auth.jwt_findings(uses)
    assert [(f.line, f.rule) for f in findings] == [
        (6, ""), (8, ""), (10, "")]
    assert "hardcoded signing key" in findings[1].message and "alg 'none'" in findings[1].message
    assert all(pw not in f.snippet + f.message for f in findings)
    assert all(pw not in u.key for u in uses)


@pytest.mark.parametrize("guard", [
    "if len(KEY) < 32:\n    raise SystemExit(1)",
    "assert len(KEY) >= MIN_KEY_BYTES",
    "if 32 > len(KEY.encode()):\n    raise SystemExit(1)",
    "check_entropy(KEY)",
])
def test_jwt_guards(guard: str) -> None:
    source = f"import jwt, os\nKEY = os.environ['K']\n{guard}\njwt.encode({{}}, KEY)\n"
    assert [g for _, g, *_ in jwt((source, "app/a.py"))] == [True]


@pytest.mark.parametrize("not_a_guard", [
    "if len(KEY) == 0:\n    raise SystemExit(1)",  # presence is not strength
    "if not KEY:\n    raise SystemExit(1)",
    "if len(KEY) < 8:\n    raise SystemExit(1)",  # too short to mean anything
    "if len(OTHER) < 32:\n    raise SystemExit(1)",
])
def test_jwt_near_miss_guards(not_a_guard: str) -> None:
    source = f"import jwt, os\nKEY = os.environ['K']\n{not_a_guard}\njwt.encode({{}}, KEY)\n"
    assert [g for _, g, *_ in jwt((source, "app/a.py"))] == [False]


def test_jwt_pydantic_field_and_validator_guards() -> None:
    field = ("import jwt\nclass S(BaseSettings):\n    jwt_secret: str = Field(min_length=32)\n"
             "jwt.encode({}, s.jwt_secret)\n")
    validator = ("import jwt\nclass S(BaseSettings):\n    signing_key: SecretStr\n"
                 "    @field_validator('signing_key')\n    def strong(cls, v):\n"
                 "        if len(v.get_secret_value()) < 32:\n"
                 "            raise ValueError('weak')\n"
                 "        return v\n"
                 "jwt.encode({}, s.signing_key.get_secret_value())\n")
    assert jwt((field, "app/a.py")) == [(4, True, False, False, False)]
    constr = ("import jwt\nclass S(BaseSettings):\n    jwt_secret: constr(min_length=32)\n"
              "jwt.encode({}, s.jwt_secret)\n")
    assert jwt((constr, "app/a.py")) == [(4, True, False, False, False)]
    assert jwt((validator, "app/a.py")) == [(9, True, False, False, False)]


def test_jwt_asymmetric_keys_need_no_length_guard_and_constants_are_hardcoded() -> None:
    pw = planted_password()
    source = (f"import jwt\nfrom jose import jwt as jose_jwt\nSECRET = '{pw}'\n"
              "jwt.encode({}, private_pem, algorithm='RS256')\n"
              "jose_jwt.decode(t, public_pem, algorithms=['ES256'])\n"
              "jwt.encode({}, SECRET, algorithm='HS256')\n")
    assert jwt((source, "app/a.py")) == [(4, True, False, False, False),
                                        (5, True, False, False, False),
                                        (6, False, True, False, False)]


@pytest.mark.parametrize("source,count", [
    ("create_user('admin', 'admin')", 1),
    ("User.objects.create_superuser(username='admin', password='changeme')", 1),
    ("import os\nP = os.getenv('ADMIN_PASSWORD', 'x')", 1),
    ("ADMIN_PASSWORD = 'hunter2'", 1),
    ("class S(BaseSettings):\n    admin_password: str = 'admin'", 1),
    ("SEED = [{'username': 'root', 'password': 'toor'}]", 1),
    ("DEFAULTS = {'ADMIN_PASSWORD': 'letmein'}", 1),
    # near misses
    ("import os\nP = os.environ['ADMIN_PASSWORD']", 0),
    ("import os\nP = os.getenv('ADMIN_PASSWORD')", 0),
    ("import os\nP = os.getenv('ADMIN_PASSWORD', '')", 0),
    ("create_user('admin', os.environ['ADMIN_PASSWORD'])", 0),
    ("create_user('alice', 'admin')", 0),
    ("print('admin', 'admin')", 0),  # not a user-creating call
    ("ADMIN_PASSWORD = '${ADMIN_PASSWORD}'", 0),
    ("ADMIN_PASSWORD = 'ADMIN_PASSWORD'", 0),  # the name of an environment variable
    ("ADMIN_PASSWORD_FILE = '/run/secrets/admin'", 0),
    ("create_user(username='admin', password=generate_password())", 0),
])
def test_default_admin(source: str, count: int) -> None:
    found = auth.default_admin_credentials([module_of(source)])
    assert len(found) == count
    assert all(f.rule == "" and f.line for f in found)


def test_default_admin_snippet_hides_a_real_password() -> None:
    pw = planted_password()
    found = auth.default_admin_credentials([module_of(f"ADMIN_PASSWORD = '{pw}'\n")])
    assert len(found) == 1 and pw not in found[0].snippet and "chars)" in found[0].snippet


def test_password_hashing() -> None:
    weak = module_of("import hashlib\ndef h(password):\n"
                     "    return hashlib.md5(password.encode()).hexdigest()\n"
                     "def ok(user, password):\n    return user.password == password\n")
    found = auth.password_hashing([weak])
    assert [(f.rule, f.line) for f in found.weak] == [("weak-hash", 3),
                                                      ("plaintext", 5)]
    strong = module_of("from passlib.hash import argon2\nimport hashlib\n"
                       "digest = hashlib.sha256(file_bytes).hexdigest()\n"
                       "ok = argon2.verify(password, user.password_hash)\n")
    found = auth.password_hashing([strong])
    assert found.strong and not found.weak


@pytest.mark.parametrize("source,rules", [
    ("import hashlib\nh = hashlib.sha256((salt + pw).encode())", ["weak-hash"]),
    ("import hashlib\nh = hashlib.new('sha1', password)", ["weak-hash"]),
    ("import hmac\nok = hmac.compare_digest(user.password, password)",
     ["plaintext"]),
    # near misses
    ("if form.password != form.confirm_password:\n    raise ValueError", []),
    ("if new_password == old_password:\n    raise ValueError", []),
    ("import hashlib\nok = hmac.compare_digest(user.password_hash, hash_of(password))", []),
    ("import hashlib\netag = hashlib.md5(body).hexdigest()", []),
    ("if password == '':\n    raise ValueError", []),
    ("import bcrypt\nok = bcrypt.checkpw(password.encode(), user.password_hash)", []),
])
def test_password_hashing_cases(source: str, rules: list[str]) -> None:
    assert [f.rule for f in auth.password_hashing([module_of(source)]).weak] == rules


def test_password_hashing_in_tests_is_ignored() -> None:
    module = module_of("import hashlib\nhashlib.md5(password.encode())\n", "tests/test_pw.py")
    assert auth.password_hashing([module]).weak == []


def test_revocation_defined_and_called() -> None:
    issuing = "import jwt\ndef login():\n    return jwt.encode({}, KEY)\n"
    dead = module_of(issuing + "def revoke_token(jti):\n    DENY.add(jti)\n", "app/a.py")
    found = auth.revocation([dead])
    assert found.issues_tokens and found.defined and not found.called
    findings = auth.revocation_findings(found, lambda rel: dead.lines)
    assert [(f.rule, f.file, f.line) for f in findings] == [
        ("", "app/a.py", 3)]
    assert "never called" in findings[0].message and findings[0].snippet
    route = module_of(issuing + "@app.post('/logout')\ndef logout():\n    pass\n", "app/b.py")
    assert auth.revocation([route]).called
    caller = module_of("from app.a import revoke_token\ndef change_password(u):\n"
                       "    revoke_token(u.jti)\n", "app/c.py")
    assert auth.revocation([dead, caller]).called
    assert auth.revocation_findings(auth.revocation([dead, caller]), lambda rel: []) == []


@pytest.mark.parametrize("source", [
    "x = 1",
    "data = 'text'.encode()\npw = password.encode('utf-8')",  # str.encode issues no token
])
def test_no_token_issuer(source: str) -> None:
    assert not auth.revocation([module_of(source)]).issues_tokens


def test_revocation_only_called_from_tests_or_itself_is_not_called() -> None:
    app = module_of("from flask_jwt_extended import create_access_token\n"
                    "def login():\n    return create_access_token('u')\n"
                    "def revoke(jti, depth=0):\n    if depth:\n        revoke(jti, depth - 1)\n",
                    "app/a.py")
    test = module_of("from app.a import revoke\ndef test_r():\n    revoke('j')\n",
                     "tests/test_a.py")
    found = auth.revocation([app, test])
    assert found.defined == ["app/a.py:4 revoke"] and found.called == []


def test_auth_events_logged() -> None:
    module = module_of('''
        import logging
        log = logging.getLogger(__name__)
        def login(user, pw):
            if not check(user, pw):
                log.warning("login failed for %s", user)
                return None
            log.info("login ok for %s", user)
        def logout(user):
            SESSIONS.pop(user)
        def authenticate(request):
            audit_event("auth", request.user)
        def login_page():
            return render("login.html")
        ''')
    seen, found = auth.unlogged_auth_events([module])
    assert seen == 3 and [(f.message, f.line) for f in found] == [
        ("logout() logs no success or failure", 8)]


def test_suite_outcomes(run_suite) -> None:
    files = {
        "app/client.py": "import requests\nrequests.get('u', verify=False, timeout=3)\n",
        "app/tokens.py": "import jwt, os\nKEY = os.environ['KEY']\n"
                         "def login():\n    return jwt.encode({}, KEY)\n",
        "tests/test_tls.py": "import requests\nrequests.get('u', verify=False)\n",
    }
    run = run_suite("auth", files)
    assert run.outcome("auth.tls-verification") == "fail"
    assert run.rules("auth.tls-verification", "note") == ["auth.tls-verification:verify-off"]
    assert run.outcome("auth.cors-credentials") == "pass"
    # a key from settings with no length check is a gap (warning); design choices too
    assert run.outcome("auth.jwt-secret-strength") == "warn"
    assert run.rules("auth.jwt-secret-strength", "warning") == ["auth.jwt-secret-strength"]
    assert run.outcome("auth.default-admin") == "pass"
    assert run.outcome("auth.password-hashing") == "skip"
    check = run.check("auth.token-revocation")
    assert check["outcome"] == "warn"
    assert "no revocation path" in check["message"]
    assert check["evidence"]["token_issued_at"] == ["app/tokens.py:4 jwt.encode"]
    assert run.outcome("auth.events-logged") == "warn"
    assert run.check("auth.events-logged")["category"] == "monitoring"
    for check in run.checks:  # every located finding maps to SARIF
        for f in check["evidence"].get("findings", []):
            assert f["rule"] and f["file"] and f["line"] and f["snippet"], f
    # the restricted profile makes the same warnings fail
    strict = run_suite("auth", files, "{path: code}", "--readiness-profile", "restricted")
    assert {c: strict.outcome(c) for c in ("auth.jwt-secret-strength", "auth.token-revocation",
                                           "auth.events-logged")} == dict.fromkeys(
        ("auth.jwt-secret-strength", "auth.token-revocation", "auth.events-logged"), "fail")


def test_suite_passes_a_well_built_service(run_suite) -> None:
    run = run_suite("auth", {
        "app/settings.py": "import os\nJWT_SECRET = os.environ['JWT_SECRET']\n"
                           "if len(JWT_SECRET) < 32:\n"
                           "    raise SystemExit('JWT_SECRET too short')\n",
        "app/auth.py": '''
            import logging
            import jwt
            from argon2 import PasswordHasher
            from fastapi.middleware.cors import CORSMiddleware
            from app.settings import JWT_SECRET
            log = logging.getLogger("auth")
            hasher = PasswordHasher()
            app.add_middleware(CORSMiddleware, allow_origins=["https://app.example"],
                               allow_credentials=True)
            def login(user, password):
                if not hasher.verify(user.password_hash, password):
                    log.warning("login failed user=%s", user.id)
                    return None
                log.info("login ok user=%s", user.id)
                return jwt.encode({"sub": user.id}, JWT_SECRET, algorithm="HS256")
            @app.post("/logout")
            def logout(token):
                DENYLIST.add(jwt.decode(token, JWT_SECRET, algorithms=["HS256"])["jti"])
                log.info("logout")
            ''',
    })
    assert {c["id"]: c["outcome"] for c in run.checks} == {
        "auth.tls-verification": "pass", "auth.cors-credentials": "pass",
        "auth.jwt-secret-strength": "pass", "auth.default-admin": "pass",
        "auth.password-hashing": "pass", "auth.token-revocation": "pass",
        "auth.events-logged": "pass"}


def test_suite_inline_and_config_suppressions(run_suite) -> None:
    run = run_suite("auth", {
        "app/lab.py": "import requests\n"
                      "requests.get('u', verify=False)  # readiness: ignore[tls.*] lab device\n",
        "vendor/x.py": "import requests\nrequests.get('u', verify=False)\n",
        "app/seed.py": "create_user('admin', 'admin')\n",
    }, "{path: code, ignore: [{rule: 'tls.verify-off', paths: ['vendor/*'], reason: vendored}]}")
    check = run.check("auth.tls-verification")
    assert check["outcome"] == "pass"
    assert check["evidence"]["suppressed"] == [
        {"rule": "auth.tls-verification:verify-off", "file": "app/lab.py", "line": 2,
         "reason": "lab device", "by": "inline"},
        {"rule": "auth.tls-verification:verify-off", "file": "vendor/x.py", "line": 2,
         "reason": "vendored", "by": "config"}]
    assert run.outcome("auth.default-admin") == "fail"
    assert run.findings("auth.default-admin")[0]["line"] == 1


NETBOX_STYLE = {
    "configuration/configuration.py": """
        import os

        def _environ_get_and_map(name, default=None, map_fn=None):
            value = os.environ.get(name, default)
            return map_fn(value) if map_fn else value

        _AS_BOOL = lambda value: value.lower() == "true"

        CORS_ORIGIN_ALLOW_ALL = _environ_get_and_map("CORS_ORIGIN_ALLOW_ALL", "False", _AS_BOOL)
        CORS_ORIGIN_WHITELIST = []
        """,
    "docker-compose.yml": """
        services:
          netbox:
            build: .
            env_file: env/netbox.env
        """,
    "Dockerfile": "FROM python:3.12-slim\nCOPY configuration /etc/netbox/config\n",
}


@pytest.mark.parametrize("deployed,outcome,where", [
    ("CORS_ORIGIN_ALLOW_ALL=True\n", "warn", ("env/netbox.env", 1)),
    ("CORS_ORIGIN_ALLOW_ALL=False\n", "pass", None),
    ("DB_HOST=postgres\n", "pass", None),  # unset: the code's default (False) stands
])
def test_cors_switched_on_by_the_deployment(run_suite, deployed: str, outcome: str,
                                            where: tuple[str, int] | None) -> None:
    """A setting read from the environment is judged with the value the production
    deployment gives it (compose env_file), and reported where that value is written."""
    run = run_suite("auth", {**NETBOX_STYLE, "env/netbox.env": deployed})
    result = run.check("auth.cors-credentials")
    assert result["outcome"] == outcome, result["message"]
    found = [(f["file"], f["line"]) for f in run.findings("auth.cors-credentials")
             if f["level"] != "note"]
    assert found == ([where] if where else [])
    if where:
        assert "read by configuration/configuration.py:9" in result["message"]


def test_cors_on_by_default_when_the_deployment_says_nothing(run_suite) -> None:
    files = {**NETBOX_STYLE, "docker-compose.yml": "services:\n  netbox:\n    build: .\n"}
    files["configuration/configuration.py"] = files["configuration/configuration.py"].replace(
        '"CORS_ORIGIN_ALLOW_ALL", "False"', '"CORS_ORIGIN_ALLOW_ALL", "True"')
    run = run_suite("auth", files)
    assert run.outcome("auth.cors-credentials") == "warn"
    (finding,) = run.findings("auth.cors-credentials")
    assert (finding["file"], finding["line"]) == ("configuration/configuration.py", 9)
    assert "by default (CORS_ORIGIN_ALLOW_ALL unset)" in finding["message"]
