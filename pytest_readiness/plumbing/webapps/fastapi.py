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

METHODS = {**HTTP_VERBS, "head": "HEAD", "options": "OPTIONS", "api_route": "*", "route": "*",
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
    parent: _Router | None = None  # the router it is included in

    def full_prefix(self, depth: int = 0) -> str:
        above = self.parent.full_prefix(depth + 1) if self.parent and depth < 8 else ""
        return above + (self.mounted or "") + self.prefix

    def all_guards(self, depth: int = 0) -> list[str]:
        above = self.parent.all_guards(depth + 1) if self.parent and depth < 8 else []
        return above + self.mount_guards + self.guards


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
        unreadable = code.unreadable(module, node.id)
        if unreadable and AUTH_NAME.search(node.id):
            return [f"unknown: {node.id} ({unreadable} did not parse)"]
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
                is_app = m.resolve(value.func) in APP_CLASSES
                r = _Router(m, name, value.lineno, is_app,
                            code.text(m, _kw(value, "prefix")),
                            _dependencies(code, m, _kw(value, "dependencies")))
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
    # include_router(router, prefix=..., dependencies=...), on an app or another router
    for m in modules:
        for call in m.calls:
            if pyast.tail(call.name) == "include_router" and call.node.args \
                    and isinstance(call.node.func, ast.Attribute):
                key = code.key_in(m, call.node.args[0], routers)
                if key is not None:
                    r = routers[key]
                    r.mounted = code.text(m, call.keyword("prefix"))
                    r.mount_guards = _dependencies(code, m, call.keyword("dependencies"))
                    owner = code.key_in(m, call.node.func.value, routers)
                    if owner is not None and routers[owner] is not r:
                        r.parent = routers[owner]
    routes: list[Route] = []
    for m in modules:
        for fn in m.functions:
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for dec in fn.decorator_list:
                if not (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)
                        and dec.func.attr in METHODS):
                    continue
                key = code.key_in(m, dec.func.value, routers)
                if key is None:
                    continue
                routes.append(_route(code, m, routers[key], METHODS[dec.func.attr],
                                     dec.args[0] if dec.args else _kw(dec, "path"),
                                     _kw(dec, "dependencies"), fn, m, dec.lineno))
        for node in m.of(ast.Call):
            # app.post("/prompt")(handler) and router.add_api_route("/x", handler)
            inner = node.func
            path: ast.expr | None
            handler: ast.expr | None
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) \
                    and inner.func.attr in METHODS and node.args:
                path, deps, handler = (inner.args[0] if inner.args else _kw(inner, "path"),
                                       _kw(inner, "dependencies"), node.args[0])
                receiver, method = inner.func.value, METHODS[inner.func.attr]
            elif isinstance(inner, ast.Attribute) and inner.attr in ("add_api_route",
                                                                     "add_api_websocket_route"):
                path = node.args[0] if node.args else _kw(node, "path")
                handler = node.args[1] if len(node.args) > 1 else _kw(node, "endpoint")
                deps, receiver = _kw(node, "dependencies"), inner.value
                method = "WS" if inner.attr == "add_api_websocket_route" else ",".join(
                    code.const(m, e) or "?" for e in getattr(_kw(node, "methods"), "elts", [])
                ) or "GET"
            else:
                continue
            found_key = code.key_in(m, receiver, routers)
            if found_key is None or handler is None:
                continue
            found = _handler_def(code, m, handler)
            routes.append(_route(code, m, routers[found_key], method, path, deps,
                                 found[1] if found else None, found[0] if found else m,
                                 node.lineno, name=ast.unparse(handler)))
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


def _route(code: Code, m: pyast.Module, r: _Router, method: str, path_node: ast.expr | None,
           deps: ast.expr | None, fn: ast.AST | None, fm: pyast.Module, line: int,
           name: str = "") -> Route:
    guards = r.all_guards() + _dependencies(code, m, deps)
    kind = "websocket" if method == "WS" else "http"
    if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        guards += _handler_guards(code, fm, fn)
        kind = _kind(fn, fm, method)
    return Route("fastapi", method, r.full_prefix() + code.text(m, path_node),
                 name or getattr(fn, "name", "?"), m.rel, line, tuple(dict.fromkeys(guards)),
                 kind, handler_file=fm.rel if fn is not None else "",
                 handler_line=getattr(fn, "lineno", 0))


def _handler_def(code: Code, m: pyast.Module, node: ast.expr
                 ) -> tuple[pyast.Module, ast.AST] | None:
    """A handler given by name, ``module.fn`` or ``self.method`` (a method of the module)."""
    found = code.resolve_def(m, node)
    if found is not None:
        return found
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
            and node.value.id == "self":
        fn = next((f for f in m.functions if getattr(f, "name", "") == node.attr), None)
        if fn is not None:
            return m, fn
    return None


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
            out.append(code.text(module, node))  # computed: shown as its expression
    return out


def _bind_local(m: pyast.Module, call: pyast.CallSite, holder: _Router,
                routers: dict[tuple[str, str], _Router]) -> None:
    """``app = FastAPI()`` inside a function: ``@app.get`` in that module is this app."""
    for node in m.of(ast.Assign):
        if node.value is call.node:
            for target in node.targets:
                name = pyast.dotted(target, {}) if isinstance(target, (ast.Name,
                                                                       ast.Attribute)) else None
                if name:
                    routers.setdefault((m.rel, name), holder)
