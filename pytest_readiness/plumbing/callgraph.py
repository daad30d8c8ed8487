"""Who calls whom in a codebase: functions and methods per module, and the calls between
them that can be resolved statically. No pytest here.

Built once per run from the parsed modules of the codebase index (:func:`of`, cached on
the index; plumbing/pyast.py parses each file once). Nodes are the module-level
functions and the methods of module-level classes, named by their import path
(``orders.reporting.user_directory``, ``ledger.audit.AuditLog.record``); a module's
import path follows Python's rules (the chain of directories holding ``__init__.py``).

A call becomes an edge only when its target is known without running anything:

- ``f()`` for a function of the same module; ``mod.f()`` / ``f()`` through ``import``,
  ``from x import y``, aliases and relative imports; ``Class()`` (its ``__init__``);
- ``self.m()`` / ``cls.m()`` on the method's class or a base class of the package;
- ``self.attr.m()`` when every assignment to ``self.attr`` in the class gives one class
  (``self.attr = Class(...)``, or a parameter annotated with the class);
- ``x.m()`` for a parameter annotated with a class, or a name bound to ``Class(...)``;
- ``app.state.name.m()`` when the whole package stores exactly one class under that
  name (``app.state.name = Class(...)``), also through a local ``state = request.app.state``.

Calls to other libraries are kept as leaves with their resolved dotted name
(``psycopg2.connect``, ``boto3.client().put_object``; an attribute derived from a client,
``self.events = client[db].events``, keeps the client's name). What is NOT resolved, and
so gives no edge (never a guess): dynamic dispatch on values of unknown type, ``getattr``
and other computed callees, subscripted receivers (``app[KEY].m()``, ``d["k"].m()``),
functions passed as values (``asyncio.to_thread(f)``,
callbacks), decorators that replace a function, nested functions and lambdas (their
calls belong to no node), and names that two assignments bind to different classes.

Bounded: at most :data:`MAX_FUNCTIONS` nodes and :data:`MAX_EDGES` edges (beyond them
the graph says ``truncated``); searches stop at :data:`MAX_DEPTH` calls.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.tree import Inventory

MAX_FUNCTIONS = 50_000
MAX_EDGES = 200_000
MAX_DEPTH = 12
_CONFLICT = "\0conflict"
_STATE = re.compile(r"(?:^|\.)state\.(\w+)$")


@dataclass(frozen=True)
class Function:
    qualname: str  # import path: module.function or module.Class.method
    module: pyast.Module
    node: ast.FunctionDef | ast.AsyncFunctionDef
    cls: str | None = None  # qualname of the class of a method

    @property
    def is_async(self) -> bool:
        return isinstance(self.node, ast.AsyncFunctionDef)

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def where(self) -> str:
        return f"{self.module.rel}:{self.node.lineno}"


@dataclass(frozen=True)
class Call:
    """A call made by a node: to another node (``callee``) or to a library (``name``)."""

    caller: str
    line: int
    site: pyast.CallSite
    callee: str | None = None  # qualname of a function of the codebase
    name: str | None = None  # resolved dotted name of a call outside the codebase


@dataclass
class Class:
    qualname: str
    module: pyast.Module
    node: ast.ClassDef
    methods: dict[str, str] = field(default_factory=dict)  # name -> function qualname
    bases: list[str] = field(default_factory=list)  # qualnames of bases in the codebase
    attrs: dict[str, str] = field(default_factory=dict)  # self.attr -> class or "lib:name"


@dataclass
class CallGraph:
    functions: dict[str, Function] = field(default_factory=dict)
    classes: dict[str, Class] = field(default_factory=dict)
    calls: dict[str, list[Call]] = field(default_factory=dict)  # caller -> its calls, in order
    modules: dict[str, pyast.Module] = field(default_factory=dict)  # import path -> module
    truncated: bool = False
    unresolved: int = 0  # calls to neither a node nor a library
    edges: int = 0

    def callees(self, qualname: str) -> Iterator[Call]:
        return (c for c in self.calls.get(qualname, ()) if c.callee)

    def callers(self) -> dict[str, list[Call]]:
        """callee -> the calls that reach it."""
        back: dict[str, list[Call]] = {}
        for calls in self.calls.values():
            for call in calls:
                if call.callee:
                    back.setdefault(call.callee, []).append(call)
        return back

    def method(self, cls: str, name: str, depth: int = 0) -> str | None:
        """The method ``name`` of a class of the codebase, looked up through its bases."""
        found = self.classes.get(cls)
        if found is None or depth > MAX_DEPTH:
            return None
        if name in found.methods:
            return found.methods[name]
        for base in found.bases:
            if (inherited := self.method(base, name, depth + 1)) is not None:
                return inherited
        return None

    def reach(self, start: str) -> Iterator[tuple[list[Call], Call]]:
        """Breadth first from ``start`` over edges into sync functions (an async callee
        runs as its own coroutine): (the path of calls to a node, each library call that
        node makes), shortest path first, each node once, at most MAX_DEPTH deep."""
        seen = {start}
        queue: deque[tuple[str, list[Call]]] = deque([(start, [])])
        while queue:
            current, path = queue.popleft()
            for call in self.calls.get(current, ()):
                if call.name is not None:
                    yield path, call
                elif call.callee and call.callee not in seen and len(path) < MAX_DEPTH:
                    target = self.functions[call.callee]
                    if not target.is_async:
                        seen.add(call.callee)
                        queue.append((call.callee, [*path, call]))


def of(inventory: Inventory) -> CallGraph:
    """The call graph of a codebase, built once per index (per run)."""
    return inventory.derive("callgraph", lambda: build(pyast.modules(inventory)))


def import_path(rel: str, packages: set[str]) -> str:
    """``src/orders/db.py`` -> ``orders.db`` when ``src/orders`` holds ``__init__.py``."""
    parts = rel[:-3].split("/") if rel.endswith(".py") else rel.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
        start = len(parts) - 1
    else:
        start = len(parts) - 1
    while start > 0 and "/".join(parts[:start]) in packages:
        start -= 1
    return ".".join(parts[start:]) if parts else ""


def build(modules: Iterable[pyast.Module]) -> CallGraph:
    graph = CallGraph()
    parsed = [m for m in modules if m.tree is not None]
    packages = {m.rel.rsplit("/", 1)[0] for m in parsed if m.rel.endswith("/__init__.py")}
    for module in parsed:
        name = import_path(module.rel, packages)
        if name and name not in graph.modules:
            graph.modules[name] = module
    builders = [_ModuleGraph(graph, name, module) for name, module in graph.modules.items()]
    for b in builders:
        b.define()
    for b in builders:
        b.link_classes()
    stores = _Stores()
    for b in builders:
        b.collect_stores(stores)
    of_module: dict[int, list[Function]] = {}  # grouped once, not once per module
    for function in graph.functions.values():
        of_module.setdefault(id(function.module), []).append(function)
    for b in builders:
        b.resolve_calls(stores, of_module.get(id(b.m), []))
        if graph.truncated:
            break
    return graph


class _Stores:
    """What the package keeps on its app object: ("state", name) -> class."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], str] = {}

    def add(self, key: tuple[str, str], cls: str) -> None:
        known = self.by_key.get(key)
        self.by_key[key] = cls if known in (None, cls) else _CONFLICT

    def get(self, key: tuple[str, str] | None) -> str | None:
        found = self.by_key.get(key) if key else None
        return None if found == _CONFLICT else found


class _ModuleGraph:
    def __init__(self, graph: CallGraph, name: str, module: pyast.Module) -> None:
        self.g, self.name, self.m = graph, name, module
        self.relative: dict[str, str] = {}  # local name -> dotted origin (relative imports)
        self.local_classes: dict[str, str] = {}
        self.local_functions: dict[str, str] = {}
        self.imported = {v.split(".", 1)[0] for v in module.aliases.values()}
        self._assign_lines: list[int] | None = None
        self._assign_nodes: list[ast.Assign | ast.AnnAssign] = []

    def assigns(self, fn: ast.AST) -> list[ast.Assign | ast.AnnAssign]:
        """The assignments inside ``fn``'s lines, in source order (bisected: a module
        with thousands of functions is not scanned once per function)."""
        if self._assign_lines is None:
            found: list[ast.Assign | ast.AnnAssign] = [*self.m.of(ast.Assign),
                                                       *self.m.of(ast.AnnAssign)]
            found.sort(key=lambda n: (n.lineno, n.col_offset))
            self._assign_nodes, self._assign_lines = found, [n.lineno for n in found]
        first, last = getattr(fn, "lineno", 0), getattr(fn, "end_lineno", 0) or 0
        lines = self._assign_lines
        return self._assign_nodes[bisect.bisect_left(lines, first):
                                  bisect.bisect_right(lines, last)]

    # --- nodes ----------------------------------------------------------------------
    def define(self) -> None:
        assert self.m.tree is not None
        package = self.name if self.m.rel.endswith("__init__.py") else \
            self.name.rpartition(".")[0]
        for node in self.m.of(ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                origin = ".".join([*base, *([node.module] if node.module else [])])
                for a in node.names:
                    self.relative[a.asname or a.name] = f"{origin}.{a.name}" if origin else a.name
        for stmt in self.m.tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._add(f"{self.name}.{stmt.name}", stmt, None)
                self.local_functions[stmt.name] = f"{self.name}.{stmt.name}"
            elif isinstance(stmt, ast.ClassDef):
                qual = f"{self.name}.{stmt.name}"
                cls = self.g.classes[qual] = Class(qual, self.m, stmt)
                self.local_classes[stmt.name] = qual
                for item in stmt.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        cls.methods[item.name] = f"{qual}.{item.name}"
                        self._add(f"{qual}.{item.name}", item, qual)

    def _add(self, qual: str, node: ast.FunctionDef | ast.AsyncFunctionDef, cls: str | None
             ) -> None:
        if len(self.g.functions) >= MAX_FUNCTIONS:
            self.g.truncated = True
            return
        self.g.functions[qual] = Function(qual, self.m, node, cls)

    # --- names ----------------------------------------------------------------------
    def absolute(self, name: str) -> str:
        """A dotted name pyast resolved, with relative imports and local definitions."""
        head, _, rest = name.partition(".")
        if head in self.relative:
            head = self.relative[head]
        elif head in self.local_classes:
            head = self.local_classes[head]
        elif head in self.local_functions:
            head = self.local_functions[head]
        return f"{head}.{rest}" if rest else head

    def internal(self, dotted: str) -> tuple[str, str] | None:
        """("function" | "class", qualname) for a dotted name of the codebase."""
        if dotted in self.g.functions:
            return "function", dotted
        if dotted in self.g.classes:
            return "class", dotted
        owner, _, attr = dotted.rpartition(".")
        if owner in self.g.classes and (method := self.g.method(owner, attr)):
            return "function", method
        return None

    def class_of(self, node: ast.expr | None) -> str | None:
        """The class of the codebase an annotation or a constructor call names."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(node, ast.Call):
            node = node.func
        if node is None:
            return None
        name = pyast.dotted(node, self.m.aliases)
        found = self.internal(self.absolute(name)) if name else None
        return found[1] if found and found[0] == "class" else None

    # --- classes --------------------------------------------------------------------
    def link_classes(self) -> None:
        for cls in self.g.classes.values():
            if cls.module is not self.m:
                continue
            cls.bases = [b for b in (self.class_of(base) for base in cls.node.bases) if b]
            for method in cls.node.body:
                if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self._attrs(cls, method)

    def _attrs(self, cls: Class, method: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        params = _annotations(method)
        for node in self.assigns(method):
            value = node.value
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                        and target.value.id == "self"):
                    continue
                kind = self._value_type(value, params)
                known = cls.attrs.get(target.attr)
                if kind is None:
                    cls.attrs[target.attr] = _CONFLICT
                else:
                    cls.attrs[target.attr] = kind if known in (None, kind) else _CONFLICT

    def _value_type(self, value: ast.expr | None, params: dict[str, ast.expr | None]
                    ) -> str | None:
        """A class of the codebase, "lib:<dotted>" for a library object, None unknown."""
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, ast.Name) and value.id in params:
            return self.class_of(params[value.id])
        if isinstance(value, ast.Call):
            if (cls := self.class_of(value)) is not None:
                return cls
            name = self.m.resolve(value.func)
            return f"lib:{name}()" if name and not self.internal(self.absolute(name)) and \
                "." in name else None
        root = value
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        if root is not value and isinstance(root, ast.Name) and root.id in self.m.bindings:
            bound = self.m.bindings[root.id]
            return None if self.internal(self.absolute(bound.removesuffix("()"))) else \
                f"lib:{bound}"
        return None

    # --- app stores -----------------------------------------------------------------
    def collect_stores(self, stores: _Stores) -> None:
        for node in self.m.of(ast.Assign):
            cls = self.class_of(node.value) if isinstance(node.value, ast.Call) else None
            if cls is None:
                continue
            for target in node.targets:
                if (key := _store_key(target, {})) is not None:
                    stores.add(key, cls)

    # --- calls ----------------------------------------------------------------------
    def resolve_calls(self, stores: _Stores, functions: list[Function]) -> None:
        """Resolve the calls of this module's ``functions`` (those of the graph)."""
        by_node = {id(f.node): f for f in functions}
        locals_of: dict[int, tuple[dict[str, ast.expr | None], dict[str, ast.expr]]] = {}
        for site in self.m.calls:
            fn = by_node.get(id(site.function)) if site.function is not None else None
            if fn is None:
                continue
            if id(fn.node) not in locals_of:
                locals_of[id(fn.node)] = (_annotations(fn.node),
                                          _local_aliases(self.assigns(fn.node)))
            params, aliases = locals_of[id(fn.node)]
            call = self._resolve(fn, site, params, aliases, stores)
            if call is None:
                self.g.unresolved += 1
                continue
            if call.callee:
                if self.g.edges >= MAX_EDGES:
                    self.g.truncated = True
                    return
                self.g.edges += 1
            self.g.calls.setdefault(fn.qualname, []).append(call)

    def _resolve(self, fn: Function, site: pyast.CallSite, params: dict[str, ast.expr | None],
                 aliases: dict[str, ast.expr], stores: _Stores) -> Call | None:
        func = site.node.func
        # receiver.method(): self, a typed parameter, an app store
        if isinstance(func, ast.Attribute):
            owner = self._receiver(fn, func.value, params, aliases, stores)
            if owner is not None:
                if owner.startswith("lib:"):
                    return Call(fn.qualname, site.line, site, name=f"{owner[4:]}.{func.attr}")
                method = self.g.method(owner, func.attr)
                return Call(fn.qualname, site.line, site, callee=method) if method else None
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        head = root.id if isinstance(root, ast.Name) else ""
        if head in ("self", "cls") or head in params or head in aliases:
            return None  # a receiver of unknown type (not what pyast's bindings say): no guess
        name = self.absolute(site.name)
        if "()." in name:
            owner, _, attr = name.rpartition("().")
            if "()" not in owner and (found := self.internal(self.absolute(owner))):
                method = self.g.method(found[1], attr) if found[0] == "class" else None
                return Call(fn.qualname, site.line, site, callee=method) if method else None
            return Call(fn.qualname, site.line, site, name=name)
        found = self.internal(name)
        if found is not None:
            target = found[1] if found[0] == "function" else self.g.method(found[1], "__init__")
            return Call(fn.qualname, site.line, site, callee=target) if target else None
        if "." not in name or name.split(".", 1)[0] in self.imported:
            return Call(fn.qualname, site.line, site, name=name)  # a builtin or a library
        return None

    def _receiver(self, fn: Function, node: ast.expr, params: dict[str, ast.expr | None],
                  aliases: dict[str, ast.expr], stores: _Stores) -> str | None:
        """The class (or "lib:name") of a call's receiver, when it is known."""
        if isinstance(node, ast.Name) and node.id in ("self", "cls") and fn.cls:
            return fn.cls
        if isinstance(node, ast.Name) and node.id in params:
            return self.class_of(params[node.id])
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "self" and fn.cls):
            kind = self._attr_type(fn.cls, node.attr)
            if kind is not None:
                return kind
        return stores.get(_store_key(node, aliases))

    def _attr_type(self, cls: str, attr: str, depth: int = 0) -> str | None:
        found = self.g.classes.get(cls)
        if found is None or depth > MAX_DEPTH:
            return None
        if attr in found.attrs:
            kind = found.attrs[attr]
            return None if kind == _CONFLICT else kind
        return next((k for b in found.bases if (k := self._attr_type(b, attr, depth + 1))),
                    None)


def _store_key(node: ast.expr, aliases: dict[str, ast.expr]) -> tuple[str, str] | None:
    """("state", name) for ``<x>.state.name``."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
            and node.value.id in aliases:
        base = pyast.dotted(aliases[node.value.id], {})
        name = f"{base}.{node.attr}" if base else None
    else:
        name = pyast.dotted(node, {})
    match = _STATE.search(name or "")
    return ("state", match.group(1)) if match else None


def _annotations(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr | None]:
    """Every parameter and its annotation (None when it has none): a parameter's type is
    its annotation or unknown, never what a module-level name of the same name holds."""
    args = fn.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs,
             *(a for a in (args.vararg, args.kwarg) if a is not None)]
    return {a.arg: a.annotation for a in every if a.arg not in ("self", "cls")}


def _local_aliases(assigns: list[ast.Assign | ast.AnnAssign]) -> dict[str, ast.expr]:
    """Names a function binds once to an attribute chain (``state = request.app.state``)."""
    found: dict[str, ast.expr] = {}
    twice: set[str] = set()
    for node in assigns:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in found:
                twice.add(name)
            if isinstance(node.value, ast.Attribute):
                found[name] = node.value
    return {k: v for k, v in found.items() if k not in twice}
