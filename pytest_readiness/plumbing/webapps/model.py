"""The shared static model of a web or RPC application: routes, gates and what guards each.

A *route* is one entry point (an HTTP method and path, a WebSocket, a gRPC service); a
*gate* is a middleware, request hook or interceptor. Both come from reading the code
(never importing it): each framework module (aiohttp.py, fastapi.py, flask.py,
django.py, grpc.py) fills an :class:`App`; :class:`Code` is what they share: the modules
of one codebase by dotted name, string constants resolved across imports, and which
names are referenced anywhere (a middleware nobody names is not registered). Pure, no
pytest.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from pytest_readiness.plumbing import pyast

# What an entry point is, by its path or handler: the kinds a reviewer wants guarded.
_SEGMENT = re.compile(r"[^/.:]+")
SENSITIVE_SEGMENTS: dict[str, str] = {
    "metrics": "metrics", "prometheus": "metrics", "admin": "admin", "debug": "debug",
    "__debug__": "debug", "pprof": "debug", "docs": "docs", "redoc": "docs",
    "openapi.json": "docs", "openapi": "docs", "swagger": "docs", "swagger-ui": "docs",
    "events": "stream", "stream": "stream", "ws": "stream", "websocket": "stream", "sse": "stream",
}
# Calls and names inside a function that say "this refuses an unauthenticated caller".
_DENY_NAMES = re.compile(r"Unauthori[sz]ed|UNAUTHENTICATED|PermissionDenied|PERMISSION_DENIED|"
                         r"Forbidden|NotAuthenticated|AuthenticationFailed")
_AUTH_CALL = re.compile(r"(?i)auth|token_ok|verify_token|scrape|permission|bearer|credential|"
                        r"login_required|jwt_required|require|check_token|is_authenticated")
# Decorators and dependencies that guard a handler.
AUTH_NAME = re.compile(r"(?i)auth|login_required|permission|_required$|^require|jwt|token|"
                       r"user|admin|scrape|security|secured|verify|bearer|api_?key|"
                       r"staff_member|user_passes_test|protected|guard")


def sensitive_kind(path: str) -> str | None:
    """``metrics``, ``admin``, ``debug``, ``docs`` or ``stream`` when the path names one."""
    for segment in _SEGMENT.findall(path.lower()):
        segment = segment.strip("{}<>")
        if segment in SENSITIVE_SEGMENTS:
            return SENSITIVE_SEGMENTS[segment]
    return None


# Route decorator and method names every framework spells the same way.
HTTP_VERBS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE"}

@dataclass(frozen=True)
class Route:
    """One entry point of an application and what guards it."""

    framework: str
    method: str  # GET, POST, *, WS, RPC
    path: str
    handler: str
    file: str
    line: int
    guards: tuple[str, ...] = ()  # route-level: decorators, dependencies, checks in the handler
    kind: str = "http"  # http, websocket, sse, docs, rpc, metrics-server
    exempt: str = ""  # the exclusion list that lets it past the auth gates ("auth.py:19")
    gated_by: tuple[str, ...] = ()  # the registered auth gates that apply to it
    handler_file: str = ""  # where the handler is defined (when the reader found it)
    handler_line: int = 0

    @property
    def authenticated(self) -> bool:
        return bool(self.guards) or (bool(self.gated_by) and not self.exempt)

    @property
    def sensitive(self) -> str | None:
        if self.kind in ("websocket", "sse"):
            return "stream"
        if self.kind == "docs":
            return "docs"
        return sensitive_kind(self.path)

    def to_dict(self) -> dict[str, Any]:
        auth = [*self.guards, *(() if self.exempt else self.gated_by)]
        return {"method": self.method, "path": self.path, "handler": self.handler,
                "where": f"{self.file}:{self.line}", "kind": self.kind,
                "auth": ", ".join(auth) or ("none (exempt: " + self.exempt + ")"
                                            if self.exempt else "none")}


@dataclass(frozen=True)
class Exclusion:
    """Paths (or RPC methods) an auth gate lets through, and how it compares them."""

    name: str  # the collection's name, or "literal"
    file: str
    entries: tuple[tuple[str | None, int], ...]  # (value or None when unresolved, line)
    prefix_line: int | None = None  # a ``startswith`` match: the line of the comparison
    compare_file: str = ""

    def exempts(self, path: str) -> bool:
        values = [v for v, _ in self.entries if v is not None]
        if self.prefix_line is not None:
            return any(path.startswith(v) for v in values)
        return path in values or path.rstrip("/") in values


@dataclass(frozen=True)
class Gate:
    """A middleware, hook or interceptor: where it is defined and whether the app uses it."""

    framework: str
    name: str
    file: str
    line: int
    registered: bool
    authenticates: bool
    exclusion: Exclusion | None = None
    kind: str = "middleware"  # middleware, hook, interceptor


@dataclass
class App:
    """One application (or server) of a codebase, as read statically."""

    framework: str
    file: str  # where it is built
    line: int
    routes: list[Route] = field(default_factory=list)
    gates: list[Gate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def auth_gates(self) -> list[Gate]:
        return [g for g in self.gates if g.registered and g.authenticates]

    def inventory(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self.routes]


def module_name(rel: str) -> str:
    """``inventory/routes.py`` -> ``inventory.routes``; ``pkg/__init__.py`` -> ``pkg``."""
    name = rel[:-3] if rel.endswith(".py") else rel
    name = name.replace("/", ".")
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


class Code:
    """The modules of one codebase, for the framework readers."""

    def __init__(self, modules: Iterable[pyast.Module], unparsed: Iterable[str] = ()) -> None:
        """``unparsed``: files of the codebase that did not parse (their names are unknown:
        a guard imported from one is reported as unknown, never as absent)."""
        self.modules = [m for m in modules if m.tree is not None]
        self.unparsed: dict[str, str] = {}
        for rel in unparsed:
            parts = module_name(rel).split(".")
            for cut in range(len(parts)):
                self.unparsed.setdefault(".".join(parts[cut:]), rel)
        self.by_name: dict[str, pyast.Module] = {}
        for m in self.modules:
            self.by_name[module_name(m.rel)] = m
        for m in self.modules:  # ``backend/app/api/deps.py`` is imported as ``app.api.deps``
            parts = module_name(m.rel).split(".")
            for cut in range(1, len(parts)):
                self.by_name.setdefault(".".join(parts[cut:]), m)
        self._refs: dict[str, int] | None = None
        self._assigns: dict[str, dict[str, ast.expr]] = {}
        self._defs: dict[str, dict[str, ast.AST]] = {}

    def importing(self, *prefixes: str) -> list[pyast.Module]:
        return [m for m in self.modules
                if any(name == p or name.startswith(p + ".") for name, _ in m.imports
                       for p in prefixes)]

    # -- names defined at module level ------------------------------------------------
    def assigns(self, module: pyast.Module) -> dict[str, ast.expr]:
        if module.rel not in self._assigns:
            found: dict[str, ast.expr] = {}
            assert module.tree is not None
            for node in module.tree.body:
                if isinstance(node, ast.Assign) and node.value is not None:
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            found[target.id] = node.value
                elif isinstance(node, ast.AnnAssign) and node.value is not None \
                        and isinstance(node.target, ast.Name):
                    found[node.target.id] = node.value
            self._assigns[module.rel] = found
        return self._assigns[module.rel]

    def defs(self, module: pyast.Module) -> dict[str, ast.AST]:
        """Module-level functions and classes by name."""
        if module.rel not in self._defs:
            assert module.tree is not None
            self._defs[module.rel] = {
                n.name: n for n in module.tree.body
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        return self._defs[module.rel]

    def unreadable(self, module: pyast.Module, name: str) -> str | None:
        """The file a name is imported from when that file did not parse."""
        origin = module.aliases.get(name, "")
        return self.unparsed.get(origin.rpartition(".")[0]) if origin else None

    def key_in(self, module: pyast.Module, node: ast.expr,
               table: Container[tuple[str, str]]) -> tuple[str, str] | None:
        """The (file, name) key of ``table`` that ``node`` in ``module`` names: a name of
        the module, a name imported from another (one import followed), ``mod.name`` of
        an imported module, or a dotted attribute of the module itself (``self.app``)."""
        if isinstance(node, ast.Name):
            if (module.rel, node.id) in table:
                return module.rel, node.id
            found = self.lookup(module, node.id)
            if found and (found[0].rel, found[1]) in table:
                return found[0].rel, found[1]
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            target = self.by_name.get(module.aliases.get(node.value.id, node.value.id))
            if target is not None and (target.rel, node.attr) in table:
                return target.rel, node.attr
            dotted = pyast.dotted(node, {})
            if dotted and (module.rel, dotted) in table:
                return module.rel, dotted
        return None

    def lookup(self, module: pyast.Module, name: str) -> tuple[pyast.Module, str] | None:
        """Where a module-level name of ``module`` is defined (following one import)."""
        if name in self.assigns(module) or name in self.defs(module):
            return module, name
        origin = module.aliases.get(name)
        if origin and "." in origin:
            mod, _, attr = origin.rpartition(".")
            target = self.by_name.get(mod)
            if target is not None and (attr in self.assigns(target) or attr in self.defs(target)):
                return target, attr
            target = self.by_name.get(origin)  # ``from pkg import module``
            if target is not None:
                return None
        return None

    def resolve_def(self, module: pyast.Module, node: ast.expr
                    ) -> tuple[pyast.Module, ast.AST] | None:
        """The function or class a name or ``module.attr`` expression refers to."""
        if isinstance(node, ast.Name):
            found = self.lookup(module, node.id)
            if found and found[1] in self.defs(found[0]):
                return found[0], self.defs(found[0])[found[1]]
            return None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            origin = module.aliases.get(node.value.id, node.value.id)
            target = self.by_name.get(origin)
            if target is not None and node.attr in self.defs(target):
                return target, self.defs(target)[node.attr]
        return None

    def text(self, module: pyast.Module, node: ast.expr | None) -> str:
        """A string constant, or the expression in braces (``{settings.API_V1_STR}``)."""
        value = self.const(module, node)
        if value is not None or node is None:
            return value or ""
        if isinstance(node, ast.JoinedStr):
            return "".join(self._part(module, v) for v in node.values)
        return "{" + ast.unparse(node) + "}"

    def _part(self, module: pyast.Module, part: ast.expr) -> str:
        """One piece of an f-string: its text, a constant it names, else ``{expression}``."""
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            return part.value
        if isinstance(part, ast.FormattedValue) and part.conversion == -1 and \
                part.format_spec is None:
            value = self.const(module, part.value)
            if value is not None:
                return value
        return "{" + ast.unparse(getattr(part, "value", part)) + "}"

    def const(self, module: pyast.Module, node: ast.expr | None, depth: int = 0) -> str | None:
        """A string constant, a name bound to one (across one import), or their sum."""
        if node is None or depth > 4:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.const(module, node.left, depth + 1), \
                self.const(module, node.right, depth + 1)
            return left + right if left is not None and right is not None else None
        name = node.id if isinstance(node, ast.Name) else None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            target = self.by_name.get(module.aliases.get(node.value.id, node.value.id))
            if target is not None:
                return self.const(target, self.assigns(target).get(node.attr), depth + 1)
            return self._setting(module, node.value.id, node.attr, depth)
        if name is None:
            return None
        found = self.lookup(module, name)
        if found is None:
            return None
        return self.const(found[0], self.assigns(found[0]).get(found[1]), depth + 1)

    def _setting(self, module: pyast.Module, instance: str, attr: str,
                 depth: int) -> str | None:
        """``settings.API_V1_STR`` where ``settings = Settings(...)``: the keyword the
        call gives, else the class's default (``API_V1_STR: str = "/api/v1"``). The
        default, as the code states it: the environment may set another at run time."""
        found = self.lookup(module, instance)
        if found is None:
            return None
        value = self.assigns(found[0]).get(found[1])
        if not isinstance(value, ast.Call):
            return None
        given = next((k.value for k in value.keywords if k.arg == attr), None)
        if given is not None:
            return self.const(found[0], given, depth + 1)
        cls = self.resolve_def(found[0], value.func)
        if cls is None or not isinstance(cls[1], ast.ClassDef):
            return None
        for statement in cls[1].body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) \
                    and statement.target.id == attr:
                return self.const(cls[0], statement.value, depth + 1)
            if isinstance(statement, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == attr for t in statement.targets):
                return self.const(cls[0], statement.value, depth + 1)
        return None

    def collection(self, module: pyast.Module, node: ast.expr | None
                   ) -> tuple[pyast.Module, str, list[tuple[str | None, int]]] | None:
        """The strings of a set/tuple/list/frozenset literal, or of a name bound to one."""
        name = "literal"
        if isinstance(node, ast.Name):
            found = self.lookup(module, node.id)
            if found is None or found[1] not in self.assigns(found[0]):
                return None
            module, name = found[0], found[1]
            node = self.assigns(module)[name]
        if isinstance(node, ast.Call) and pyast.tail(module.resolve(node.func)) in (
                "frozenset", "set", "tuple", "list") and node.args:
            node = node.args[0]
        if not isinstance(node, (ast.Set, ast.Tuple, ast.List)):
            return None
        return module, name, [(self.const(module, e), e.lineno) for e in node.elts]

    # -- references -----------------------------------------------------------------------
    def references(self) -> dict[str, int]:
        """How often each identifier is used: names, attributes and dotted strings."""
        if self._refs is None:
            refs: dict[str, int] = {}
            for m in self.modules:
                for node in m.of(ast.Name):
                    if isinstance(node.ctx, ast.Load):
                        refs[node.id] = refs.get(node.id, 0) + 1
                for attr in m.of(ast.Attribute):
                    refs[attr.attr] = refs.get(attr.attr, 0) + 1
                for const in m.of(ast.Constant):
                    if isinstance(const.value, str) and " " not in const.value \
                            and len(const.value) < 200:
                        last = const.value.rsplit(".", 1)[-1]
                        refs[last] = refs.get(last, 0) + 1
            self._refs = refs
        return self._refs

    def referenced(self, name: str) -> bool:
        return self.references().get(name, 0) > 0


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of one function or class (a small subtree; modules use ``Module.of``)."""
    return ast.walk(node)


def denies(node: ast.AST, module: pyast.Module) -> bool:
    """The function (or class) refuses callers: 401/403, Unauthorized, UNAUTHENTICATED."""
    for sub in walk(node):
        if isinstance(sub, ast.Name) and _DENY_NAMES.search(sub.id):
            return True
        if isinstance(sub, ast.Attribute) and _DENY_NAMES.search(sub.attr):
            return True
        if isinstance(sub, ast.Constant) and sub.value in (401, 403) \
                and not isinstance(sub.value, bool):
            return True
    return False


def checks_auth(node: ast.AST, module: pyast.Module) -> list[str]:
    """Calls in a handler that check a caller (``scrape_token_ok()``, ``has_permission``)
    and whose failure is refused (the handler also denies)."""
    names = []
    for sub in walk(node):
        if isinstance(sub, ast.Call):
            name = pyast.tail(module.resolve(sub.func))
            if name and _AUTH_CALL.search(name) and not _DENY_NAMES.search(name) \
                    and not name.startswith(("issue", "set_")):
                names.append(name)
    return names if names and denies(node, module) else []


def guard_names(module: pyast.Module, decorators: Iterable[ast.expr]) -> list[str]:
    """Decorators that guard a handler (``@login_required``, ``@require_role(ADMIN)``)."""
    out = []
    for dec in decorators:
        target = dec.func if isinstance(dec, ast.Call) else dec
        name = pyast.tail(module.resolve(target))
        if name and AUTH_NAME.search(name) and not name.startswith("require_http_method") \
                and name not in ("require_GET", "require_POST", "require_safe"):
            out.append(f"@{name}")
    return out


_PATH_ATTRS = frozenset({"path", "path_info", "method", "rel_url", "url", "raw_path",
                         "full_path", "endpoint"})


def _is_path(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in _PATH_ATTRS or \
        isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and \
        node.slice.value in ("path", "method")


def exclusion_of(code: Code, module: pyast.Module, node: ast.AST) -> Exclusion | None:
    """The public-path list an auth gate compares the request path (or RPC method) with:
    ``path in PUBLIC_PATHS`` (exact) or ``path.startswith(PUBLIC_PATHS)`` (prefix)."""
    for sub in walk(node):
        if isinstance(sub, ast.Compare) and len(sub.ops) == 1 \
                and isinstance(sub.ops[0], ast.In) and _is_path(sub.left):
            found = code.collection(module, sub.comparators[0])
            if found:
                return Exclusion(found[1], found[0].rel, tuple(found[2]))
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                and sub.func.attr == "startswith" and _is_path(sub.func.value) and sub.args:
            found = code.collection(module, sub.args[0])
            if found:
                return Exclusion(found[1], found[0].rel, tuple(found[2]), sub.lineno, module.rel)
    return None


def apply_gates(routes: list[Route], gates: list[Gate]) -> list[Route]:
    """Routes with the registered auth gates applied, and the exclusions that exempt them."""
    auth = [g for g in gates if g.registered and g.authenticates]
    out = []
    for r in routes:
        exempt = ""
        for g in auth:
            if g.exclusion and g.exclusion.exempts(r.path):
                exempt = f"{g.exclusion.file} {g.exclusion.name}"
        out.append(replace(r, gated_by=tuple(g.name for g in auth), exempt=exempt))
    return out
