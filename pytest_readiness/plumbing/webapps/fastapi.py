"""FastAPI and Starlette applications read statically: ``FastAPI()`` and ``APIRouter()``
with their prefixes and ``dependencies``, ``include_router``, route decorators with
route-level dependencies and ``Depends``/``Security`` parameters (also through an
``Annotated`` alias), the documentation routes FastAPI adds by default, and ASGI
middleware classes with whether ``add_middleware`` names them. Pure, no pytest."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.webapps.model import (
    AUTH_NAME,
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

METHODS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE",
           "head": "HEAD", "options": "OPTIONS", "api_route": "*", "route": "*",
           "websocket": "WS", "websocket_route": "WS"}
APP_CLASSES = ("fastapi.FastAPI", "starlette.applications.Starlette")
ROUTER_CLASSES = ("fastapi.APIRouter", "fastapi.routing.APIRouter", *APP_CLASSES)
DOCS = (("docs_url", "/docs"), ("redoc_url", "/redoc"), ("openapi_url", "/openapi.json"))


@dataclass
class _Router:
    module: pyast.Module
    name: str
    line: int
    is_app: bool
    prefix: str = ""
    guards: list[str] = field(default_factory=list)
    mounted: str | None = None  # the include prefix, once included
    mount_guards: list[str] = field(default_factory=list)


def _dependencies(code: Code, module: pyast.Module, node: ast.expr | None) -> list[str]:
    """Auth-like callables in ``dependencies=[Depends(f), Security(g)]``."""
    if not isinstance(node, (ast.List, ast.Tuple)):
        return []
    return [g for elt in node.elts for g in _depends(module, elt)]


def _depends(module: pyast.Module, node: ast.expr) -> list[str]:
    if isinstance(node, ast.Call) and pyast.tail(module.resolve(node.func)) in ("Depends",
                                                                               "Security"):
        target = node.args[0] if node.args else None
        name = pyast.tail(module.resolve(target)) if target is not None else ""
        if pyast.tail(module.resolve(node.func)) == "Security" or (name and AUTH_NAME.search(name)):
            return [f"Depends({name})"]
    return []


def _annotated_guards(code: Code, module: pyast.Module, node: ast.expr | None,
                      depth: int = 0) -> list[str]:
    """``Annotated[X, Depends(f)]``, or a name bound to one (``User``), possibly imported."""
    if node is None or depth > 3:
        return []
    if isinstance(node, ast.Subscript) and pyast.tail(module.resolve(node.value)) == "Annotated":
        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return [g for e in elts[1:] for g in _depends(module, e)]
    if isinstance(node, ast.Name):
        found = code.lookup(module, node.id)
        if found is not None:
            value = code.assigns(found[0]).get(found[1])
            return _annotated_guards(code, found[0], value, depth + 1)
    return []


def _handler_guards(code: Code, module: pyast.Module,
                    fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    guards = guard_names(module, [d for d in fn.decorator_list
                                  if not (isinstance(d, ast.Call) and
                                          isinstance(d.func, ast.Attribute) and
                                          d.func.attr in METHODS)])
    args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    defaults = [*fn.args.defaults, *fn.args.kw_defaults]
    for default in defaults:
        if default is not None:
            guards += _depends(module, default)
    for arg in args:
        guards += _annotated_guards(code, module, arg.annotation)
    return guards + checks_auth(fn, module)


def _kind(fn: ast.AST, module: pyast.Module, method: str) -> str:
    if method == "WS":
        return "websocket"
    for sub in ast.walk(fn):
        if isinstance(sub, ast.Constant) and sub.value == "text/event-stream":
            return "sse"
        if isinstance(sub, ast.Call) and pyast.tail(module.resolve(sub.func)) == \
                "EventSourceResponse":
            return "sse"
    return "http"


def _is_asgi_middleware(cls: ast.ClassDef, module: pyast.Module) -> bool:
    if any(pyast.tail(module.resolve(b)) == "BaseHTTPMiddleware" for b in cls.bases):
        return True
    for item in cls.body:
        if isinstance(item, ast.AsyncFunctionDef) and item.name == "__call__":
            names = [a.arg for a in item.args.args]
            return names[1:4] == ["scope", "receive", "send"]
    return False


def read(code: Code) -> list[App]:
    modules = code.importing("fastapi", "starlette")
    routers: dict[tuple[str, str], _Router] = {}
    apps: list[tuple[App, _Router, ast.Call]] = []
    for m in modules:
        for name, value in code.assigns(m).items():
            if isinstance(value, ast.Call) and m.resolve(value.func) in ROUTER_CLASSES:
                call = value
                is_app = m.resolve(value.func) in APP_CLASSES
                r = _Router(m, name, value.lineno, is_app,
                            code.const(m, _kw(call, "prefix")) or "",
                            _dependencies(code, m, _kw(call, "dependencies")))
                routers[(m.rel, name)] = r
        for call in m.calls:
            if call.name in APP_CLASSES:
                app = App("fastapi", m.rel, call.line)
                holder = next((r for r in routers.values() if r.module is m
                               and r.line == call.line), None)
                if holder is None:  # built inside a factory: ``app = FastAPI(...)``
                    holder = _Router(m, "app", call.line, True, "",
                                     _dependencies(code, m, call.keyword("dependencies")))
                    routers[(m.rel, f"app@{call.line}")] = holder
                    _bind_local(m, call, holder, routers)
                apps.append((app, holder, call.node))
    if not apps:
        return []
    # include_router(router, prefix=..., dependencies=...)
    for m in modules:
        for call in m.calls:
            if pyast.tail(call.name) == "include_router" and call.node.args:
                target = call.node.args[0]
                key = _router_key(code, m, target, routers)
                if key is not None:
                    r = routers[key]
                    r.mounted = code.const(m, call.keyword("prefix")) or ""
                    r.mount_guards = _dependencies(code, m, call.keyword("dependencies"))
    routes: list[Route] = []
    for m in modules:
        for fn in m.functions:
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for dec in fn.decorator_list:
                if not (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)
                        and dec.func.attr in METHODS):
                    continue
                key = _router_key(code, m, dec.func.value, routers)
                if key is None:
                    continue
                r = routers[key]
                method = METHODS[dec.func.attr]
                path = code.const(m, dec.args[0] if dec.args else _kw(dec, "path")) or "?"
                full = (r.mounted or "") + r.prefix + path
                guards = (r.guards + r.mount_guards + _dependencies(code, m, _kw(dec,
                          "dependencies")) + _handler_guards(code, m, fn))
                routes.append(Route("fastapi", method, full, fn.name, m.rel, dec.lineno,
                                    tuple(dict.fromkeys(guards)), _kind(fn, m, method),
                                    handler_file=m.rel, handler_line=fn.lineno))
    gates: list[Gate] = []
    for m in modules:
        for cls in m.of(ast.ClassDef):
            if _is_asgi_middleware(cls, m):
                gates.append(Gate("fastapi", cls.name, m.rel, cls.lineno,
                                  code.referenced(cls.name), denies(cls, m),
                                  exclusion_of(code, m, cls)))
        for fn in m.functions:
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                    isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute)
                    and d.func.attr == "middleware" for d in fn.decorator_list):
                gates.append(Gate("fastapi", fn.name, m.rel, fn.lineno, True, denies(fn, m),
                                  exclusion_of(code, m, fn)))
    out = []
    for app, holder, node in apps:
        docs = _docs(code, holder.module, node)
        app.routes = apply_gates(
            [*routes, *(Route("fastapi", "GET", p, "FastAPI", app.file, app.line, (), "docs")
                        for p in docs)], gates)
        app.gates = gates
        out.append(app)
    return out[:1] + [a for a in out[1:] if a.file != out[0].file]


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _docs(code: Code, module: pyast.Module, call: ast.Call) -> list[str]:
    """The documentation paths ``FastAPI(...)`` serves (defaults unless set to None)."""
    if module.resolve(call.func) != "fastapi.FastAPI":
        return []
    openapi = _kw(call, "openapi_url")
    if isinstance(openapi, ast.Constant) and openapi.value is None:
        return []
    out = []
    for key, default in DOCS:
        node = _kw(call, key)
        if node is None:
            out.append(default)
        elif not (isinstance(node, ast.Constant) and node.value is None):
            value = code.const(module, node)
            if value:
                out.append(value)
            elif _kw(call, key) is not None:
                return []  # computed (settings decide): not guessed
    return out


def _bind_local(m: pyast.Module, call: pyast.CallSite, holder: _Router,
                routers: dict[tuple[str, str], _Router]) -> None:
    """``app = FastAPI()`` inside a function: ``@app.get`` in that module is this app."""
    for node in m.of(ast.Assign):
        if node.value is call.node:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    routers.setdefault((m.rel, target.id), holder)


def _router_key(code: Code, m: pyast.Module, node: ast.expr,
                routers: dict[tuple[str, str], _Router]) -> tuple[str, str] | None:
    if isinstance(node, ast.Name):
        if (m.rel, node.id) in routers:
            return m.rel, node.id
        found = code.lookup(m, node.id)
        if found and (found[0].rel, found[1]) in routers:
            return found[0].rel, found[1]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        target = code.by_name.get(m.aliases.get(node.value.id, node.value.id))
        if target is not None and (target.rel, node.attr) in routers:
            return target.rel, node.attr
    return None
