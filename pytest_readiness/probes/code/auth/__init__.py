"""Authentication and transport security, read from the AST. No pytest here.

Rules: TLS verification switched off, CORS ``*`` with credentials, JWT signing
secrets used without a strength guard, default admin credentials, weak
password hashing, a token revocation path that is actually reachable, and
authentication events that are logged. Every finding carries a snippet with
any credential on the line redacted.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pytest_readiness.plumbing import envreads, pyast
from pytest_readiness.plumbing.findings import Finding, RuleLevel
from pytest_readiness.plumbing.redact import redact, redact_line
from pytest_readiness.plumbing.suppress import snippet
from pytest_readiness.plumbing.tree import context_of
from pytest_readiness.probes.code.auth import cors, tls
from pytest_readiness.probes.code.secrets import FALLBACK_CALLS, judge_value

# The JWT key rule of auth.jwt-secret-strength lives with the token rules (tokens.py).
from pytest_readiness.probes.code.tokens import ASYMMETRIC as ASYMMETRIC
from pytest_readiness.probes.code.tokens import JWT_CALLS as JWT_CALLS
from pytest_readiness.probes.code.tokens import MIN_SECRET_LENGTH as MIN_SECRET_LENGTH
from pytest_readiness.probes.code.tokens import JwtUse as JwtUse
from pytest_readiness.probes.code.tokens import jwt_findings as jwt_findings
from pytest_readiness.probes.code.tokens import jwt_uses as jwt_uses
from pytest_readiness.probes.code.tokens import key_names as key_names
from pytest_readiness.probes.code.tokens import strength_guards as strength_guards
from pytest_readiness.vocabulary import Level

TLS_RULES = tls.RULES
JWT_LEVELS = (
    RuleLevel("", Level.ERROR, "a hardcoded signing key, alg 'none' accepted, or signature "
                               "verification switched off"),
    RuleLevel("", Level.WARNING, "a key from settings used with no length or entropy check"))
REVOCATION_LEVELS = (
    RuleLevel("", Level.WARNING, "tokens are issued and no revocation path is called "
                                 "(short-lived tokens without one are a design choice)"),)
EVENTS_LEVELS = (
    RuleLevel("", Level.WARNING, "a login, logout or token function logs no success or "
                                 "failure"),)
PASSWORD_HASHING_RULES = ("weak-hash", "plaintext")
VERIFY_SETTING = re.compile(r"(?i)(?:^|_)(?:verify(?:_?ssl|_?tls|_?certs?|_?certificates?)?|"
                            r"ssl_?verify|tls_?verify|check_?cert(?:ificate)?s?)$")
FALSY_STRINGS = frozenset({"false", "0", "no", "off", "n", "f"})
VERIFY_KEYWORDS = ("verify", "verify_ssl", "verify_certs", "ssl_verify", "check_hostname")
# ssl=False on a database client means "no TLS at all", another problem than "TLS unverified".
DB_CLIENTS = ("asyncpg", "psycopg", "psycopg2", "aiomysql", "pymysql", "redis", "aioredis",
              "motor", "pymongo", "sqlalchemy", "aiopg")


def _finding(module: pyast.Module, rule: str, message: str, line: int, level: str = Level.ERROR,
             hide: Iterable[str] = ()) -> Finding:
    """A finding whose snippet has ``hide`` (raw credentials) and any secret literal redacted."""
    text = module.line(line)
    values = [v for v in hide if v]
    if values:
        text = redact_line(text, values, f"{rule}: {', '.join(redact(v) for v in values)}")
    return Finding(rule, message, module.rel, line, snippet(text), level)


# --- TLS verification (probes/code/auth/tls.py) -------------------------------------------


def tls_verification_off(modules: Iterable[pyast.Module],
                         known: dict[str, envreads.Helper] | None = None) -> list[Finding]:
    """``verify=False``, ``CERT_NONE`` used (not compared), unverified contexts, settings
    whose default switches verification off (read with their negation): probes/code/auth/tls.py."""
    return tls.verification_off(modules, known)


def _field_default(value: ast.expr | None) -> ast.expr | None:
    """``Field(False)`` / ``Field(default=False)`` -> ``False``; anything else as is."""
    if isinstance(value, ast.Call) and pyast.tail(pyast.dotted(value.func, {})) == "Field":
        return next((k.value for k in value.keywords if k.arg == "default"),
                    value.args[0] if value.args else None)
    return value


# --- CORS (probes/code/auth/cors.py) ------------------------------------------------------


def cors_wildcard_with_credentials(modules: Iterable[pyast.Module],
                                   deployed: cors.Deployed | None = None,
                                   known: dict[str, envreads.Helper] | None = None
                                   ) -> list[Finding]:
    """Any origin allowed (``*``, or a regex that accepts an attacker's origin), with
    credentials (error) or without (warning), also where the deployment's environment
    switches a setting on: probes/code/auth/cors.py."""
    return cors.findings(modules, deployed, known)


# --- default admin credentials --------------------------------------------------------

ADMIN_USER = re.compile(r"(?i)^(admin|administrator|root|superuser|sa)$")
ADMIN_PASSWORD_NAME = re.compile(r"(?i)(admin|root|superuser).*(password|passwd|pwd|pass)$")
USER_CALL = re.compile(r"(?i)(user|admin|account|login|auth|credential)")
USER_KEYS = ("username", "user", "login", "name", "email")


def literal_password(value: str | None) -> bool:
    """A literal that is a password: not empty, not a placeholder, not a variable's name."""
    text = (value or "").strip()
    return bool(text) and judge_value(text) != "placeholder" and \
        not re.fullmatch(r"[A-Z][A-Z0-9_]*", text)


def _credential(user: str | None, password: str | None) -> bool:
    """An admin account with a literal password (``${ADMIN_PASSWORD}``, ``<set me>`` are not)."""
    return bool(user and ADMIN_USER.match(user)) and literal_password(password)


HASH_CALL = re.compile(r"(?i)hash|make_password|encrypt|crypt")


def _password_literal(node: ast.expr) -> str | None:
    """A literal, or a literal hashed on the spot (``make_password("admin")``)."""
    if isinstance(node, ast.Call) and len(node.args) == 1 and \
            HASH_CALL.search(pyast.tail(pyast.dotted(node.func, {}))):
        return pyast.const_str(node.args[0])
    return pyast.const_str(node)


def _admin_call(m: pyast.Module, call: pyast.CallSite) -> list[Finding]:
    out = []
    kw = {k.arg: _password_literal(k.value) for k in call.node.keywords if k.arg}
    strings = [_password_literal(a) for a in call.node.args]
    user = next((kw[k] for k in USER_KEYS if kw.get(k)), None)
    password = kw.get("password")
    if USER_CALL.search(pyast.tail(call.name)):  # positional only for user-ish calls
        user = user or (strings[0] if strings else None)
        password = password or (strings[1] if len(strings) > 1 else None)
    if _credential(user, password):
        out.append(_finding(m, "",
                            f"{call.name}() creates {user} with a default password", call.line,
                            hide=[password or ""]))
    key = pyast.const_str(call.arg(0, "key"))
    default = pyast.const_str(call.arg(1, "default"))
    if key and default and ADMIN_PASSWORD_NAME.search(key) and \
            pyast.tail(call.name) in FALLBACK_CALLS and literal_password(default):
        out.append(_finding(m, "", f"{key} falls back to a hardcoded default",
                            call.line, hide=[default]))
    return out


def _admin_pairs(node: ast.AST) -> list[tuple[str, ast.expr]]:
    if isinstance(node, ast.Assign):
        return [(n, node.value) for t in node.targets for n in pyast.target_names(t)]
    if isinstance(node, ast.AnnAssign) and node.value is not None:
        return [(n, _field_default(node.value) or node.value)
                for n in pyast.target_names(node.target)]
    if isinstance(node, ast.Dict):
        return [(k, v) for k, v in ((pyast.const_str(k) if k else None, v)
                                    for k, v in zip(node.keys, node.values, strict=True)) if k]
    return []


def _admin_dict(m: pyast.Module, node: ast.Dict) -> Finding | None:
    """``{"username": "admin", "password": "admin"}`` (fixtures, seed data)."""
    pairs = dict((k, pyast.const_str(v)) for k, v in _admin_pairs(node))
    user = next((pairs[k] for k in USER_KEYS if pairs.get(k)), None)
    password = pairs.get("password")
    if _credential(user, password):
        return _finding(m, "", f"seed account {user} with a default password",
                        node.lineno, hide=[password or ""])
    return None


def default_admin_credentials(modules: Iterable[pyast.Module]) -> list[Finding]:
    """Admin accounts created with literal passwords, ADMIN_PASSWORD constants and fallbacks."""
    found = []
    for m in modules:
        for call in m.calls:
            found.extend(_admin_call(m, call))
        assert m.tree is not None
        for node in m.of(ast.Assign, ast.AnnAssign, ast.Dict):
            if isinstance(node, ast.Dict) and (seed := _admin_dict(m, node)):
                found.append(seed)
            for name, value_node in _admin_pairs(node):
                value = pyast.const_str(value_node)
                if value is not None and literal_password(value) and \
                        ADMIN_PASSWORD_NAME.search(name.rsplit(".", 1)[-1]):
                    found.append(_finding(m, "", f"{name} is hardcoded",
                                          value_node.lineno, hide=[value]))
    return found


# --- password hashing ---------------------------------------------------------------

STRONG_HASHES = ("bcrypt", "argon2", "passlib", "scrypt", "hashlib.scrypt", "hashlib.pbkdf2_hmac",
                 "werkzeug.security.generate_password_hash", "django.contrib.auth.hashers",
                 "pwdlib", "nacl.pwhash", "fastapi_users.password")
WEAK_HASHES = frozenset({"hashlib.md5", "hashlib.sha1", "hashlib.sha224", "hashlib.sha256",
                         "hashlib.sha384", "hashlib.sha512", "hashlib.new", "hashlib.blake2b",
                         "hashlib.sha3_256"})
PASSWORD_NAME = re.compile(r"(?i)(password|passwd|pwd|passphrase|\bpw\b)")
# password == confirm_password checks a form, not a stored credential.
CONFIRMATION = re.compile(r"(?i)(confirm|repeat|again|retype|verif|new_|old_|\b(new|old)\b)")
CONSTANT_TIME = frozenset({"hmac.compare_digest", "secrets.compare_digest"})


@dataclass
class Hashing:
    strong: list[str] = field(default_factory=list)
    weak: list[Finding] = field(default_factory=list)


def _plaintext_compare(sides: list[ast.expr]) -> bool:
    texts = [ast.unparse(s) for s in sides]
    return len(sides) == 2 and all(PASSWORD_NAME.search(t) for t in texts) and \
        not any("hash" in t.lower() or CONFIRMATION.search(t) for t in texts) and \
        not any(isinstance(s, ast.Constant) for s in sides)


def _hashing_module(m: pyast.Module, result: Hashing) -> None:
    for name, line in m.imports:
        if name.startswith(STRONG_HASHES):
            result.strong.append(f"{m.rel}:{line} {name}")
    for call in m.calls:
        if call.name.startswith(STRONG_HASHES):
            result.strong.append(f"{m.rel}:{call.line} {call.name}")
        elif call.name in WEAK_HASHES and any(
                PASSWORD_NAME.search(ast.unparse(a)) for a in call.node.args):
            result.weak.append(_finding(m, "weak-hash",
                                        f"{call.name}() over a password: a fast hash, use "
                                        "argon2, bcrypt or scrypt", call.line))
        elif call.name in CONSTANT_TIME and _plaintext_compare(list(call.node.args)):
            result.weak.append(_finding(m, "plaintext",
                                        "stored password compared in plain text", call.line))
    assert m.tree is not None
    for node in m.of(ast.Compare):
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and \
                isinstance(node.ops[0], (ast.Eq, ast.NotEq)) and \
                _plaintext_compare([node.left, node.comparators[0]]):
            result.weak.append(_finding(m, "plaintext",
                                        "passwords compared in plain text", node.lineno))


def password_hashing(modules: Iterable[pyast.Module]) -> Hashing:
    """Strong hashing in use (evidence), fast hashes over passwords and plain comparisons."""
    result = Hashing()
    for m in modules:
        if context_of(m.rel) == "code":
            _hashing_module(m, result)
    return result


# --- revocation and auth events ------------------------------------------------------

REVOKE_NAME = re.compile(r"(?i)(revoke|blacklist|blocklist|denylist|logout|log_out|sign_out|"
                         r"signout|invalidate_(token|session))")
AUTH_EVENT_NAME = re.compile(r"(?i)^(login|log_in|sign_in|signin|authenticate|logout|log_out|"
                             r"sign_out|revoke\w*|issue_token|create_access_token|"
                             r"create_refresh_token|refresh_token)$")
LOG_CALLS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical",
                       "log", "audit", "msg"})
TOKEN_ISSUERS = frozenset({"jwt.encode", "jose.jwt.encode", "authlib.jose.jwt.encode"})
TOKEN_FACTORIES = frozenset({"create_access_token", "create_refresh_token", "encode_token",
                             "issue_token"})
FRAMEWORK_HOOKS = frozenset({"route", "get", "post", "put", "delete", "patch", "api_view",
                             "websocket", "token_in_blocklist_loader", "revoked_token_loader",
                             "action", "receiver"})


@dataclass
class Revocation:
    issued: list[tuple[str, int, str]] = field(default_factory=list)  # (file, line, call)
    defined: list[str] = field(default_factory=list)
    called: list[str] = field(default_factory=list)

    @property
    def issues_tokens(self) -> bool:
        return bool(self.issued)


def _is_route(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function the framework calls: decorated with app.post(...), router.get, route, ..."""
    for deco in fn.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if pyast.tail(pyast.dotted(target, {})) in FRAMEWORK_HOOKS:
            return True
    return False


def _issues(call: pyast.CallSite) -> bool:
    return call.name in TOKEN_ISSUERS or pyast.tail(call.name) in TOKEN_FACTORIES


def revocation(modules: Iterable[pyast.Module]) -> Revocation:
    """Where tokens are issued, revocation functions defined, and where they are reached
    (called from live code, or registered as a route or framework hook)."""
    modules = [m for m in modules if context_of(m.rel) == "code"]
    result = Revocation([(m.rel, c.line, c.name) for m in modules for c in m.calls if _issues(c)])
    names: dict[str, ast.AST] = {}
    for m in modules:
        for fn in m.functions:
            if isinstance(fn, ast.Lambda) or not REVOKE_NAME.search(fn.name):
                continue
            result.defined.append(f"{m.rel}:{fn.lineno} {fn.name}")
            if _is_route(fn):
                result.called.append(f"{m.rel}:{fn.lineno} {fn.name} (route)")
            names[fn.name] = fn
    for m in modules:
        for call in m.calls:
            if pyast.tail(call.name) in names and call.function is not names[pyast.tail(call.name)]:
                result.called.append(f"{m.rel}:{call.line} {call.name}()")
    return result


def revocation_findings(found: Revocation, lines_of: object) -> list[Finding]:
    """One finding per token issue site when no revocation path is reachable."""
    if not found.issued or found.called:
        return []
    said = ("revocation defined but never called: " + ", ".join(found.defined[:3])
            if found.defined else "no revocation path (revoke, logout, deny-list)")
    out = []
    for rel, line, call in found.issued:
        lines = lines_of(rel)  # type: ignore[operator]
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        # short-lived tokens without revocation are a design choice: a warning
        out.append(Finding("", f"{call}() issues tokens; {said}", rel,
                           line, snippet(text), Level.WARNING))
    return out


def _logs(m: pyast.Module, fn: ast.AST) -> bool:
    for node in ast.walk(fn):
        if not isinstance(node, ast.Call):
            continue
        name = m.resolve(node.func) or ""
        last = pyast.tail(name).lower()
        if last in LOG_CALLS and _loggerish(name):
            return True
        if "audit" in last or last.startswith(("log_", "record_", "emit_")):
            return True
    return False


def unlogged_auth_events(modules: Iterable[pyast.Module]) -> tuple[int, list[Finding]]:
    """(auth event functions seen, those that log nothing)."""
    seen, found = 0, []
    for m in modules:
        if context_of(m.rel) != "code":
            continue
        for fn in m.functions:
            if isinstance(fn, ast.Lambda) or not AUTH_EVENT_NAME.match(fn.name):
                continue
            seen += 1
            if not _logs(m, fn):
                found.append(_finding(m, "", f"{fn.name}() logs no success or failure",
                                      fn.lineno, Level.WARNING))
    return seen, found


def _loggerish(name: str) -> bool:
    """``log.info``, ``logger.warning``, ``structlog...``, ``audit_log.info``, bare ``info``."""
    base = name.rsplit(".", 1)[0].lower() if "." in name else ""
    return base == "" or any(word in base for word in ("log", "audit"))
