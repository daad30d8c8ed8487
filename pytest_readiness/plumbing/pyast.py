"""Python source, parsed once per run and shared by every code rule.

:func:`module` parses a file of the codebase index (once: the parse is kept with the
file's content, see plumbing/tree.py) and walks its tree once, recording what the
rules ask about: every call with its resolved dotted name and the function it sits
in, imports, simple assignments and docstring lines. Aliases are followed (``import
time as t`` makes ``t.sleep`` ``time.sleep``; ``from time import sleep`` makes
``sleep`` ``time.sleep``), and names bound to a constructor (``s =
requests.Session()``) resolve their method calls to ``requests.Session().get``.
No pytest here.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pytest_readiness.plumbing.findings import Finding, summary
from pytest_readiness.plumbing.reader import Content
from pytest_readiness.plumbing.tree import Inventory, SourceFile
from pytest_readiness.vocabulary import Level

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
_Node = TypeVar("_Node", bound=ast.AST)


@dataclass(frozen=True)
class CallSite:
    node: ast.Call
    name: str  # resolved dotted name ("requests.get", "requests.Session().get", "open")
    line: int
    function: FunctionNode | None  # innermost enclosing function
    in_async: bool  # the innermost enclosing function is an ``async def``

    def keyword(self, name: str) -> ast.expr | None:
        return next((k.value for k in self.node.keywords if k.arg == name), None)

    @property
    def has_star_kwargs(self) -> bool:
        return any(k.arg is None for k in self.node.keywords)

    def arg(self, index: int, name: str | None = None) -> ast.expr | None:
        """The argument at a position, or given by keyword."""
        if name is not None and (found := self.keyword(name)) is not None:
            return found
        args = self.node.args
        if index < len(args) and not any(isinstance(a, ast.Starred) for a in args[: index + 1]):
            return args[index]
        return None


@dataclass
class Module:
    rel: str
    path: Path
    text: str
    tree: ast.Module | None
    error: str | None = None
    parsed_by: str = "python"  # "libcst": newer syntax, rewritten (plumbing/newsyntax.py)
    newer_syntax: str = ""  # where the running Python refused it ("line 36: ..."), if it did
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> dotted origin
    imports: list[tuple[str, int]] = field(default_factory=list)  # (module or name, line)
    bindings: dict[str, str] = field(default_factory=dict)  # "s" / "self.s" -> "requests.Session()"
    calls: list[CallSite] = field(default_factory=list)
    functions: list[FunctionNode] = field(default_factory=list)
    docstring_lines: set[int] = field(default_factory=set)
    nodes: list[ast.AST] = field(default_factory=list)  # every node, depth first, source order
    _lines: list[str] | None = None
    _by_type: dict[type, list[tuple[int, ast.AST]]] | None = None
    _merged: dict[tuple[type, ...], list[ast.AST]] = field(default_factory=dict)
    _spans: dict[int, tuple[int, int]] = field(default_factory=dict)  # id(function) -> nodes[a:b]

    def of(self, *types: type[_Node]) -> list[_Node]:
        """Every node of these exact classes (``ast.Call``, not ``ast.expr``), in source order.

        Rules use this instead of ``ast.walk``: the tree is walked once, at parse time.
        """
        if self._by_type is None:
            self._by_type = {}
            for index, node in enumerate(self.nodes):
                self._by_type.setdefault(type(node), []).append((index, node))
        merged = self._merged.get(types)
        if merged is None:  # once per set of types (rules ask for the same sets again)
            pairs = sorted(pair for t in types for pair in self._by_type.get(t, ())) \
                if len(types) > 1 else self._by_type.get(types[0], [])
            merged = self._merged[types] = [n for _, n in pairs]
        return list(merged)  # type: ignore[arg-type]

    def walk(self, node: ast.AST) -> list[ast.AST]:
        """Every node under ``node`` and itself, as ``ast.walk`` finds them but in source
        order; for a function of this module, a slice of the one walk (no new walk)."""
        span = self._spans.get(id(node))
        if span is not None and self.nodes[span[0]] is node:
            return self.nodes[span[0]:span[1]]
        return list(ast.walk(node))

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def resolve(self, node: ast.expr) -> str | None:
        return dotted(node, self.aliases, self.bindings)


def module(inventory: Inventory, file: SourceFile) -> Module | None:
    """The parsed module of a ``.py`` file of the index (None for files not read); parsed
    once per run, however many rules ask."""
    def make(content: Content) -> Module:
        return parse(content.text, file.rel, file.path, content.lines)

    return inventory.memo(file, "python", make)


def modules(inventory: Inventory) -> Iterator[Module]:
    """Every parseable Python module of a codebase, in inventory order (listed once per
    index: dozens of rules ask, and each asked every file of the index again)."""
    def parsed() -> list[Module]:
        return [found for file in inventory.python
                if (found := module(inventory, file)) is not None and found.tree is not None]

    yield from inventory.derive("pyast.modules", parsed)


def parse_errors(inventory: Inventory) -> list[tuple[str, str]]:
    """(file, problem) for Python files that do not parse: named, never fatal."""
    out = []
    for file in inventory.python:
        found = module(inventory, file)
        if found is not None and found.error:
            out.append((found.rel, found.error))
    return out


def parse(text: str, rel: str = "<string>", path: Path | None = None,
          lines: list[str] | None = None) -> Module:
    """``text`` parsed and walked once; a file that does not parse is a Module whose
    ``error`` says where and why (never quoting the source)."""
    parsed_by, refused = "python", ""
    try:
        tree = ast.parse(text, filename=rel)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        where = f"line {exc.lineno}: " if isinstance(exc, SyntaxError) and exc.lineno else ""
        msg = exc.msg if isinstance(exc, SyntaxError) else \
            "nested too deeply" if isinstance(exc, (RecursionError, MemoryError)) else str(exc)
        newer = _newer_syntax(text, rel) if isinstance(exc, SyntaxError) else None
        if newer is None:
            return Module(rel, path or Path(rel), text, None, f"{where}{msg}", _lines=lines)
        tree, parsed_by, refused = newer, "libcst", f"{where}{msg}"
    found = Module(rel, path or Path(rel), text, tree, _lines=lines, parsed_by=parsed_by,
                   newer_syntax=refused)
    try:
        _Walker(found).run(tree)
    except RecursionError:  # a tree deeper than the walk can follow: not read, said so
        return Module(rel, path or Path(rel), text, None, "nested too deeply", _lines=lines)
    return found


def _newer_syntax(text: str, rel: str) -> ast.Module | None:
    """The tree of a file in syntax newer than the running Python, through LibCST; None when
    that does not parse either (see plumbing/newsyntax.py)."""
    from pytest_readiness.plumbing.newsyntax import downgraded  # LibCST only when needed

    rewritten = downgraded(text)
    if rewritten is None:
        return None
    try:
        return ast.parse(rewritten, filename=rel)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


NOT_ANALYSED = "not analysed: "
READ_NEWER = ("analysed through LibCST, in syntax newer than this Python (plumbing/newsyntax.py)"
              ": ")


def not_analysed(inventory: Inventory) -> list[Finding]:
    """A warning per Python file of the codebase that no parser could read, at the file and
    line of the problem. Every AST check adds these to its findings (and says them with
    :func:`said`), so it never passes on code it did not read; files outside production
    come out as notes, like every finding there. A file in syntax newer than the running
    Python that LibCST read is a note: analysed, and the evidence says how."""
    unread = [Finding("", f"{NOT_ANALYSED}{why}", rel, _line_of(why), level=Level.WARNING)
              for rel, why in parse_errors(inventory)]
    newer = [Finding("", f"{READ_NEWER}{found.newer_syntax}", found.rel,
                     _line_of(found.newer_syntax), level=Level.NOTE)
             for found in modules(inventory) if found.parsed_by == "libcst"]
    return unread + newer


def said(what: str) -> Callable[[Sequence[Finding]], str]:
    """The warning message of an AST check whose findings may include files not analysed:
    ``N what: ...`` for its own warnings, ``N Python file(s) not analysed: ...`` for those."""
    def say(findings: Sequence[Finding]) -> str:
        unread = [f for f in findings if f.message.startswith(NOT_ANALYSED)]
        found = [f for f in findings if not f.message.startswith(NOT_ANALYSED)]
        parts = [f"{len(found)} {what}: {summary(found, 5)}"] if found else []
        if unread:
            parts.append(f"{len(unread)} Python file(s) not analysed, so not judged: "
                         f"{summary(unread, 5)}")
        return "; ".join(parts)
    return say


def _line_of(why: str) -> int:
    head = why.split(":", 1)[0]
    return int(head[5:]) if head.startswith("line ") and head[5:].isdigit() else 1


def dotted(node: ast.expr, aliases: dict[str, str], bindings: dict[str, str] | None = None
           ) -> str | None:
    """``t.sleep`` -> ``time.sleep`` given the aliases; None for computed expressions."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        base = node.id
        if bindings:
            # The longest bound prefix wins: self.session.get -> requests.Session().get
            for cut in range(len(parts), -1, -1):
                key = ".".join([base, *reversed(parts[cut:])])
                if key in bindings:
                    return ".".join([bindings[key], *reversed(parts[:cut])])
        base = aliases.get(base, base)
    elif isinstance(node, ast.Call):
        inner = dotted(node.func, aliases, bindings)
        if inner is None:
            return None
        base = inner + "()"
    else:
        return None
    return ".".join([base, *reversed(parts)])


def tail(name: str | None) -> str:
    return (name or "").rsplit(".", 1)[-1]


def const_str(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def target_names(target: ast.expr) -> list[str]:
    """``a``, ``self.a``, ``a, b`` -> their dotted names."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Attribute):
        name = dotted(target, {})
        return [name] if name else []
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in target_names(elt)]
    return []


class _Walker:
    """One traversal of a module's tree, then three passes over the flat node list.

    The traversal records every node (``Module.nodes``, so rules never walk the
    tree again), the functions, and each call with its innermost enclosing function;
    imports (aliases), docstrings and bindings come next, calls are resolved last.
    """

    def __init__(self, module: Module) -> None:
        self.m = module
        self.pending: list[tuple[ast.Call, FunctionNode | None]] = []

    def run(self, tree: ast.Module) -> None:
        self._collect(tree, None)
        for node in self.m.nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    local = a.asname or a.name.split(".")[0]
                    self.m.aliases[local] = a.name if a.asname else local
                    self.m.imports.append((a.name, node.lineno))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    self.m.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
                    self.m.imports.append((f"{node.module}.{a.name}", node.lineno))
        self._docstrings()
        self._bindings()
        for call, function in self.pending:
            name = self.m.resolve(call.func)
            if name is not None:
                self.m.calls.append(CallSite(call, name, call.lineno, function,
                                             isinstance(function, ast.AsyncFunctionDef)))

    def _collect(self, node: ast.AST, function: FunctionNode | None) -> None:
        # Hand-rolled instead of ast.walk/NodeVisitor: this is the hot loop of every code
        # suite (see benchmarks/bench_code_scan.py), and generators per node cost 3x.
        start = len(self.m.nodes)
        self.m.nodes.append(node)
        inner = function
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            self.m.functions.append(node)
            inner = node
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                self._collect(value, inner)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self._collect(item, inner)
        if inner is not function:  # a function's nodes are one slice of the walk
            self.m._spans[id(node)] = (start, len(self.m.nodes))
        if isinstance(node, ast.Call):
            # After its arguments and receiver: bindings made inside them count first.
            self.pending.append((node, function))

    def _docstrings(self) -> None:
        for node in self.m.of(ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef):
            body = node.body  # type: ignore[attr-defined]
            if body and isinstance(body[0], ast.Expr) and const_str(body[0].value) is not None:
                first = body[0]
                self.m.docstring_lines.update(
                    range(first.lineno, (first.end_lineno or first.lineno) + 1))

    def _bind(self, targets: list[ast.expr], value: ast.expr | None) -> None:
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call):
            return
        name = self.m.resolve(value.func)
        if name:
            for target in targets:
                for bound in target_names(target):
                    self.m.bindings[bound] = name + "()"

    def _bindings(self) -> None:
        # Before the calls, so a method defined above __init__ still resolves self.session.
        for node in self.m.of(ast.Assign, ast.AnnAssign, ast.With, ast.AsyncWith):
            if isinstance(node, ast.Assign):
                self._bind(node.targets, node.value)
            elif isinstance(node, ast.AnnAssign):
                self._bind([node.target], node.value)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        self._bind([item.optional_vars], item.context_expr)


def lines_of(inventory: Inventory) -> LineReader:
    return LineReader(inventory)


class LineReader:
    """``reader(rel)`` -> the file's lines, from the index (read and split once)."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory

    def __call__(self, rel: str) -> list[str]:
        return self.inventory.lines(rel)
