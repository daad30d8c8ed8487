"""Django projects read statically: the settings module (``MIDDLEWARE``,
``ROOT_URLCONF``), ``urlpatterns`` with ``path``/``re_path`` and ``include()`` across
modules, views with their decorators (``login_required``, ``permission_required``) and
DRF ``permission_classes``, and middleware classes nobody lists. Pure, no pytest."""

from __future__ import annotations

import ast

from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.webapps.model import (
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

PATHS = ("path", "re_path", "url")
OPEN_PERMISSIONS = ("AllowAny",)


def settings_modules(code: Code) -> list[pyast.Module]:
    """Modules that assign MIDDLEWARE or ROOT_URLCONF at module level."""
    return [m for m in code.modules
            if {"MIDDLEWARE", "ROOT_URLCONF"} & set(code.assigns(m))]


def _view(code: Code, m: pyast.Module, node: ast.expr
          ) -> tuple[str, list[str], str, tuple[str, int]]:
    """(name, guards, kind) of a view expression: ``views.fn``, ``View.as_view()``."""
    wrapped: list[str] = []
    while isinstance(node, ast.Call):  # login_required(views.fn), View.as_view()
        name = pyast.tail(m.resolve(node.func))
        if name == "as_view" and isinstance(node.func, ast.Attribute):
            node = node.func.value
            continue
        wrapped += guard_names(m, [node.func])
        if not node.args:
            break
        node = node.args[0]
    found = code.resolve_def(m, node)
    name = pyast.tail(m.resolve(node)) if isinstance(node, (ast.Name, ast.Attribute)) else "?"
    if found is None:
        return name, wrapped, "http", ("", 0)
    vm, fn = found
    guards = list(wrapped)
    kind = "http"
    if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        guards += guard_names(vm, fn.decorator_list) + checks_auth(fn, vm)
    elif isinstance(fn, ast.ClassDef):
        guards += guard_names(vm, fn.bases)
        for item in fn.body:
            if isinstance(item, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id in ("permission_classes",
                                                         "authentication_classes")
                    for t in item.targets):
                names = [pyast.tail(vm.resolve(e)) for e in getattr(item.value, "elts", [])]
                if names and not all(n in OPEN_PERMISSIONS for n in names):
                    guards.append("permission_classes=" + ",".join(names))
    for sub in ast.walk(fn):
        if isinstance(sub, ast.Constant) and sub.value == "text/event-stream":
            kind = "sse"
    return name, guards, kind, (vm.rel, getattr(fn, "lineno", 0))


def _patterns(code: Code, m: pyast.Module, prefix: str, seen: set[str]) -> list[Route]:
    if m.rel in seen:
        return []
    seen.add(m.rel)
    node = code.assigns(m).get("urlpatterns")
    routes: list[Route] = []
    elts = getattr(node, "elts", [])
    for elt in elts:
        if not isinstance(elt, ast.Call) or pyast.tail(m.resolve(elt.func)) not in PATHS \
                or len(elt.args) < 2:
            continue
        raw = code.const(m, elt.args[0])
        part = (raw or "?").lstrip("^").rstrip("$")
        view = elt.args[1]
        if isinstance(view, ast.Call) and pyast.tail(m.resolve(view.func)) == "include":
            target = code.const(m, view.args[0]) if view.args else None
            inner = code.by_name.get(target or "") if target else None
            if inner is None and view.args:
                inner = code.by_name.get(m.resolve(view.args[0]) or "")
            if inner is not None:
                routes += _patterns(code, inner, prefix + part, seen)
            continue
        name, guards, kind, (hfile, hline) = _view(code, m, view)
        routes.append(Route("django", "*", "/" + (prefix + part).lstrip("/"), name, m.rel,
                            elt.lineno, tuple(guards), kind, handler_file=hfile,
                            handler_line=hline))
    return routes


def _is_middleware(cls: ast.ClassDef, m: pyast.Module) -> bool:
    if any(pyast.tail(m.resolve(b)) == "MiddlewareMixin" for b in cls.bases):
        return True
    for item in cls.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            return [a.arg for a in item.args.args][1:2] == ["get_response"]
    return False


def read(code: Code) -> list[App]:
    out = []
    for s in settings_modules(code):
        listed = code.collection(s, code.assigns(s).get("MIDDLEWARE"))
        names = {v.rsplit(".", 1)[-1] for v, _ in (listed[2] if listed else []) if v}
        root = code.const(s, code.assigns(s).get("ROOT_URLCONF"))
        urls = code.by_name.get(root or "")
        app = App("django", s.rel, 1)
        gates = []
        for m in code.importing("django"):
            for cls in m.of(ast.ClassDef):
                if _is_middleware(cls, m):
                    gates.append(Gate("django", cls.name, m.rel, cls.lineno,
                                      cls.name in names or code.referenced(cls.name),
                                      denies(cls, m), exclusion_of(code, m, cls)))
        routes = _patterns(code, urls, "", set()) if urls is not None else []
        if urls is None:
            app.notes.append(f"ROOT_URLCONF {root!r} not found in the codebase")
        app.routes = apply_gates(routes, gates)
        app.gates = gates
        out.append(app)
    return out[:1]
