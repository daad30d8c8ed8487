"""Token lifecycle, read from the AST: JWTs that never expire, keys that cannot be rotated,
decoders that skip the revocation check, and JWT signing keys. No pytest.

The key rule of ``auth.jwt-secret-strength`` lives here too (re-exported by
probes/code/auth/__init__.py, whose suite runs it): a key is followed through a local ``key =
...`` before the call, to the names a length-checking helper guards (``JWT_SIGNING_KEYS
= signing_keys(...)``), and to a literal (or a literal fallback) written in another module.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass

from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.findings import Finding, RuleLevel
from pytest_readiness.plumbing.redact import redact, redact_line
from pytest_readiness.plumbing.suppress import snippet
from pytest_readiness.vocabulary import Level

ENCODE_CALLS = frozenset({"jwt.encode", "jose.jwt.encode"})
DECODE_CALLS = frozenset({"jwt.decode", "jose.jwt.decode"})
# Keys that come with their own id and rotation: a JWK set, a JWKS client.
KEY_SET_CALLS = ("PyJWKClient", "PyJWK", "JWKSet", "jwk", "KeySet", "get_signing_key")
EXPIRY_LEVELS = (RuleLevel("", Level.ERROR, "tokens issued with no exp claim that no decode "
                                            "requires, or decoded with verify_exp off"),)
REVOCATION_LEVELS = (RuleLevel("", Level.WARNING, "a token decoded by a path that skips the "
                                                  "revocation check the codebase has"),)
ROTATION_LEVELS = (RuleLevel("", Level.WARNING, "a symmetric key used with no kid header "
                                                "(no key set, no JWKS)"),)


# --- where a key comes from ----------------------------------------------------------------

def local_value(call: pyast.CallSite, name: str) -> ast.expr | None:
    """The value last assigned to ``name`` in the function around ``call``, before it."""
    if call.function is None or isinstance(call.function, ast.Lambda):
        return None
    found = None
    for node in ast.walk(call.function):
        if isinstance(node, ast.Assign) and node.lineno < call.line and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets):
            if found is None or node.lineno > found.lineno:
                found = node
    return found.value if found is not None else None


def guarding_functions(modules: Iterable[pyast.Module]) -> set[str]:
    """Names of functions that check the length or entropy of what they are given."""
    names = set()
    for m in modules:
        for fn in m.functions:
            if isinstance(fn, ast.Lambda):
                continue
            if any(_guards_in(m, n) for n in m.walk(fn)):
                names.add(fn.name)
    return names


@dataclass(frozen=True)
class KeySource:
    """A module-level assignment of a key name: where, and the literal it holds (if any)."""

    file: str
    line: int
    name: str
    literal: str | None  # a literal key, or a literal fallback in the value
    guarded: bool  # assigned from a helper that checks the length


def _literals(value: ast.expr) -> list[str]:
    """Literal keys in a value: a string, a dict of strings, a fallback of a config read."""
    if (text := pyast.const_str(value)) is not None:
        return [text]
    if isinstance(value, ast.Dict):
        return [s for v in value.values if (s := pyast.const_str(v)) is not None]
    found = []
    for node in ast.walk(value):
        if isinstance(node, ast.Call) and len(node.args) >= 2 and \
                pyast.tail(pyast.dotted(node.func, {})) in ("get", "getenv", "env", "config"):
            default = pyast.const_str(node.args[1])
            if default:
                found.append(default)
        if isinstance(node, ast.Call):
            found += [s for k in node.keywords if k.arg == "default"
                      and (s := pyast.const_str(k.value))]
    return found


def key_sources(modules: Iterable[pyast.Module], names: set[str],
                guarding: set[str]) -> dict[str, KeySource]:
    """Module-level assignments of the given names (a settings module's ``JWT_SECRET``)."""
    found: dict[str, KeySource] = {}
    for m in modules:
        assert m.tree is not None
        for node in m.tree.body:
            if not isinstance(node, ast.Assign):
                continue
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in names:
                    literals = _literals(node.value)
                    helper = isinstance(node.value, ast.Call) and \
                        pyast.tail(pyast.dotted(node.value.func, {})) in guarding
                    found[target.id] = KeySource(m.rel, node.lineno, target.id,
                                                 literals[0] if literals else None, helper)
    return found


# --- JWT secrets ---------------------------------------------------------------------

# call -> index of the key argument
JWT_CALLS = {"jwt.encode": 1, "jwt.decode": 1, "jose.jwt.encode": 1, "jose.jwt.decode": 1,
             "authlib.jose.jwt.encode": 2, "authlib.jose.jwt.decode": 1}
ASYMMETRIC = re.compile(r"^(RS|ES|PS)\d{3}$|^EdDSA$|^ES256K$")
MIN_SECRET_LENGTH = 16  # a length guard below this is no strength check


@dataclass
class JwtUse:
    file: str
    line: int
    call: str
    key: str  # the key expression's source; a literal key is shown redacted
    guarded: bool  # a length or entropy check of the key exists, or the key is asymmetric
    hardcoded: bool
    weak_algorithm: bool  # alg "none" accepted
    verify_off: bool  # signature verification switched off on decode
    snippet: str = ""
    key_at: tuple[str, int] | None = None  # where a hardcoded key is written, when elsewhere


def key_names(node: ast.expr) -> set[str]:
    """Names a key is read from: ``JWT_SECRET``, ``settings.jwt_secret`` -> ``jwt_secret``,
    ``os.environ["JWT_SECRET"]`` / ``os.getenv("JWT_SECRET")`` -> ``JWT_SECRET``."""
    if isinstance(node, (ast.Name, ast.Attribute)):
        name = pyast.dotted(node, {})
        if name:
            return {pyast.tail(name)}
        return {node.attr} if isinstance(node, ast.Attribute) else set()
    if isinstance(node, ast.Subscript):
        key = pyast.const_str(node.slice)
        return {key} if key else key_names(node.value)
    if isinstance(node, ast.Call):
        first = pyast.const_str(node.args[0]) if node.args else None
        if first:
            return {first}
        names: set[str] = set()
        if isinstance(node.func, ast.Attribute):  # s.jwt_secret.get_secret_value()
            names |= key_names(node.func.value)
        for arg in node.args:
            names |= key_names(arg)
        return names
    return set()


def _long_enough(node: ast.expr) -> bool:
    """The other side of ``len(key) < N``: a constant >= 16, or a name (MIN_KEY_LENGTH)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int) and node.value >= MIN_SECRET_LENGTH
    return not isinstance(node, ast.Call)


def _guards_in(m: pyast.Module, node: ast.AST) -> set[str]:
    """Names guarded by one node: ``len(x) < 32``, ``entropy(x)``, ``Field(min_length=32)``."""
    if isinstance(node, ast.Compare) and len(node.comparators) == 1:
        sides = (node.left, node.comparators[0])
        for side, other in (sides, sides[::-1]):
            if isinstance(side, ast.Call) and m.resolve(side.func) == "len" and side.args \
                    and _long_enough(other):
                return key_names(side.args[0])
    elif isinstance(node, ast.Call):
        name = pyast.tail(m.resolve(node.func)).lower()
        if "entropy" in name or "strength" in name:
            return {n for a in node.args for n in key_names(a)}
    elif isinstance(node, ast.AnnAssign):
        # jwt_secret: str = Field(min_length=32) / jwt_secret: constr(min_length=32)
        for call in (node.value, node.annotation):
            if not isinstance(call, ast.Call):
                continue
            length = next((k.value for k in call.keywords if k.arg == "min_length"), None)
            if length is not None and _long_enough(length):
                return set(map(pyast.tail, pyast.target_names(node.target)))
    return set()


def _validator_fields(fn: pyast.FunctionNode) -> set[str]:
    """Fields a pydantic validator checks: ``@field_validator("jwt_secret")`` -> jwt_secret."""
    if isinstance(fn, ast.Lambda):
        return set()
    names = set()
    for deco in fn.decorator_list:
        if isinstance(deco, ast.Call) and "validator" in pyast.tail(pyast.dotted(deco.func, {})):
            names |= {s for s in map(pyast.const_str, deco.args) if s}
    return names


def strength_guards(modules: Iterable[pyast.Module]) -> set[str]:
    """Names whose length or entropy is checked anywhere in the codebase, and names
    assigned from a helper that checks it (``KEYS = signing_keys(raw)``)."""
    modules = list(modules)
    guarded: set[str] = set()
    helpers = guarding_functions(modules)
    for m in modules:
        for assign in m.of(ast.Assign):
            if isinstance(assign.value, ast.Call) and \
                    pyast.tail(pyast.dotted(assign.value.func, {})) in helpers:
                guarded |= {pyast.tail(n) for t in assign.targets
                            for n in pyast.target_names(t)}
    for m in modules:
        assert m.tree is not None
        for node in m.of(ast.Compare, ast.Call, ast.AnnAssign):
            guarded |= _guards_in(m, node)
        for fn in m.functions:
            fields = _validator_fields(fn)
            if fields and any(_guards_in(m, n) for n in m.walk(fn)):
                guarded |= fields
    return guarded


def _module_strings(m: pyast.Module) -> dict[str, str]:
    assert m.tree is not None
    out = {}
    for node in m.tree.body:
        if isinstance(node, ast.Assign) and (value := pyast.const_str(node.value)) is not None:
            out.update({t.id: value for t in node.targets if isinstance(t, ast.Name)})
    return out


def _algorithms(call: pyast.CallSite) -> list[str]:
    node = call.keyword("algorithms") or call.keyword("algorithm")
    if node is None:
        return []
    return [s for s in (pyast.const_str(n) for n in ast.walk(node)
                        if isinstance(n, ast.expr)) if s is not None]


def _verification_off(call: pyast.CallSite) -> bool:
    if pyast.is_false(call.keyword("verify")):
        return True
    options = call.keyword("options")
    return isinstance(options, ast.Dict) and any(
        pyast.const_str(k) == "verify_signature" and pyast.is_false(v)
        for k, v in zip(options.keys, options.values, strict=True) if k is not None)


def _key_of(m: pyast.Module, call: pyast.CallSite) -> ast.expr | None:
    """The key argument, through a local ``key = settings.KEYS[kid]`` before the call."""
    index = JWT_CALLS.get(call.name)
    key = call.arg(index, "key") if index is not None else None
    if isinstance(key, ast.Name) and key.id not in _module_strings(m):
        return local_value(call, key.id) or key
    return key


def jwt_uses(modules: Iterable[pyast.Module]) -> list[JwtUse]:
    modules = list(modules)
    guarded = strength_guards(modules)
    keys = {m.rel: [(c, k) for c in m.calls if (k := _key_of(m, c)) is not None]
            for m in modules}
    sources = key_sources(modules, {n for pairs in keys.values() for _, k in pairs
                                           for n in key_names(k)}, set())
    found = []
    for m in modules:
        strings = _module_strings(m)
        for call, key in keys[m.rel]:
            literal = pyast.const_str(key)
            if literal is None and isinstance(key, ast.Name):
                literal = strings.get(key.id)
            source = next((sources[n] for n in key_names(key) if n in sources
                           and sources[n].literal and sources[n].file != m.rel), None)
            at = None
            if literal is None and source is not None:
                literal, at = source.literal, (source.file, source.line)
            algs = _algorithms(call)
            asymmetric = bool(algs) and all(ASYMMETRIC.match(a) for a in algs)
            shown = redact(literal) if literal is not None else ast.unparse(key)[:80]
            found.append(JwtUse(
                m.rel, call.line, call.name, shown,
                asymmetric or bool(key_names(key) & guarded), literal is not None,
                any(a.lower() == "none" for a in algs), _verification_off(call),
                snippet(redact_line(m.line(call.line), [literal] if literal else [], shown)),
                at))
    return found


def jwt_findings(uses: Iterable[JwtUse]) -> list[Finding]:
    """One finding per call; a hardcoded key written in another module (a settings module)
    is reported once, where it is written."""
    out: list[Finding] = []
    written: set[tuple[str, int]] = set()
    for u in uses:
        if u.key_at is not None and u.hardcoded and not (u.weak_algorithm or u.verify_off):
            if u.key_at not in written:
                written.add(u.key_at)
                out.append(Finding("", f"hardcoded signing key ({u.key}) used by {u.call}() at "
                                   f"{u.file}:{u.line}", u.key_at[0], u.key_at[1],
                                   f"signing key = {u.key}"))
            continue
        problems = []
        if u.hardcoded:
            problems.append(f"hardcoded signing key ({u.key})")
        elif not u.guarded:
            problems.append(f"key {u.key} used with no length or entropy check")
        if u.weak_algorithm:
            problems.append("alg 'none' accepted")
        if u.verify_off:
            problems.append("signature verification switched off")
        if problems:
            # A key read from settings with no length check is a gap to close (warning);
            # a hardcoded key, alg none or verification off is a hole (error).
            unguarded_only = not (u.hardcoded or u.weak_algorithm or u.verify_off)
            out.append(Finding("", f"{u.call}(): {'; '.join(problems)}",
                               u.file, u.line, u.snippet,
                               Level.WARNING if unguarded_only else Level.ERROR))
    return out


# --- expiry and rotation -------------------------------------------------------------------

def _claims(call: pyast.CallSite) -> set[str] | None:
    """The claim names of an encode's payload, when the code shows them all: a dict
    literal, or a dict assigned in the function (with ``claims["exp"] = ...`` and
    ``claims.update(exp=...)`` after it)."""
    payload = call.arg(0, "payload")
    variable = payload.id if isinstance(payload, ast.Name) else None
    if variable is not None:
        payload = local_value(call, variable)
    if not isinstance(payload, ast.Dict) or None in payload.keys:
        return None  # built elsewhere, or ``{**base, ...}``: cannot tell
    keys = {pyast.const_str(k) for k in payload.keys if k is not None}
    if None in keys:
        return None
    if variable is not None and call.function is not None:
        for node in ast.walk(call.function):
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and \
                    node.value.id == variable:
                keys.add(pyast.const_str(node.slice))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    isinstance(node.func.value, ast.Name) and node.func.value.id == variable \
                    and node.func.attr in ("update", "setdefault"):
                keys |= {k.arg for k in node.keywords}
                keys |= {pyast.const_str(a) for a in node.args}
    return {k for k in keys if k}


def _options(call: pyast.CallSite) -> dict[str, ast.expr]:
    options = call.keyword("options")
    if not isinstance(options, ast.Dict):
        return {}
    return {k: v for key, v in zip(options.keys, options.values, strict=True)
            if key is not None and (k := pyast.const_str(key))}


def _required(node: ast.expr | None) -> set[str]:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return {s for e in node.elts if (s := pyast.const_str(e))}
    return set()


def jwt_expiry(modules: Iterable[pyast.Module]) -> list[Finding]:
    """Tokens issued with no ``exp`` claim (the payload is a dict the code shows whole), or
    decoded with ``verify_exp`` off. Where decoding names the claims it requires
    (``options={"require": [...]}``) without ``exp``, the finding is there: that is the
    line that lets a token without expiry through; otherwise at the encode call."""
    modules = list(modules)
    found: list[Finding] = []
    require_sites: list[tuple[pyast.Module, pyast.CallSite, set[str]]] = []
    for m in modules:
        for call in m.calls:
            if call.name in DECODE_CALLS:
                options = _options(call)
                if pyast.is_false(options.get("verify_exp")):
                    found.append(Finding("", f"{call.name}(): verify_exp is off: expired "
                                         "tokens are accepted", m.rel, call.line,
                                         m.line(call.line).strip()))
                if "require" in options:
                    require_sites.append((m, call, _required(options["require"])))
    requires_exp = any("exp" in names for _, _, names in require_sites)
    for m in modules:
        for call in m.calls:
            claims = _claims(call) if call.name in ENCODE_CALLS else None
            if claims is None or "exp" in claims or requires_exp:
                continue
            sites = [(sm, sc) for sm, sc, names in require_sites if "exp" not in names]
            where_m, where = sites[0] if sites else (m, call)
            line = _option_line(where) if sites else where.line
            found.append(Finding("", f"{call.name}() at {m.rel}:{call.line} issues tokens with "
                                 "no exp claim and no decode requires one: a token is valid "
                                 "forever", where_m.rel, line, where_m.line(line).strip()))
    return found + _expiry_switched_off(modules)


# flask-jwt-extended and the helpers named like it: expires_delta=False, or the setting
# JWT_ACCESS_TOKEN_EXPIRES = False, makes tokens that never expire.
TOKEN_FACTORIES = frozenset({"create_access_token", "create_refresh_token"})
EXPIRY_SETTINGS = frozenset({"JWT_ACCESS_TOKEN_EXPIRES", "JWT_REFRESH_TOKEN_EXPIRES"})


def _expiry_switched_off(modules: Iterable[pyast.Module]) -> list[Finding]:
    found = []
    for m in modules:
        for call in m.calls:
            if pyast.tail(call.name) in TOKEN_FACTORIES and \
                    pyast.is_false(call.keyword("expires_delta")):
                found.append(Finding("", f"{call.name}(expires_delta=False): the token never "
                                         "expires", m.rel, call.line, m.line(call.line).strip()))
        for assign in m.of(ast.Assign):
            if not pyast.is_false(assign.value):
                continue
            # JWT_ACCESS_TOKEN_EXPIRES = False, app.config["JWT_ACCESS_TOKEN_EXPIRES"] = False
            names = {pyast.tail(n) for t in assign.targets for n in pyast.target_names(t)}
            names |= {k for t in assign.targets if isinstance(t, ast.Subscript)
                      and (k := pyast.const_str(t.slice))}
            if names & EXPIRY_SETTINGS:
                found.append(Finding("", f"{sorted(names & EXPIRY_SETTINGS)[0]} = False: tokens "
                                         "never expire", m.rel, assign.lineno,
                                     m.line(assign.lineno).strip()))
    return found


def _option_line(call: pyast.CallSite) -> int:
    options = call.keyword("options")
    return options.lineno if options is not None else call.line


def _asymmetric_or_key_set(m: pyast.Module, call: pyast.CallSite) -> bool:
    key = call.arg(1, "key")
    text = ast.unparse(key) if key is not None else ""
    if isinstance(key, ast.Name) and (value := local_value(call, key.id)) is not None:
        text += " " + ast.unparse(value)
    return any(word in text for word in KEY_SET_CALLS)


def jwt_key_rotation(modules: Iterable[pyast.Module]) -> list[Finding]:
    """Tokens signed without a ``kid`` header: with one key and no key id, rotating the key
    invalidates every token at once (everyone is logged out), so nobody rotates it. A key
    from a JWK set or JWKS client carries its own id."""
    found = []
    for m in modules:
        for call in m.calls:
            if call.name not in ENCODE_CALLS:
                continue
            headers = call.keyword("headers")
            if isinstance(headers, ast.Name):
                headers = local_value(call, headers.id) or headers
            names = {pyast.const_str(k) for k in headers.keys if k is not None} \
                if isinstance(headers, ast.Dict) else set()
            if headers is not None and not isinstance(headers, ast.Dict):
                continue  # headers built elsewhere: cannot tell
            if "kid" in names or _asymmetric_or_key_set(m, call):
                continue
            found.append(Finding("", f"{call.name}() signs without a kid header: the key "
                                 "cannot be rotated without invalidating every token",
                                 m.rel, call.line, m.line(call.line).strip(), Level.WARNING))
    return found


# --- revocation bypassed ---------------------------------------------------------------------

REVOKED_CHECK = re.compile(r"(?i)revoked|denylist|deny_list|blacklist|blocklist|denied")
REVOKING = re.compile(r"(?i)revoke|logout|log_out|sign_out|signout|denylist|blacklist")


def _module_name(rel: str) -> str:
    return rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def _refers_to(call: pyast.CallSite, m: pyast.Module, decoder: tuple[str, str]) -> bool:
    """Whether ``call`` calls the function ``decoder`` (module rel, name)."""
    rel, name = decoder
    if call.name == name:
        return m.rel == rel
    prefix, _, tail = call.name.rpartition(".")
    module = _module_name(rel)
    return tail == name and bool(prefix) and (module == prefix or module.endswith("." + prefix))


def jwt_revocation_bypassed(modules: Iterable[pyast.Module]) -> list[Finding]:
    """Where the codebase checks revocation (a function that decodes a token, then asks a
    deny-list: ``verify`` calls ``decode`` and ``cache.is_revoked``), a call of the bare
    decoder from anywhere else (the auth middleware, an interceptor) accepts revoked tokens:
    logout does not end the session. Revoking paths (logout, revoke) may decode bare."""
    modules = list(modules)
    decoders = {(m.rel, c.function.name) for m in modules for c in m.calls
                if c.function is not None and not isinstance(c.function, ast.Lambda)
                and c.name in DECODE_CALLS}
    checked: set[int] = set()  # id() of the functions that decode and check revocation
    for m in modules:
        calls_of: dict[int, list[pyast.CallSite]] = {}
        for c in m.calls:  # grouped once (was a scan of every call per function)
            calls_of.setdefault(id(c.function), []).append(c)
        for fn in m.functions:
            calls = calls_of.get(id(fn), [])
            asks = any(REVOKED_CHECK.search(pyast.tail(c.name)) for c in calls) or any(
                isinstance(n, ast.Constant) and isinstance(n.value, str)
                and REVOKED_CHECK.search(n.value) for n in m.walk(fn))  # "revoked:{jti}"
            if asks and any(
                    c.name in DECODE_CALLS or any(_refers_to(c, m, d) for d in decoders)
                    for c in calls):
                checked.add(id(fn))
    if not checked:
        return []
    found = []
    for m in modules:
        for call in m.calls:
            caller = call.function
            if caller is None or isinstance(caller, ast.Lambda) or id(caller) in checked or \
                    (m.rel, caller.name) in decoders or REVOKING.search(caller.name):
                continue
            if any(_refers_to(call, m, d) for d in decoders):
                found.append(Finding("", f"{call.name}() decodes the token without the "
                                         "revocation check: revoked tokens are accepted",
                                     m.rel, call.line, m.line(call.line).strip(),
                                     Level.WARNING))
    return found
