"""CORS in each framework's idiom (issue 15 item 2), for the check ``auth.cors-credentials``.

Read: Starlette/FastAPI ``CORSMiddleware`` (``allow_origins``, ``allow_origin_regex``,
``allow_credentials``), aiohttp-cors ``setup(app, defaults={origin: ResourceOptions(...)})``,
flask-cors ``CORS(app, origins=..., resources={pattern: {"origins": ...}})`` and
``cross_origin`` (a resource pattern such as ``r"/api/*"`` is a path, not an origin),
django-cors-headers settings (``CORS_ALLOW_ALL_ORIGINS``, the old
``CORS_ORIGIN_ALLOW_ALL``, ``CORS_ALLOWED_ORIGIN_REGEXES``). An origin regex "reflects"
when it accepts an attacker's origin (``https://evil.example``): it is tried, not
guessed. Levels: any origin with credentials is an error; any origin without credentials
a warning (public data only). The finding points at the origin setting. No pytest here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from pytest_readiness.plumbing import envreads, names, pyast
from pytest_readiness.plumbing.findings import Finding, RuleLevel
from pytest_readiness.plumbing.suppress import snippet
from pytest_readiness.vocabulary import Level

RULES = ("wildcard-origin", "reflected-origin")
LEVELS = (
    RuleLevel("wildcard-origin", Level.ERROR, "every origin (*) allowed with credentials"),
    RuleLevel("reflected-origin", Level.ERROR, "an origin regex that accepts an attacker's "
              "origin, with credentials"),
    RuleLevel("wildcard-origin", Level.WARNING, "every origin allowed, without credentials"),
    RuleLevel("reflected-origin", Level.WARNING, "an attacker-accepting regex, without "
              "credentials"),
)
ATTACKER_ORIGINS = ("https://evil.example", "http://evil.example", "null")
DJANGO_ALL = ("CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL")
DJANGO_REGEXES = ("CORS_ALLOWED_ORIGIN_REGEXES", "CORS_ORIGIN_REGEX_WHITELIST")


def accepts_attacker(pattern: str, full: bool = False) -> bool:
    """The origin regex matches an origin nobody would list (tried, as the library does:
    Starlette ``fullmatch``, flask-cors and django-cors-headers ``match``)."""
    try:
        compiled = re.compile(pattern)
    except re.error:
        return False
    test = compiled.fullmatch if full else compiled.match
    return any(test(origin) for origin in ATTACKER_ORIGINS)


def _true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _star(node: ast.expr | None) -> bool:
    if pyast.const_str(node) == "*":
        return True
    return isinstance(node, (ast.List, ast.Tuple, ast.Set)) and any(
        pyast.const_str(e) == "*" for e in node.elts)


def _finding(m: pyast.Module, rule: str, message: str, line: int, credentials: bool) -> Finding:
    level = Level.ERROR if credentials else Level.WARNING
    tail = "with credentials: any website can act as the logged-in user" if credentials \
        else "without credentials (public data only)"
    return Finding(rule, f"{message} {tail}", m.rel, line, snippet(m.line(line)), level)


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _starlette(m: pyast.Module, call: pyast.CallSite) -> list[Finding]:
    first = call.node.args[0] if call.node.args else None
    if not (pyast.tail(call.name) == "CORSMiddleware" or (
            pyast.tail(call.name) in ("add_middleware", "Middleware") and first is not None
            and (m.resolve(first) or "").endswith("CORSMiddleware"))):
        return []
    credentials = _true(call.keyword("allow_credentials"))
    origins, regex = call.keyword("allow_origins"), call.keyword("allow_origin_regex")
    if _star(origins):
        assert origins is not None
        return [_finding(m, "wildcard-origin", 'CORSMiddleware allow_origins=["*"]',
                         origins.lineno, credentials)]
    pattern = pyast.const_str(regex)
    if pattern is not None and accepts_attacker(pattern, full=True):
        assert regex is not None
        return [_finding(m, "reflected-origin", f"CORSMiddleware allow_origin_regex "
                         f"{pattern!r} accepts https://evil.example", regex.lineno, credentials)]
    return []


def _flask_origins(m: pyast.Module, node: ast.expr, credentials: bool, where: str,
                   line: int) -> list[Finding]:
    if _star(node):
        return [_finding(m, "wildcard-origin", f"{where}: origins *", line, credentials)]
    patterns = [pyast.const_str(node)] if pyast.const_str(node) is not None else [
        pyast.const_str(e) for e in getattr(node, "elts", [])]
    for p in patterns:
        if p and p != "*" and any(ch in p for ch in ".*+?[](|") and accepts_attacker(p):
            return [_finding(m, "reflected-origin", f"{where}: origins regex {p!r} accepts "
                             "https://evil.example", line, credentials)]
    return []


def _flask(m: pyast.Module, call: pyast.CallSite) -> list[Finding]:
    if call.name not in ("flask_cors.CORS", "flask_cors.cross_origin"):
        return []
    where = pyast.tail(call.name)
    credentials = _true(call.keyword("supports_credentials"))
    origins, resources = call.keyword("origins"), call.keyword("resources")
    if origins is not None:
        return _flask_origins(m, origins, credentials, where, call.line)
    found: list[Finding] = []
    if isinstance(resources, ast.Dict):  # {path pattern: {"origins": ...}}
        per_path = [v for v in resources.values if isinstance(v, ast.Dict)]
        for options in per_path:
            value = next((v for k, v in zip(options.keys, options.values, strict=True)
                          if k is not None and pyast.const_str(k) == "origins"), None)
            if value is None:  # no origins for this resource: flask-cors allows every one
                found.append(_finding(m, "wildcard-origin", f"{where}: a resource without "
                                      "origins (flask-cors then allows *)", call.line,
                                      credentials))
            else:
                found += _flask_origins(m, value, credentials, where, call.line)
        return found[:1]
    if resources is None or pyast.const_str(resources) is not None:
        return [_finding(m, "wildcard-origin", f"{where} without origins (flask-cors then "
                         "allows *)", call.line, credentials)]
    return []


def _aiohttp(m: pyast.Module, call: pyast.CallSite) -> list[Finding]:
    if call.name != "aiohttp_cors.setup":
        return []
    defaults = call.keyword("defaults")
    if isinstance(defaults, ast.Dict):
        for key, value in zip(defaults.keys, defaults.values, strict=True):
            if pyast.const_str(key) == "*":
                return [_finding(m, "wildcard-origin", 'aiohttp_cors defaults for "*"',
                                 defaults.lineno, _aiohttp_credentials(m, value, call))]
    return []


def _aiohttp_credentials(m: pyast.Module, value: ast.expr, call: pyast.CallSite) -> bool:
    """``ResourceOptions(allow_credentials=True)``, inline or bound to a name in the same
    function (unknown: assumed, the finding says credentials)."""
    if isinstance(value, ast.Call):
        return _true(_kw(value, "allow_credentials"))
    if isinstance(value, ast.Name):
        for node in m.of(ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == value.id for t in node.targets) \
                    and isinstance(node.value, ast.Call):
                return _true(_kw(node.value, "allow_credentials"))
    return True


# A variable of the deployment: name -> (value, file, line) where the tree sets it.
Deployed = Mapping[str, tuple[str, str, int]]


def _switched_on(m: pyast.Module, node: ast.expr | None, known: dict[str, envreads.Helper],
                 deployed: Deployed) -> tuple[str, tuple[str, str, int] | None] | None:
    """Whether a setting is on, and why: ``True`` written (why "", None); read from the
    environment, the value the deployment gives that variable (its file and line), else
    the read's default ("... unset"). None when it is off or the rule cannot tell."""
    if _true(node):
        return "", None
    read = envreads.read_of(m, node, known)
    if read is None:
        return None
    if read.name in deployed:
        value, file, line = deployed[read.name]
        return (f"from {read.name}={value}", (value, file, line)) \
            if names.truth(value) is True else None
    if read.has_default and names.truth(read.default_value) is True:
        return f"by default ({read.name} unset)", None
    return None


def _django(m: pyast.Module, known: dict[str, envreads.Helper],
            deployed: Deployed) -> list[Finding]:
    assert m.tree is not None
    settings: dict[str, tuple[ast.expr, int]] = {}
    for node in m.tree.body:
        if isinstance(node, ast.Assign):
            for name in (n for t in node.targets for n in pyast.target_names(t)):
                settings[name] = (node.value, node.lineno)
    if not any(k.startswith("CORS_") for k in settings):
        return []
    credentials = _switched_on(m, settings.get("CORS_ALLOW_CREDENTIALS", (None, 0))[0],
                               known, deployed) is not None
    for name in DJANGO_ALL:
        on = _switched_on(m, settings[name][0], known, deployed) if name in settings else None
        if on is None:
            continue
        why, where = on
        found = _finding(m, "wildcard-origin", f"{name} = True {why}".rstrip(),
                         settings[name][1], credentials)
        if where is not None:  # the deployment switched it on: said where it does
            _, file, at = where
            found = replace(found, message=f"{found.message} (read by {m.rel}:"
                            f"{settings[name][1]})", file=file, line=at, snippet="")
        return [found]
    for name in DJANGO_REGEXES:
        if name in settings:
            value, line = settings[name]
            for e in getattr(value, "elts", []):
                p = pyast.const_str(e)
                if p and accepts_attacker(p):
                    return [_finding(m, "reflected-origin", f"{name} {p!r} accepts "
                                     "https://evil.example", line, credentials)]
    return []


def findings(modules: Iterable[pyast.Module], deployed: Deployed | None = None,
             known: dict[str, envreads.Helper] | None = None) -> list[Finding]:
    """Every CORS configuration that allows any origin. ``deployed``: the environment the
    production deployment gives the code (compose ``environment:`` and ``env_file:``), for
    settings read from the environment (netbox's ``CORS_ORIGIN_ALLOW_ALL`` read with a
    false default and set to True in ``env/netbox.env``). ``known``: the codebase's
    settings helpers (envreads.index_helpers; else worked out here)."""
    modules = list(modules)
    known = envreads.helpers(modules) if known is None else known
    found: list[Finding] = []
    for m in modules:
        for call in m.calls:
            found += _starlette(m, call) + _flask(m, call) + _aiohttp(m, call)
        found += _django(m, known, deployed or {})
    return found
