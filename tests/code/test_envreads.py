"""The env-read model (plumbing/envreads.py) and the negated setting names (plumbing/names.py):
pure, one small source per kind of read."""

from __future__ import annotations

import ast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.plumbing import envreads, names, pyast

HELPERS = '''
import os
from os import environ

def _environ_get_and_map(variable_name, default=None, map_fn=None):
    env_value = environ.get(variable_name, default)
    if env_value is None:
        return env_value
    return map_fn(env_value) if map_fn else env_value

_AS_BOOL = lambda value: value.lower() == "true"

def envbool(key, default=False):
    return os.environ.get(key, str(default)).lower() in ("1", "true")

def envint(key):
    return int(os.getenv(key, "5"))

def required(name):
    return os.getenv(name)

class Config:
    def get(self, key, default=None):
        return os.environ.get(key, default)

REDIS_INSECURE_SKIP_TLS_VERIFY = _environ_get_and_map("REDIS_INSECURE_SKIP_TLS_VERIFY", "False",
                                                      _AS_BOOL)
CORS = _environ_get_and_map("CORS_ORIGIN_ALLOW_ALL", "True", _AS_BOOL)
DEBUG = envbool("DEBUG")
VERIFY = envbool("VERIFY_SSL", default=True)
WORKERS = envint("WORKERS")
SECRET = required("SECRET_KEY")
'''


def _reads(source: str, rel: str = "app/settings.py") -> dict[str, envreads.EnvRead]:
    module = pyast.parse(source, rel)
    known = envreads.helpers([module])
    return {r.name: r for r in envreads.reads(module, known)}


def test_direct_reads_and_their_defaults() -> None:
    found = _reads('import os\nA = os.environ["A"]\nB = os.getenv("B")\nC = os.getenv("C", "c")\n'
                   'D = os.environ.get("D", None)\nE = os.environ.get("E", default=1)\n'
                   'if "F" in os.environ:\n    pass\n')
    assert {n: (r.has_default, r.default_value) for n, r in found.items()} == {
        "A": (False, None), "B": (False, None), "C": (True, "c"), "D": (False, None),
        "E": (True, 1), "F": (True, None)}


def test_or_defaults_count_as_defaults() -> None:
    found = _reads('import os\nX = os.environ.get("X") or "d"\nY = os.environ["Y"] or "y"\n'
                   'Z = os.getenv("Z") or compute()\n')
    assert (found["X"].has_default, found["X"].default_value) == (True, "d")
    assert found["Y"].default_value == "y"
    assert found["Z"].has_default and found["Z"].default_value is envreads.UNKNOWN


def test_wrapper_helpers_are_found_and_their_calls_are_reads() -> None:
    found = _reads(HELPERS)
    assert found["REDIS_INSECURE_SKIP_TLS_VERIFY"].default_value == "False"
    assert found["REDIS_INSECURE_SKIP_TLS_VERIFY"].how == "helper _environ_get_and_map"
    assert found["CORS_ORIGIN_ALLOW_ALL"].default_value == "True"
    assert found["DEBUG"].default_value is False  # the helper's own default parameter
    assert found["VERIFY_SSL"].default_value is True
    assert found["WORKERS"].default_value == "5"  # a literal inside the helper
    assert not found["SECRET_KEY"].has_default


def test_helpers_from_another_module_through_an_import() -> None:
    lib = pyast.parse("import os\ndef env_flag(name, default='0'):\n"
                      "    return os.environ.get(name, default) == '1'\n", "pkg/envtools.py")
    user = pyast.parse("from pkg.envtools import env_flag\nfrom other import thing\n"
                       "A = env_flag('A')\nB = thing('B')\n", "pkg/app.py")
    known = envreads.helpers([lib, user])
    found = {r.name: r for r in envreads.reads(user, known)}
    assert set(found) == {"A"} and found["A"].default_value == "0"


def test_helpers_of_helpers() -> None:
    found = _reads(HELPERS + "def flag(n, d=True):\n    return envbool(n, d)\nF = flag('FLAG')\n")
    assert found["FLAG"].how == "helper flag" and found["FLAG"].default_value is True


def test_library_getters() -> None:
    found = _reads("import environ\nfrom decouple import config\nenv = environ.Env()\n"
                   "A = config('A', default='a')\nB = env('B')\nC = env.bool('C', default=False)\n"
                   "env.read_env('.env')\n")
    assert {n: r.default_value for n, r in found.items()} == {"A": "a", "B": None, "C": False}


def test_settings_classes() -> None:
    found = _reads("from pydantic import Field\nfrom pydantic_settings import BaseSettings, "
                   "SettingsConfigDict\nclass S(BaseSettings):\n"
                   "    model_config = SettingsConfigDict(env_prefix='APP_')\n"
                   "    host: str\n    port: int = 8000\n    key: str = Field(..., alias='KEY')\n"
                   "    verify_tls: bool = Field(default=False)\n")
    assert {n: (r.has_default, r.default_value) for n, r in found.items()} == {
        "APP_HOST": (False, None), "APP_PORT": (True, 8000), "KEY": (False, None),
        "APP_VERIFY_TLS": (True, False)}


def test_names_built_at_run_time_are_not_reads() -> None:
    assert _reads("import os\nP = 'A_'\nX = os.getenv(P + 'X')\n") == {}


def test_read_of_sees_through_casts_but_not_negation() -> None:
    module = pyast.parse('import os\nA = os.getenv("A", "true").lower() in ("1", "true")\n'
                         'B = bool(os.environ.get("B") or "")\nC = not os.getenv("C", "1")\n'
                         + HELPERS)
    known = envreads.helpers([module])
    values = {t.id: envreads.read_of(module, n.value, known)
              for n in module.of(ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    assert values["A"] is not None and values["A"].default_value == "true"
    assert values["B"] is not None and values["B"].default_value == ""
    assert values["C"] is None
    skip = values["REDIS_INSECURE_SKIP_TLS_VERIFY"]
    assert skip is not None and skip.default_value == "False"


@pytest.mark.parametrize(("name", "negated"), [
    ("REDIS_INSECURE_SKIP_TLS_VERIFY", True), ("INSECURE", True), ("SSL_NO_VERIFY", True),
    ("skipTlsVerify", True), ("ALLOW_INVALID_CERTS", True), ("DISABLE_SSL_VERIFICATION", True),
    ("IGNORE_CERT_ERRORS", True), ("tls_allow_self_signed", True),
    ("VERIFY_SSL", False), ("ssl_verify", False), ("NOTIFY_VERIFY", False),
    ("settings.verify_certs", False), ("NOTE_TLS_VERIFY", False), ("SKIPPER_VERIFY", False),
])
def test_negating_names(name: str, negated: bool) -> None:
    assert names.negates_verification(name) is negated


@pytest.mark.parametrize(("name", "value", "off"), [
    ("INSECURE_SKIP_TLS_VERIFY", "False", False), ("INSECURE_SKIP_TLS_VERIFY", "true", True),
    ("INSECURE_SKIP_TLS_VERIFY", False, False), ("VERIFY_SSL", "false", True),
    ("VERIFY_SSL", True, False), ("VERIFY_SSL", "/etc/ssl/ca.pem", None),
    ("VERIFY_SSL", None, None), ("SSL_NO_VERIFY", 1, True), ("SSL_NO_VERIFY", 0, False),
])
def test_verification_off(name: str, value: object, off: bool | None) -> None:
    assert names.verification_off(name, value) is off


_PART = st.sampled_from(["redis", "tls", "ssl", "verify", "cert", "host", "note", "skipper",
                         "notify", "check", "allow"])
_NEG = st.sampled_from(["insecure", "skip", "no", "disable", "ignore"])


@given(st.lists(_PART, min_size=1, max_size=5), _NEG, st.integers(0, 5), st.booleans())
def test_any_negating_word_turns_the_name(parts: list[str], negation: str, at: int,
                                          upper: bool) -> None:
    plain = "_".join(parts)
    turned = parts[: at] + [negation] + parts[at:]
    name = "_".join(turned)
    name = name.upper() if upper else name
    assert not names.negates_verification(plain.upper() if upper else plain)
    assert names.negates_verification(name)
    for value in (True, False, "true", "False", 1, 0):
        meaning = names.truth(value)
        assert meaning is not None
        # The same value means the opposite under the negated name.
        assert names.verification_off(name, value) is meaning
        assert names.verification_off(plain, value) is (not meaning)


@given(st.one_of(st.text(max_size=12), st.integers(), st.booleans(), st.none(), st.floats()))
def test_truth_is_total_and_switches_only_on_switch_words(value: object) -> None:
    meaning = names.truth(value)
    assert meaning in (True, False, None)
    if isinstance(value, str) and meaning is not None:
        assert value.strip().lower() in names.TRUTHY_STRINGS | names.FALSY_STRINGS


@given(st.text(alphabet="abcdefgh_XYZ", max_size=10), st.sampled_from(["'v'", "0", "True"]))
def test_or_default_model_never_loses_a_literal(name: str, literal: str) -> None:
    if not name.isidentifier():
        return
    module = pyast.parse(f"import os\nV = os.getenv({name!r}) or {literal}\n")
    (read,) = envreads.reads(module)
    assert read.name == name and read.has_default
    assert read.default_value == ast.literal_eval(literal)


def test_framework_apps_negated_tls_settings_stay_quiet() -> None:
    """The clean framework apps (tests/frameworks) read INSECURE_SKIP_TLS_VERIFY through their
    own env_bool helper with a False default: verification stays on."""
    from tests.frameworks import catalog

    seen = 0
    for app in catalog.apps():
        modules = [pyast.parse(p.read_text(encoding="utf-8"), p.relative_to(app.root).as_posix())
                   for p in sorted(app.root.rglob("*.py"))]
        known = envreads.helpers(modules)
        for module in modules:
            for read in envreads.reads(module, known):
                if "VERIFY" in read.name.upper() or names.negates_verification(read.name):
                    seen += 1
                    if read.name == "INSECURE_SKIP_TLS_VERIFY":  # env_bool's default parameter
                        assert read.default_value is False, (app.name, read)
                    assert names.verification_off(read.name, read.default_value) is not True, \
                        (app.name, read)
    assert seen >= 4  # aiohttp, django, fastapi, flask
