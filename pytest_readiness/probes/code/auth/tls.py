"""TLS verification switched off (issue 15 item 3), for the check ``auth.tls-verification``.

Reported: ``verify=False`` and its kin (``verify_ssl``, ``verify_certs``, ``ssl_verify``,
``check_hostname``) at the keyword; ``ssl=False`` on an HTTP client at the call (on a
database client it means "no TLS", another problem); unverified stdlib contexts;
``CERT_NONE`` used (not compared), as a constant or ``cert_reqs="CERT_NONE"``;
``ctx.check_hostname = False`` (folded into the ``CERT_NONE`` of the same context when
both are set); and **settings** whose default switches verification off, read with their
negation (plumbing/names.py: ``VERIFY_SSL`` false is off, ``INSECURE_SKIP_TLS_VERIFY``
false is on) and their default resolved through env reads, wrapper helpers and settings
classes (plumbing/envreads.py: ``env_bool("X", True)``, ``_environ_get_and_map("X",
"False", _AS_BOOL)``, ``Field(default=False)``). A default the model cannot evaluate is
not judged. No pytest here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from pytest_readiness.plumbing import envreads, names, pyast
from pytest_readiness.plumbing.findings import Finding, RuleLevel
from pytest_readiness.plumbing.suppress import snippet
from pytest_readiness.vocabulary import Level

RULES = ("verify-off", "off-by-default")
LEVELS = (
    RuleLevel("verify-off", Level.ERROR, "verification switched off in code"),
    RuleLevel("off-by-default", Level.ERROR, "a setting whose default switches it off"),
)
VERIFY_KEYWORDS = ("verify", "verify_ssl", "verify_certs", "ssl_verify", "check_hostname")
# ssl=False on a database client means "no TLS at all", another problem than "TLS unverified".
DB_CLIENTS = ("asyncpg", "psycopg", "psycopg2", "aiomysql", "pymysql", "redis", "aioredis",
              "motor", "pymongo", "sqlalchemy", "aiopg")
# A setting about certificate verification: a verify word, or a negation next to tls/ssl/cert.
GETTERS = frozenset({"get", "getenv", "config", "setdefault", "getbool", "get_bool", "bool",
                     "env", "env_bool", "envbool"})
_VERIFY_WORD = re.compile(r"(?i)(?:^|_)(?:verify(?:_?ssl|_?tls|_?certs?|_?certificates?)?|"
                          r"ssl_?verify|tls_?verify|check_?cert(?:ificate)?s?)$")
_TLS_PARTS = frozenset({"tls", "ssl", "cert", "certs", "certificate", "certificates",
                        "verify", "verification", "hostname"})
_VERIFY_PARTS = frozenset({"verify", "verification", "cert", "certs", "certificate",
                           "certificates", "insecure", "hostname", "noverify",
                           "insecureskipverify", "unverified"})


def is_verification_setting(name: str) -> bool:
    """``VERIFY_SSL``, ``ssl_verify``, ``INSECURE_SKIP_TLS_VERIFY``, ``ALLOW_INVALID_CERTS``."""
    last = name.rsplit(".", 1)[-1]
    if _VERIFY_WORD.search(last):
        return True
    parts = set(names.name_parts(last))
    if not (parts & _TLS_PARTS and names.negates_verification(last)):
        return False
    # NO_SSL / DISABLE_TLS turn TLS off altogether: another rule's business.
    return bool(parts & _VERIFY_PARTS) or bool(parts & {"ignore", "insecure"}) or any(
        p.startswith("skip") for p in parts)


def _finding(m: pyast.Module, rule: str, message: str, line: int) -> Finding:
    return Finding(rule, message, m.rel, line, snippet(m.line(line)), Level.ERROR)


def _cert_none(m: pyast.Module, node: ast.expr | None, keyword: str | None = None) -> bool:
    if node is None:
        return False
    if isinstance(node, (ast.Name, ast.Attribute)) and m.resolve(node) == "ssl.CERT_NONE":
        return True
    return keyword in ("cert_reqs", "ssl_cert_reqs") and \
        (pyast.const_str(node) or "").lower() in ("cert_none", "none")


def _call(m: pyast.Module, call: pyast.CallSite) -> list[Finding]:
    out = []
    for kw in VERIFY_KEYWORDS:
        value = call.keyword(kw)
        if pyast.is_false(value):
            assert value is not None
            out.append(_finding(m, "verify-off", f"{call.name}({kw}=False)", value.lineno))
    if pyast.is_false(call.keyword("ssl")) and call.name.split(".")[0] not in DB_CLIENTS:
        out.append(_finding(m, "verify-off", f"{call.name}(ssl=False)", call.line))
    if call.name in ("ssl._create_unverified_context", "ssl._create_stdlib_context"):
        out.append(_finding(m, "verify-off", f"{call.name}()", call.line))
    values = [(k.arg, k.value) for k in call.node.keywords] + [(None, a) for a in call.node.args]
    for arg, value in values:
        if _cert_none(m, value, arg):
            out.append(_finding(m, "verify-off", f"{call.name}() with CERT_NONE", value.lineno))
            break
    return out


def _word(value: object) -> str:
    meaning = names.truth(value)
    return repr(value) if meaning is None else str(meaning).lower()


def _setting(m: pyast.Module, name: str, value: ast.expr | None, line: int,
             known: dict[str, envreads.Helper]) -> Finding | None:
    """``NAME = <default or env read>`` whose value, when nothing is configured, turns
    verification off (read with the name's negation)."""
    read = envreads.read_of(m, value, known)
    if read is not None:
        key = read.name if is_verification_setting(read.name) else name
        if not read.has_default or not is_verification_setting(key):
            return None
        default = read.default_value
        message = f"setting {read.name} defaults to {_word(default)}"
    else:
        if not is_verification_setting(name):
            return None
        if isinstance(value, ast.Call) and pyast.tail(m.resolve(value.func)) == "Field":
            value = next((k.value for k in value.keywords if k.arg == "default"),
                         value.args[0] if value.args else None)
        key, default = name, envreads.constant(value)
        message = f"{name} defaults to {_word(default)}"
    if names.verification_off(key, default):
        return _finding(m, "off-by-default", message, line)
    return None


def _getter(m: pyast.Module, call: pyast.CallSite) -> Finding | None:
    """``settings.get("verify_tls", False)``, ``os.getenv("VERIFY_SSL", "false")`` not
    assigned to a name (an argument, a condition)."""
    key = pyast.const_str(call.arg(0, "key"))
    if not key or not is_verification_setting(key) or pyast.tail(call.name) not in GETTERS:
        return None
    default = call.arg(1, "default")
    if default is None or names.verification_off(key, envreads.constant(default)) is not True:
        return None
    return _finding(m, "off-by-default", f"setting {key} defaults to "
                    f"{_word(envreads.constant(default))}", call.line)


def _assignments(m: pyast.Module, known: dict[str, envreads.Helper]) -> list[Finding]:
    out: list[Finding] = []
    contexts_off: set[str] = set()
    hostname_off: list[tuple[str, Finding]] = []
    for node in m.of(ast.Assign, ast.AnnAssign):
        assert isinstance(node, (ast.Assign, ast.AnnAssign))
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        for name in (n for t in targets for n in pyast.target_names(t)):
            base, _, last = name.rpartition(".")
            if last == "verify_mode" and _cert_none(m, value):
                out.append(_finding(m, "verify-off", f"{name} = CERT_NONE", node.lineno))
                contexts_off.add(base)
            elif last == "check_hostname" and pyast.is_false(value):
                hostname_off.append((base, _finding(m, "verify-off", f"{name} = False",
                                                    node.lineno)))
            elif value is not None and (found := _setting(m, name, value, node.lineno, known)):
                out.append(found)
    out += [f for base, f in hostname_off if base not in contexts_off]
    return out


def verification_off(modules: Iterable[pyast.Module],
                     known: dict[str, envreads.Helper] | None = None) -> list[Finding]:
    """Every place TLS verification is off, or off unless configured (``known``: the
    codebase's settings helpers, envreads.index_helpers; else worked out here)."""
    modules = list(modules)
    known = envreads.helpers(modules) if known is None else known
    found: list[Finding] = []
    for m in modules:
        lines = set()
        for f in _assignments(m, known):
            found.append(f)
            lines.add(f.line)
        for call in m.calls:
            found += [f for f in _call(m, call) if f.line not in lines]
            getter = _getter(m, call)
            if getter is not None and getter.line not in lines:
                found.append(getter)
                lines.add(getter.line)
    return sorted(found, key=lambda f: (f.file or "", f.line or 0))
