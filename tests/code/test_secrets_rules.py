"""Secrets: AST fallbacks, keyword arguments, assignments, .env files, templates, config keys."""

from __future__ import annotations

import os
import subprocess

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pytest_readiness.plumbing import redact
from pytest_readiness.probes.code import secrets
from tests.code.conftest import inventory_of, module_of, planted_key, planted_password


def rules_of(source: str, rel: str = "app/settings.py") -> list[tuple[str, str]]:
    return [(f.rule, f.context) for f in secrets.scan_module(module_of(source, rel))]


@pytest.mark.parametrize("source", [
    'import os\nA = os.getenv("DB_PASSWORD", "secret")',
    'import os\nA = os.environ.get("API_TOKEN", "{pw}")',
    'A = settings.get("ADMIN_PASSWORD", "admin")',
    'from decouple import config\nA = config("SECRET_KEY", default="{pw}")',
])
def test_hardcoded_fallback_is_live(source: str) -> None:
    found = rules_of(source.format(pw=planted_password()))
    assert found == [("fallback-default", "code")]


@pytest.mark.parametrize("source", [
    'import os\nA = os.getenv("DB_PASSWORD")',  # no default: fine
    'import os\nA = os.environ["DB_PASSWORD"]',
    'import os\nA = os.getenv("DB_PASSWORD", "")',
    'import os\nA = os.getenv("DB_HOST", "db.internal.example")',  # not a secret name
    'import os\nA = os.getenv("PASSWORD_FILE", "/run/secrets/db")',  # a path to a secret
    'A = os.getenv("TOKEN_URL", "https://auth/token")',
])
def test_environment_reads_without_secret_default_are_fine(source: str) -> None:
    assert rules_of(source) == []


def test_placeholder_fallback_is_only_a_note() -> None:
    assert rules_of('import os\nA = os.getenv("API_KEY", "sk-xxx")') == [
        ("fallback-default", "placeholder")]
    assert rules_of('A = os.getenv("API_KEY", "${API_KEY}")') == [
        ("fallback-default", "placeholder")]


def test_keyword_argument_and_assignment() -> None:
    pw = planted_password()
    found = rules_of(f'connect(host="db", password="{pw}")\nDB_PASSWORD = "{pw}"\n'
                     f'cfg = {{"client_secret": "{pw}"}}\nclass S:\n    api_key: str = "{pw}"\n')
    assert [r for r, _ in found] == ["keyword-argument", "assignment",
                                     "assignment", "assignment"]


def test_identifiers_and_env_var_names_are_not_secrets() -> None:
    assert rules_of('password = "DB_PASSWORD"\ntoken = settings.token\n'
                    'form(password="Password")\nsort_key = "q8Zr7Lx2Vw9Kp3Tn"\n') == []


def test_docstring_example_is_docs_not_live() -> None:
    key = planted_key()
    found = rules_of(f'def f():\n    """Call it with sk like:\n\n        KEY = "{key}"\n    """\n')
    assert found == [("api-key", "docs")]


def test_test_files_are_test_context() -> None:
    found = rules_of(f'KEY = "{planted_key()}"', rel="tests/test_api.py")
    assert {c for _, c in found} == {"test"}


def test_snippets_never_hold_the_value() -> None:
    pw, key = planted_password(), planted_key()
    module = module_of(f'import os\nA = os.getenv("DB_PASSWORD", "{pw}")\nK = "{key}"\n'
                       f'connect(password="{pw}", token="{key}")\n')
    found = secrets.scan_module(module)
    assert len(found) >= 3
    for f in found:
        assert pw not in repr(f) and key not in repr(f)


@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126,
                                      blacklist_characters="\"'\\"), min_size=8, max_size=40))
def test_no_finding_repeats_its_value(value: str) -> None:
    module = module_of(f'DB_PASSWORD = "{value}"\nconnect(password="{value}")\n')
    for f in secrets.scan_module(module):
        assert value not in f.snippet and value not in f.redacted


def test_env_files_in_a_tree_without_git(tmp_path) -> None:
    inv = inventory_of(tmp_path, {".env": "A=1\nB=2\n", ".env.example": "A=\n",
                                  "tests/.env": "A=1\n", "deploy/prod.env": "X=1\n"})
    found = secrets.env_files(inv, secrets.git_tracked(tmp_path))
    assert [(f.file, f.tracked, f.keys) for f in found] == [(".env", None, 2),
                                                             ("deploy/prod.env", None, 1)]


def test_env_files_judged_by_git_ls_files(tmp_path) -> None:
    inv = inventory_of(tmp_path, {".env": "A=1\n", "ok/.env.local": "B=1\n"})
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, env=env)
    subprocess.run(["git", "-C", str(tmp_path), "add", ".env"], check=True, env=env)
    tracked = secrets.git_tracked(tmp_path)
    assert tracked == {".env"}
    found = {f.file: f.tracked for f in secrets.env_files(inv, tracked)}
    assert found == {".env": True, "ok/.env.local": False}


def test_templates_with_real_values_and_placeholders(tmp_path) -> None:
    pw = planted_password()
    inv = inventory_of(tmp_path, {
        # changeme and admin are what a template should hold: placeholders, not findings
        ".env.example": f"DB_HOST=db\nDB_PASSWORD={pw}\nAPI_KEY=changeme\nTOKEN=<token>\n"
                        "ADMIN_PASSWORD=admin\n"
                        "SECRET_KEY=${SECRET_KEY}\n",
        "config.sample.yaml": f'api_key: "{planted_key()}"\n',
        "clean.env.example": "DB_PASSWORD=\nAPI_KEY=your-api-key\n",
    })
    found = secrets.template_findings(inv)
    assert sorted((f.file, f.line, f.rule) for f in found) == [
        (".env.example", 2, ""),
        ("config.sample.yaml", 1, "api-key"),
    ]
    assert all(pw not in f.snippet for f in found)


@pytest.mark.parametrize("name,text", [
    ("app.yaml", "site_id: 7\napi_key: x\napi: {endpoint: https://x}\n"),
    ("app.json", '{"site_id": 7, "api_key": "x", "api": {"endpoint": "https://x"}}'),
    ("app.toml", 'site_id = 7\napi_key = "x"\n[api]\nendpoint = "https://x"\n'),
    ("app.ini", "[main]\nsite_id = 7\napi_key = x\n[api]\nendpoint = https://x\n"),
    ("app.env", "SITE_ID=7\napi_key=x\napi.endpoint=https://x\nsite_id=7\n"),
])
def test_config_keys_every_format(tmp_path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    (tmp_path / name).chmod(0o600)
    problems, facts = secrets.config_file_problems(tmp_path, name, ["site_id", "api_key",
                                                                    "api.endpoint"], 0o600)
    assert problems == [] and facts["mode"] == "0600"


def test_config_keys_missing_empty_mode_and_parse_errors(tmp_path) -> None:
    (tmp_path / "a.yaml").write_text("site_id: 7\napi_key: ''\n")
    (tmp_path / "a.yaml").chmod(0o644)
    problems, facts = secrets.config_file_problems(tmp_path, "a.yaml",
                                                   ["site_id", "api_key", "api_endpoint"], 0o600)
    assert [p.problem for p in problems] == [
        "mode 0644 is looser than 0600", "required key 'api_endpoint' is missing",
        "required key 'api_key' is empty"]
    (tmp_path / "b.yaml").write_text("a: [1\n")
    problems, _ = secrets.config_file_problems(tmp_path, "b.yaml", ["a"], None)
    assert problems[0].problem.startswith("cannot parse b.yaml: ") and problems[0].line
    problems, _ = secrets.config_file_problems(tmp_path, "missing.yaml", ["a"], None)
    assert problems[0].problem.startswith("cannot read missing.yaml")


@pytest.mark.parametrize("value,placeholder", [
    ("sk-xxx", True), ("sk-xxxxxxxxxxxxxxxxxxxxxxxx", True), ("AKIAIOSFODNN7EXAMPLE", True),
    ("your_api_key", True), ("<REDACTED>", True), ("FAKE-TOKEN", True),
    # random keys that spell a placeholder word by chance, in mixed case or around x's
    ("C9xxxCY1uMsegZtkryau8a72", False), ("b2EXxXLPDpWz9ArEEkh_x6s8", False),
    ("BDTfakE_Bc6TvD87DHnDHiTH", False),
])
def test_placeholder_words_in_random_keys(value: str, placeholder: bool) -> None:
    assert redact.is_placeholder(value) is placeholder


@pytest.mark.parametrize("source", [
    'SECRET_KEY = "SECRET_KEY"', 'refresh_token = "refresh_token"',
    'REFRESH_TOKEN = "refresh_token"', 'GRANT_TYPE_PASSWORD = "password"',
    'PASSWORD_GRANT = "password"', 'grantTypePassword = "password"',
    'TOKEN = "/api/token"', 'API_TOKEN = "/v1/{tenant}/token"',
    'TOKEN_KIND = "urn:ietf:params:oauth:token-type:jwt"', 'ACCESS_TOKEN = "bearer"',
    'EXAMPLE_API_KEY = "<your-api-key>"', 'API_KEY = "${API_KEY}"',
    'from enum import Enum\nclass GrantType(str, Enum):\n    PASSWORD = "password"\n'
    '    CLIENT_CREDENTIALS = "client_credentials"\n    SECRET = "secret"',
    'class Kind(models.TextChoices):\n    TOKEN = "tok", "Token"',
    'login(grant_type_password="password")',
])
def test_constants_that_name_a_secret_hold_none(source: str) -> None:
    """Issue 15.9: protocol and form constants, URL paths, enum members and placeholders."""
    assert rules_of(source) == []


@pytest.mark.parametrize("source,rule", [
    ('ADMIN_PASSWORD = "password"', "assignment"),  # weak, not a grant type
    ('GRANT_TYPE_PASSWORD = "{pw}"', "assignment"),  # a plain word only under a qualifier
    ('TOKEN = "/{pw}"', "assignment"),  # not a path: a slash and a random value is no path
    ('class Keys(Enum):\n    STRIPE = "{key}"', "api-key"),  # a known format anywhere
])
def test_near_misses_stay_found(source: str, rule: str) -> None:
    found = rules_of(source.format(pw=planted_password(), key=planted_key()))
    assert [r for r, _ in found] == [rule]


@given(st.from_regex(r"[A-Z][A-Z_]{2,20}", fullmatch=True))
def test_a_value_spelling_its_name_is_never_a_secret(name: str) -> None:
    from pytest_readiness.plumbing.names import names_a_constant

    assert names_a_constant(name, name.lower())
    assert names_a_constant(name, name.replace("_", "-").lower())


@given(st.lists(st.from_regex(r"[A-Z]{2,8}", fullmatch=True), min_size=2, max_size=5),
       st.data())
def test_a_value_echoing_words_of_its_name_is_a_placeholder(parts: list[str],
                                                            data: st.DataObject) -> None:
    """Two or more consecutive words of the name, in any case and separator, echo it; the
    same words in another order, or one word alone, do not."""
    from pytest_readiness.plumbing.names import echoes_name

    name = "_".join(parts)
    start = data.draw(st.integers(0, len(parts) - 2))
    end = data.draw(st.integers(start + 2, len(parts)))
    sep = data.draw(st.sampled_from(["_", "-"]))
    assert echoes_name(name, sep.join(parts[start:end]).lower())
    assume(parts[start:end] != parts[start:end][::-1])
    reversed_words = sep.join(reversed(parts[start:end])).lower()
    assume(not any(parts[i:i + end - start] == parts[start:end][::-1]
                   for i in range(len(parts))))
    assume("".join(reversed(parts[start:end])) != "".join(parts))  # AA_AAA and AAA_AA
    assert not echoes_name(name, reversed_words)


@pytest.mark.parametrize(("name", "value", "echoes"), [
    ("POSTGRES_ASTRONOMY_PASSWORD", "astronomy_password", True),
    ("DB_PASSWORD", "db-password", True),
    ("SECRET_KEY", "SecretKey", True),
    ("DB_PASSWORD", "password", False),  # one word: a weak value, judged as such
    ("DB_PASSWORD", "db_password_2024", False),  # more than the name
    ("API_TOKEN", "Zr8q2LwX", False),
])
def test_echoes_name(name: str, value: str, echoes: bool) -> None:
    from pytest_readiness.plumbing.names import echoes_name

    assert echoes_name(name, value) is echoes


@pytest.mark.parametrize("source,found", [
    ('log.info(f"issued {token} for {user}")', ["token"]),
    ('logger.warning("login %s with %s", user, password)', ["password"]),
    ('log.info("issued {} for {}".format(token, user))', ["token"]),
    ('log.info("issued %s" % (settings.api_key,))', ["api_key"]),
    ('log.info("issued", extra={"token": token, "subject": user})', ["token"]),
    ('log.info("issued", extra={"subject": creds["password"]})', ["password"]),
    ('structlog.get_logger().info("login", user=user, password=pw)', ["password"]),
    ('print("token", token)', ["token"]),
    ('sys.stderr.write(f"secret={client_secret}\\n")', ["client_secret"]),
    # kept out of the log: masked, a length, a prefix, names that are about a secret
    ('log.info("issued %s", mask(token))', []),
    ('log.info("token of %d chars, %s...", len(token), token[:4])', []),
    ('log.info("type %s ttl %s", token_type, token_ttl)', []),
    ('log.info("issued token for %s", user)', []),
    ('log.info("issued", extra={"token": redact(token)})', []),
    ('cache.set("token", token)', []),  # not a logging call
    ('log.info("x", exc_info=True)', []),
])
def test_secrets_in_logs(source: str, found: list[str]) -> None:
    findings = secrets.logged_secrets(module_of(source))
    assert [f.line for f in findings] == ([1] if found else [])
    for name in found:
        assert name in findings[0].message


def test_a_weak_value_under_an_unqualified_name_stays_weak() -> None:
    assert [r for r, _ in rules_of('COOKIE_SECRET = "changeme"\nSESSION_SECRET = "letmein"')] \
        == ["assignment", "assignment"]


@pytest.mark.parametrize(("key", "value", "verdict"), [
    ("POSTGRES_PASSWORD", "changeit", "placeholder"),  # says it is to be replaced
    ("API_TOKEN", "<token>", "placeholder"),
    ("POSTGRES_ASTRONOMY_PASSWORD", "astronomy_password", "placeholder"),  # its own name
    ("SECRET_KEY", "secretkey", "placeholder"),
    ("SECRET", "secret", "weak"),  # a well-known default, though it spells its name
    ("REDIS_PASSWORD", "postgres", "weak"),
    ("DB_PASSWORD", "abab", "unclear"),  # neither a placeholder nor real-looking
    ("DB_PASSWORD", "J5brHrAXFLQSif0K", "real"),
    ("DB_PORT", "5432", "setting"),
    ("DB_PASSWORD", "${DB_PASSWORD}", "setting"),  # interpolated, not a value
])
def test_a_committed_env_value_is_judged_by_what_it_holds(key: str, value: str,
                                                          verdict: str) -> None:
    from pytest_readiness.probes.code.secrets import judge_env_value

    assert judge_env_value(key, value) == verdict
