"""The redaction vocabulary against a corpus of real formats: each secret hidden, each
near miss left alone.

Every secret here is generated when the module is imported, in the shape of the real thing
(an AWS key pair, a GCP service account, GitHub/GitLab/Slack/Stripe/npm/PyPI/SendGrid
tokens, JWTs, private keys, URLs with a password, Authorization headers, Django
``SECRET_KEY`` lines, ...): the file holds no credential, real or fake, as a literal.
A pair is (text as a tool, a server or a user writes it, the secrets in it); a near miss
is a text that holds no secret and must come out of :func:`scrub` unchanged.
"""

from __future__ import annotations

import base64
import json
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_readiness.plumbing.names import is_secret_name
from pytest_readiness.plumbing.redact import CODE_PATTERNS, SECRET_PATTERNS, redact, scrub

_RANDOM = random.Random(19)  # the same corpus every run
UPPER_DIGITS = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"


def _make(alphabet: str, n: int) -> str:
    return "".join(_RANDOM.choice(alphabet) for _ in range(n))


def _b64(n: int) -> str:
    return base64.b64encode(_RANDOM.randbytes(n)).decode()


def _jwt() -> str:
    head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    body = base64.urlsafe_b64encode(json.dumps({"sub": _make(ALNUM, 12)}).encode())
    return f"{head}.{body.decode().rstrip('=')}.{_make(ALNUM + '-_', 43)}"


def _pem(kind: str = "RSA ", lines: int = 6) -> tuple[str, str]:
    body = "\n".join(_b64(48) for _ in range(lines))
    return (f"-----BEGIN {kind}PRIVATE KEY-----\n{body}\n-----END {kind}PRIVATE KEY-----",
            body)


AWS_ID = "AKIA" + _make(UPPER_DIGITS, 16)
AWS_SECRET = _make(B64, 40)
AWS_SESSION = _b64(120)
GITHUB = "ghp_" + _make(ALNUM, 36)
GITHUB_PAT = "github_pat_" + _make(ALNUM + "_", 82)
GITLAB = "glpat-" + _make(ALNUM + "-_", 20)
SLACK_BOT = "xoxb-" + "-".join(_make(string.digits, 12) for _ in range(2)) + "-" + _make(ALNUM, 24)
SLACK_HOOK = (f"T{_make(UPPER_DIGITS, 10)}/B{_make(UPPER_DIGITS, 10)}/{_make(ALNUM, 24)}")
STRIPE = "sk_live_" + _make(ALNUM, 24)
STRIPE_RESTRICTED = "rk_live_" + _make(ALNUM, 24)
STRIPE_WEBHOOK = "whsec_" + _make(ALNUM, 32)
GOOGLE = "AIza" + _make(ALNUM + "-_", 35)
NPM = "npm_" + _make(ALNUM, 36)
PYPI = "pypi-AgEIcHlwaS5vcmc" + _make(ALNUM + "-_", 60)
SENDGRID = f"SG.{_make(ALNUM + '-_', 22)}.{_make(ALNUM + '-_', 43)}"
OPENAI = "sk-proj-" + _make(ALNUM, 48)
JWT = _jwt()
PEM, PEM_BODY = _pem()
OPENSSH_PEM, OPENSSH_BODY = _pem("OPENSSH ")
GCP_KEY, GCP_KEY_BODY = _pem("", 4)
DJANGO = "django-insecure-" + _make(string.ascii_lowercase + string.digits + "!@#%^&*(-_=+)", 50)
PASSWORD = "Pw1" + _make(ALNUM, 13)
PASSWORD_2 = _make(ALNUM, 6) + "9!" + _make(ALNUM, 6)
BASIC = base64.b64encode(f"deploy:{PASSWORD}".encode()).decode()
HEX = _make("0123456789abcdef", 32)
SESSION = _make(ALNUM, 32)

GCP_SERVICE_ACCOUNT = json.dumps({
    "type": "service_account", "project_id": "shop-prod", "private_key_id": HEX[:20],
    "private_key": GCP_KEY + "\n", "client_email": "deployer@shop-prod.iam.gserviceaccount.com",
    "client_id": "1" + _make(string.digits, 20), "token_uri": "https://oauth2.googleapis.com/token",
}, indent=2)

# (name of the format, text, the secrets it holds)
PAIRS: list[tuple[str, str, tuple[str, ...]]] = [
    ("AWS credentials file (INI)",
     f"[default]\naws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\n"
     f"aws_session_token = {AWS_SESSION}\n", (AWS_ID, AWS_SECRET, AWS_SESSION)),
    ("AWS error body (JSON)",
     json.dumps({"error": "AccessDenied", "aws_access_key_id": AWS_ID,
                 "aws_secret_access_key": AWS_SECRET}), (AWS_ID, AWS_SECRET)),
    ("AWS environment (env)", f"export AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"
                              f"AWS_SESSION_TOKEN='{AWS_SESSION}'", (AWS_SECRET, AWS_SESSION)),
    ("AWS in YAML", f"aws:\n  secret_access_key: {AWS_SECRET}\n", (AWS_SECRET,)),
    ("GCP service account JSON", GCP_SERVICE_ACCOUNT, (GCP_KEY_BODY.split("\n")[0],
                                                       GCP_KEY_BODY.split("\n")[-1])),
    ("GCP key inside JSON inside JSON", json.dumps({"body": GCP_SERVICE_ACCOUNT}),
     (GCP_KEY_BODY.split("\n")[1],)),
    ("GitHub token in a remote URL", f"https://x-access-token:{GITHUB}@github.com/o/r.git",
     (GITHUB,)),
    ("GitHub token header", f"Authorization: token {GITHUB}", (GITHUB,)),
    ("GitHub fine-grained token, bare", f"using {GITHUB_PAT} for the API", (GITHUB_PAT,)),
    ("GitLab token in CI output", f"CI_JOB_TOKEN used; PRIVATE-TOKEN: {GITLAB}", (GITLAB,)),
    ("Slack bot token", f'{{"ok": false, "token": "{SLACK_BOT}"}}', (SLACK_BOT,)),
    ("Slack webhook", f"posting to https://hooks.slack.com/services/{SLACK_HOOK}",
     (SLACK_HOOK,)),
    ("Stripe keys", f"STRIPE_SECRET_KEY={STRIPE} restricted {STRIPE_RESTRICTED} "
                    f"webhook {STRIPE_WEBHOOK}", (STRIPE, STRIPE_RESTRICTED, STRIPE_WEBHOOK)),
    ("Google API key in a query", f"GET /maps/api/geocode/json?address=x&key={GOOGLE}",
     (GOOGLE,)),
    ("npm token in .npmrc", f"//registry.npmjs.org/:_authToken={NPM}", (NPM,)),
    ("PyPI token in .pypirc", f"[pypi]\nusername = __token__\npassword = {PYPI}\n", (PYPI,)),
    ("SendGrid key", f"SENDGRID_API_KEY={SENDGRID}", (SENDGRID,)),
    ("OpenAI key in Python", f'client = OpenAI(api_key="{OPENAI}")', (OPENAI,)),
    ("JWT, bare", f"issued {JWT} to the client", (JWT,)),
    ("JWT in an Authorization header", f"Authorization: Bearer {JWT}", (JWT,)),
    ("JWT in a JSON body", json.dumps({"access_token": JWT, "expires_in": 3600}), (JWT,)),
    ("RSA private key (PEM)", f"key file:\n{PEM}\n", tuple(PEM_BODY.split("\n"))),
    ("OpenSSH private key, cut off", OPENSSH_PEM[:300], (OPENSSH_BODY.split("\n")[0],)),
    ("basic-auth URL", f"GET https://deploy:{PASSWORD}@registry.example.com/v2/",
     (PASSWORD,)),
    ("PostgreSQL DSN", f"could not connect: postgresql://app:{PASSWORD}@db:5432/app",
     (PASSWORD,)),
    ("Redis URL with no user", f"REDIS_URL=redis://:{PASSWORD}@cache:6379/0", (PASSWORD,)),
    ("Authorization: Basic", f"Authorization: Basic {BASIC}", (BASIC,)),
    ("Proxy-Authorization", f"Proxy-Authorization: Basic {BASIC}", (BASIC,)),
    ("Authorization in a JSON header dump", json.dumps({"Authorization": f"Bearer {HEX}"}),
     (HEX,)),
    ("an API key header", f"X-Api-Key: {HEX}", (HEX,)),
    ("Django SECRET_KEY line", f"SECRET_KEY = '{DJANGO}'", (DJANGO,)),
    ("Django secret in env", f"DJANGO_SECRET_KEY={DJANGO}", (DJANGO,)),
    ("Rails secret_key_base", f"secret_key_base: {HEX}{HEX}", (HEX + HEX,)),
    ("YAML password", f"database:\n  password: {PASSWORD}\n", (PASSWORD,)),
    ("YAML quoted client secret", f'oauth:\n  client_secret: "{PASSWORD_2}"\n', (PASSWORD_2,)),
    ("INI password", f"[db]\npassword = {PASSWORD_2}\n", (PASSWORD_2,)),
    ("camelCase JSON", json.dumps({"clientSecret": PASSWORD, "accessToken": HEX}),
     (PASSWORD, HEX)),
    ("PHP array", f"'db_password' => '{PASSWORD}',", (PASSWORD,)),
    ("free text: the password is", f"login failed for admin: the password is {PASSWORD}",
     (PASSWORD,)),
    ("free text: password was", f"reset done, old password was {PASSWORD_2}",
     (PASSWORD_2,)),
    ("free text: token:", f"token: {HEX}", (HEX,)),
    ("free text: a password with a query-string delimiter",
     f"the new password is {PASSWORD[:8]}&{PASSWORD[8:]}.", (PASSWORD[8:],)),
    ("query string token", f"/callback?state=1&token={HEX}&next=/", (HEX,)),
    ("session cookie", f"Set-Cookie: sessionid={SESSION}; Path=/; HttpOnly", (SESSION,)),
    ("sshpass command line", f"RUN sshpass -p '{PASSWORD}' ssh -o BatchMode=no root@10.0.0.5",
     (PASSWORD,)),
    ("password option, space", f"mysqldump --password {PASSWORD_2} shop", (PASSWORD_2,)),
    ("password option, =", f"psql --password={PASSWORD_2}", (PASSWORD_2,)),
    ("certificate CN holding JSON", f'CN=\\"aws_secret_access_key\\": \\"{HEX}\\"', (HEX,)),
    ("certificate OU holding prose", f"OU=ops: the password is {PASSWORD}", (PASSWORD,)),
    ("certificate SAN holding a key", f"DNS:localhost, DNS:aws_secret_access_key={HEX}",
     (HEX,)),
    ("a secret repeated without its name", f"password={PASSWORD}; retried with {PASSWORD}",
     (PASSWORD,)),
]

NEAR_MISSES = [
    "token_expiry: 2024-01-01T00:00:00Z",
    "the token is expired",
    "the token is expired.",
    "password: (none), retrying",
    "password: required",
    "required key 'db_password' is missing",
    "DB_PASSWORD=${DB_PASSWORD}",
    "password: ${DB_PASSWORD:-}",
    "password_file: /run/secrets/db_password",
    "password_min_length=12",
    "max_tokens=4096",
    "secrets.hardcoded:api-key in app/settings.py:3",
    "auth.password-hashing:weak-hash",
    "Authorization header missing",
    "Authorization: Bearer <token>",
    "https://example.com:8443/mail?to=ops@example.com",
    "postgresql://app@db:5432/app",
    "commit 3f9a1c2e4b5d6f708192a3b4c5d6e7f8091a2b3c",
    "request_id: 123e4567-e89b-12d3-a456-426614174000",
    "CN=api.example.com, OU=Platform Team, O=Example Ltd",
    '{"password": null, "token": "", "api_key": true}',
    "secret_key_base: <%= ENV['SECRET_KEY_BASE'] %>",
    "sk-short",
    "password_hashers: ['django.contrib.auth.hashers.PBKDF2PasswordHasher']",
    "hardcoded credential for API_KEY (sk-l…(40 chars))",
    "DB_PASSWORD = Pw1a…(16 chars)",
    "postgres://app:***@db/app",
    "the cookie banner is shown",
]


@pytest.mark.parametrize(("text", "values"), [(t, v) for _, t, v in PAIRS],
                         ids=[name for name, _, _ in PAIRS])
def test_each_secret_is_redacted(text: str, values: tuple[str, ...]) -> None:
    shown = scrub(text)
    for value in values:
        assert value not in shown, shown
        assert value[4:] not in shown, shown  # not even the part a redaction never keeps
    assert "…(" in shown or "***" in shown  # redacted, not deleted: the reader sees where


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_each_near_miss_is_left_alone(text: str) -> None:
    assert scrub(text) == text


def test_redacted_form_says_where_and_how_long() -> None:
    assert scrub(f'"aws_secret_access_key": "{AWS_SECRET}"') == \
        f'"aws_secret_access_key": "{redact(AWS_SECRET)}"'


def test_code_rules_and_redaction_share_one_table() -> None:
    """Every code rule is a row of the redaction table, and names come from one vocabulary:
    a key the code rules call a secret is redacted after it in text."""
    assert set(CODE_PATTERNS) <= set(SECRET_PATTERNS)
    assert {r.id for r in SECRET_PATTERNS} - {r.id for r in CODE_PATTERNS} == {
        "named-value", "authorization", "bearer", "command-line-password", "private-key-block"}
    for name in ("aws_secret_access_key", "DJANGO_SECRET_KEY", "db.password", "api_key",
                 "GITHUB_TOKEN", "client_secret", "signing_key"):
        assert is_secret_name(name)
        assert PASSWORD not in scrub(f"{name}={PASSWORD}")
        assert PASSWORD not in scrub(f'"{name}": "{PASSWORD}"')


_texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)
_secret_texts = st.sampled_from([t for _, t, _ in PAIRS] + NEAR_MISSES)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_texts, _secret_texts), max_size=4).map("".join))
def test_scrub_is_idempotent(text: str) -> None:
    once = scrub(text)
    assert scrub(once) == once


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _texts | _secret_texts,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.one_of(_texts, st.sampled_from(
        ["password", "aws_secret_access_key", "token", "Authorization", "private_key"])),
        children, max_size=4),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(_json)
def test_scrubbed_json_is_the_same_json_structure(value: object) -> None:
    """Evidence is scrubbed as one JSON text (pytest_readiness/boundary.py): quotes and
    escapes are never redacted, so the text parses back to the same shape."""
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False),
                 json.dumps(json.dumps(value))):
        back = json.loads(scrub(text))
        assert _shape(back) == _shape(json.loads(text))


def _shape(value: object) -> object:
    if isinstance(value, dict):
        return "dict", len(value), sorted(repr(_shape(v)) for v in value.values())
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


@pytest.mark.parametrize("text", [t for _, t, _ in PAIRS], ids=[name for name, _, _ in PAIRS])
def test_a_redacted_value_is_left_alone_inside_json(text: str) -> None:
    """Evidence is scrubbed as ASCII JSON, where "…" is ``\\u2026``: a value redacted at the
    source keeps its length (a scan's ``0123…(40 chars)`` never becomes ``(20 chars)``)."""
    once = scrub(text)
    for dumped in (json.dumps(once), json.dumps({"snippet": once, "message": once})):
        assert scrub(dumped) == dumped
