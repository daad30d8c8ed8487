"""Flask applications read statically: ``Flask()`` (in a factory or not), blueprints with
``url_prefix``, ``register_blueprint``, route decorators, ``before_request`` hooks (as a
call or a decorator, app-wide or per blueprint), view decorators, and hook-shaped
functions that nothing registers. Pure, no pytest."""

from __future__ import annotations

import ast

from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.webapps.model import (
    HTTP_VERBS,
    App,
    Code,
    Gate,
    Route,
    apply_gates,
    checks_auth,
    denies,
    exclusion_of,
    guard_names,
)

HOOKS = ("before_request", "before_app_request")


def _methods(code: Code, m: pyast.Module, dec: ast.Call) -> str:
    attr = dec.func.attr if isinstance(dec.func, ast.Attribute) else "route"
    if attr in HTTP_VERBS:
        return HTTP_VERBS[attr]
    node = next((k.value for k in dec.keywords if k.arg == "methods"), None)
    if isinstance(node, (ast.List, ast.Tuple)):
        return ",".join(code.const(m, e) or "?" for e in node.elts)
    return "GET"


def _kind(fn: ast.AST) -> str:
    for sub in ast.walk(fn):
        if isinstance(sub, ast.Constant) and sub.value == "text/event-stream":
            return "sse"
    return "http"


def read(code: Code) -> list[App]:
    modules = code.importing("flask")
    apps: list[App] = []
    prefixes: dict[tuple[str, str], str] = {}  # (module, blueprint) -> url_prefix
    for m in modules:
        for call in m.calls:
            if call.name == "flask.Flask":
                apps.append(App("flask", m.rel, call.line))
        for name, value in code.assigns(m).items():
            if isinstance(value, ast.Call) and m.resolve(value.func) == "flask.Blueprint":
                prefixes[(m.rel, name)] = code.const(m, _kw(value, "url_prefix")) or ""
    if not apps:
        return []
    for m in modules:  # register_blueprint(bp, url_prefix=...) overrides the blueprint's
        for call in m.calls:
            if pyast.tail(call.name) == "register_blueprint" and call.node.args:
                found = code.key_in(m, call.node.args[0], prefixes)
                override = code.const(m, call.keyword("url_prefix"))
                if found and override is not None:
                    prefixes[found] = override
    registered: set[str] = set()
    routes: list[Route] = []
    for m in modules:
        for call in m.calls:
            if pyast.tail(call.name) in HOOKS and call.node.args:
                registered.add(pyast.tail(m.resolve(call.node.args[0])))
        for fn in m.functions:
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for dec in fn.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                if isinstance(target, ast.Attribute) and target.attr in HOOKS:
                    registered.add(fn.name)
                if not (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)
                        and (dec.func.attr in HTTP_VERBS or dec.func.attr == "route")):
                    continue
                owner = m.resolve(dec.func.value) or ""
                bp = code.key_in(m, dec.func.value, prefixes)
                if bp is None and not owner.startswith("flask.Flask"):
                    continue
                path = code.const(m, dec.args[0] if dec.args else None) or "?"
                full = (prefixes.get(bp, "") if bp else "") + path
                guards = guard_names(m, [d for d in fn.decorator_list if d is not dec]) \
                    + checks_auth(fn, m)
                routes.append(Route("flask", _methods(code, m, dec), full, fn.name, m.rel,
                                    dec.lineno, tuple(guards), _kind(fn), handler_file=m.rel,
                                    handler_line=fn.lineno))
    gates: list[Gate] = []
    for m in modules:
        if "flask.request" not in m.aliases.values():
            continue
        for name, node in code.defs(m).items():
            is_hook = name in registered
            shaped = isinstance(node, ast.FunctionDef) and not node.decorator_list \
                and not node.args.args \
                and not node.args.posonlyargs and not node.args.kwonlyargs
            if (is_hook or (shaped and not code.referenced(name))) and denies(node, m):
                gates.append(Gate("flask", name, m.rel, getattr(node, "lineno", 0), is_hook, True,
                                  exclusion_of(code, m, node), "hook"))
    app = apps[0]
    app.routes = apply_gates(routes, gates)
    app.gates = gates
    return [app]


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)
