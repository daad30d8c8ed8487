"""aiohttp applications read statically: ``web.Application(middlewares=[...])``,
``RouteTableDef`` decorators, ``router.add_*`` and ``web.get(...)`` route definitions,
``@web.middleware`` functions and whether the app names them. Pure, no pytest."""

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

METHODS = {**HTTP_VERBS, "head": "HEAD", "options": "OPTIONS", "view": "*", "route": "*"}
ADD_METHODS = {"add_" + k: v for k, v in METHODS.items()}


def _kind(fn: ast.AST, module: pyast.Module) -> str:
    for sub in ast.walk(fn):
        if isinstance(sub, ast.Call):
            name = pyast.tail(module.resolve(sub.func))
            if name == "WebSocketResponse":
                return "websocket"
            if name in ("EventSourceResponse", "sse_response"):
                return "sse"
        if isinstance(sub, ast.Constant) and sub.value == "text/event-stream":
            return "sse"
    return "http"


def _route(code: Code, module: pyast.Module, method: str, path_node: ast.expr | None,
           handler: ast.AST | None, handler_name: str, line: int,
           handler_module: pyast.Module | None = None) -> Route:
    path = code.const(module, path_node) or "?"
    guards: list[str] = []
    kind = "http"
    if isinstance(handler, (ast.FunctionDef, ast.AsyncFunctionDef)):
        guards = guard_names(module, handler.decorator_list) + checks_auth(handler, module)
        kind = _kind(handler, module)
    where = (handler_module or module).rel if handler is not None else ""
    return Route("aiohttp", method, path, handler_name, module.rel, line, tuple(guards), kind,
                 handler_file=where, handler_line=getattr(handler, "lineno", 0))


def read(code: Code) -> list[App]:
    modules = code.importing("aiohttp")
    apps: list[App] = []
    routes: list[Route] = []
    gates: list[Gate] = []
    for m in modules:
        for call in m.calls:
            if call.name in ("aiohttp.web.Application", "aiohttp.web_app.Application"):
                apps.append(App("aiohttp", m.rel, call.line))
            tail = pyast.tail(call.name)
            if tail in ADD_METHODS and ".router." in f".{call.name}":
                method = ADD_METHODS[tail] if tail != "add_route" else \
                    (code.const(m, call.arg(0)) or "*")
                path_arg, handler_arg = (call.arg(0), call.arg(1)) if tail != "add_route" \
                    else (call.arg(1), call.arg(2))
                found = code.resolve_def(m, handler_arg) if handler_arg is not None else None
                routes.append(_route(code, m, method, path_arg, found[1] if found else None,
                                     pyast.tail(m.resolve(handler_arg)) if handler_arg else "?",
                                     call.line, found[0] if found else None))
            elif call.name.startswith("aiohttp.web.") and tail in METHODS and tail != "view" \
                    and len(call.node.args) >= 2:
                found = code.resolve_def(m, call.node.args[1])
                routes.append(_route(code, m, METHODS[tail], call.node.args[0],
                                     found[1] if found else None,
                                     pyast.tail(m.resolve(call.node.args[1])), call.line,
                                     found[0] if found else None))
        for fn in m.functions:
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for dec in fn.decorator_list:
                if isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute):
                    owner = m.resolve(dec.func.value) or ""
                    if owner.endswith("RouteTableDef()") and dec.func.attr in METHODS:
                        routes.append(_route(code, m, METHODS[dec.func.attr], dec.args[0]
                                             if dec.args else None, fn, fn.name, dec.lineno))
                elif pyast.tail(m.resolve(dec)) == "middleware" and \
                        (m.resolve(dec) or "").startswith("aiohttp"):
                    gates.append(Gate("aiohttp", fn.name, m.rel, fn.lineno,
                                      code.referenced(fn.name), denies(fn, m),
                                      exclusion_of(code, m, fn)))
    if not apps:
        return []
    first = apps[0]
    first.routes = apply_gates(routes, gates)
    first.gates = gates
    return [first]
